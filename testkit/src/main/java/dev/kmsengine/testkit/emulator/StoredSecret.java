package dev.kmsengine.testkit.emulator;

import java.time.Instant;

/**
 * A secret held by the emulated Barbican. Immutable apart from the payload array, which is zeroed when the secret
 * is deleted.
 *
 * @param name Barbican's {@code name}, or {@code null}
 * @param projectId the owning project
 * @param creatorId the user that stored it
 * @param payload the secret bytes, or {@code null} for a secret created without payload
 * @param contentType the payload's content type ({@code application/octet-stream} or {@code text/plain}), or
 *     {@code null} without payload
 * @param secretType Barbican's {@code secret_type}
 * @param algorithm Barbican's {@code algorithm}, or {@code null}
 * @param bitLength Barbican's {@code bit_length}, or {@code null}
 * @param mode Barbican's {@code mode}, or {@code null}
 * @param expiration when it stops being available, or {@code null}
 * @param created when it was stored
 */
record StoredSecret(String name, String projectId, String creatorId, byte[] payload, String contentType,
    String secretType, String algorithm, Integer bitLength, String mode, Instant expiration, Instant created) {
  boolean expiredAt(Instant now) {
    return expiration != null && !now.isBefore(expiration);
  }

  @Override
  public String toString() {
    return "StoredSecret[" + secretType + " " + algorithm + "/" + bitLength + ", payload redacted]";
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
