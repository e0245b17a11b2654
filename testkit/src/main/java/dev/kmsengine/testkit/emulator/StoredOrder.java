package dev.kmsengine.testkit.emulator;

import java.time.Instant;

/**
 * A key order: the emulated Barbican fulfils it at once, so it is {@code ACTIVE} with its secret from the start.
 *
 * @param projectId the owning project
 * @param creatorId the user that placed it
 * @param name the {@code meta.name} asked for, or {@code null}
 * @param algorithm the {@code meta.algorithm}
 * @param bitLength the {@code meta.bit_length}
 * @param mode the {@code meta.mode}, or {@code null}
 * @param contentType the {@code meta.payload_content_type}, or {@code null}
 * @param secretId the uuid of the secret it produced
 * @param created when it was placed
 */
record StoredOrder(String projectId, String creatorId, String name, String algorithm, int bitLength, String mode,
    String contentType, String secretId, Instant created) {}
