package dev.kmsengine.crypto;

/**
 * One thread's working set for one wrapping key: its {@link Gcm} (which holds an initialised JDK AES cipher and
 * scratch buffers), an associated-data buffer and the nonce lease. Kept per thread and per key because
 * {@code Cipher.getInstance} costs microseconds and kilobytes of garbage, and a JCE cipher is not thread-safe.
 */
final class CipherState {
  final Gcm gcm;
  /** The binding ({@value KeyBinding#LENGTH} bytes) padded with zeros to whole blocks, so GHASH reads it as longs. */
  final byte[] aad = new byte[(KeyBinding.LENGTH + 15) & ~15];
  final byte[] noncePrefix = new byte[8];
  int counter;

  CipherState(Gcm gcm) {
    this.gcm = gcm;
  }
}
