package dev.kmsengine.emulator;

import java.time.Instant;

/**
 * A secret held by the emulated Barbican.
 *
 * @param payload the secret bytes
 * @param secretType Barbican's {@code secret_type}
 * @param algorithm Barbican's {@code algorithm}
 * @param bitLength Barbican's {@code bit_length}
 * @param expiration when it stops being available, or {@code null}
 * @param created when it was stored
 */
record StoredSecret(byte[] payload, String secretType, String algorithm, int bitLength, Instant expiration,
    Instant created) {
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
