package dev.kmsengine.testkit.emulator;

import java.time.Instant;

/**
 * A token Keystone issued.
 *
 * @param credentialId the application credential it was issued for
 * @param auditId Keystone's {@code audit_ids[0]}
 * @param issuedAt when it was issued
 * @param expiresAt when it stops being valid
 */
record IssuedToken(String credentialId, String auditId, Instant issuedAt, Instant expiresAt) {}
