package dev.kmsengine.internal.crypto;

import java.util.Arrays;

/**
 * One thread's working set for one wrapping key: its {@link Gcm} (which holds an initialised JDK AES cipher and
 * scratch buffers), an associated-data buffer and the nonce lease. Kept per thread and per key because
 * {@code Cipher.getInstance} costs microseconds and kilobytes of garbage, and a JCE cipher is not thread-safe.
 * Every state is registered with its {@link WrappingKey}, whose {@code destroy()} calls {@link #destroy()}.
 */
final class CipherState {
  final Gcm gcm;
  /** The binding ({@value KeyBinding#LENGTH} bytes) padded with zeros to whole blocks, so GHASH reads it as longs. */
  final byte[] aad = new byte[(KeyBinding.LENGTH + 15) & ~15];
  final NonceLease nonces = new NonceLease();

  CipherState(Gcm gcm) {
    this.gcm = gcm;
  }

  /** Zeroises everything derived from the key or its use; the state is unusable afterwards. */
  void destroy() {
    if (gcm != null) {
      gcm.destroy();
    }
    Arrays.fill(aad, (byte) 0);
    nonces.destroy();
  }
}
