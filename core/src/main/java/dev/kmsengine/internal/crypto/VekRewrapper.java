package dev.kmsengine.internal.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The rekey hot path: takes a VEK blob wrapped under the old SVM-KEK, produces a blob under the new SVM-KEK, and
 * verifies that the new blob unwraps to the same VEK before reporting success.
 *
 * <p>One instance per worker thread: it owns a cipher state per key (each a {@link Gcm} with its associated-data
 * buffer and nonce lease, see {@link NonceSource#LEASED}) rather than using the keys' per-thread ones, so its hot
 * loop does no {@link ThreadLocal} lookup and leaves nothing behind in a pool thread; with its scratch buffers and
 * the caller's output buffer, a rewrap allocates nothing. Verification opens the new blob with the sealing
 * state: opening and sealing under one key hash the same first block and lengths, whose GHASH products the
 * {@link Gcm} memoises. The VEK exists in plaintext only in a scratch buffer that is overwritten after each
 * rewrap and on {@link #close()}, which also zeroises and releases both cipher states.
 *
 * <p>Not thread-safe.
 */
public final class VekRewrapper implements AutoCloseable {
  private final WrappingKey oldKey;
  private final WrappingKey newKey;
  private final CipherState from;
  private final CipherState to;
  private final long svmMsb;
  private final long svmLsb;
  private final long oldGeneration;
  private final long newGeneration;
  private final byte[] vek = new byte[KeyMaterial.LENGTH];
  private final byte[] unwrapped = new byte[KeyMaterial.LENGTH];

  /**
   * @param oldKey the SVM-KEK the blobs are wrapped under now
   * @param newKey the new SVM-KEK
   * @param svm the SVM uuid
   * @param oldGeneration generation of {@code oldKey}
   * @param newGeneration generation of {@code newKey}
   */
  public VekRewrapper(WrappingKey oldKey, WrappingKey newKey, java.util.UUID svm, long oldGeneration,
      long newGeneration) {
    this.oldKey = oldKey;
    this.newKey = newKey;
    this.from = oldKey.newState();
    try {
      this.to = newKey.newState();
    } catch (RuntimeException e) {
      oldKey.release(from);
      throw e;
    }
    this.svmMsb = svm.getMostSignificantBits();
    this.svmLsb = svm.getLeastSignificantBits();
    this.oldGeneration = oldGeneration;
    this.newGeneration = newGeneration;
  }

  /**
   * Rewraps the VEK of volume {@code (volumeMsb, volumeLsb)}.
   *
   * @param oldBlob the blob under the old SVM-KEK
   * @param out receives the {@value WrappedKeyFormat#LENGTH}-byte blob under the new SVM-KEK at {@code outOff}
   * @param verify whether to unwrap the new blob and compare it with the VEK (constant time)
   * @param volumeMsb the most significant 64 bits of the volume's uuid
   * @param volumeLsb the least significant 64 bits of the volume's uuid
   * @param outOff where in {@code out} the new blob goes
   * @throws MalformedBlobException if {@code oldBlob} is not a version-1 VEK blob
   * @throws javax.crypto.AEADBadTagException if {@code oldBlob} does not authenticate for this volume
   * @throws GeneralSecurityException if verification fails
   * @throws IllegalStateException if either key was destroyed
   */
  public void rewrap(byte[] oldBlob, long volumeMsb, long volumeLsb, byte[] out, int outOff, boolean verify)
      throws GeneralSecurityException {
    WrappingKey.checkShape(oldBlob, 0, oldBlob == null ? 0 : oldBlob.length, KeyRole.VEK);
    rewrapChecked(oldBlob, 0, volumeMsb, volumeLsb, out, outOff, verify);
  }

  /**
   * Rewraps the VEK whose blob is the {@value WrappedKeyFormat#LENGTH} bytes at {@code oldBlob[oldOff]}, so that
   * a caller can keep many blobs in one array; otherwise the same as
   * {@link #rewrap(byte[], long, long, byte[], int, boolean)}. The new blob may replace the old one
   * ({@code out == oldBlob && outOff == oldOff}): the old blob is read whole before anything is written, and a
   * blob that fails to open leaves {@code out} untouched.
   *
   * @param oldBlob the array holding the blob under the old SVM-KEK
   * @param oldOff where the blob starts in {@code oldBlob}
   * @param volumeMsb the most significant 64 bits of the volume's uuid
   * @param volumeLsb the least significant 64 bits of the volume's uuid
   * @param out receives the {@value WrappedKeyFormat#LENGTH}-byte blob under the new SVM-KEK at {@code outOff}
   * @param outOff where in {@code out} the new blob goes
   * @param verify whether to unwrap the new blob and compare it with the VEK (constant time)
   * @throws MalformedBlobException if the bytes at {@code oldOff} are not a version-1 VEK blob or out of bounds
   * @throws javax.crypto.AEADBadTagException if the blob does not authenticate for this volume
   * @throws GeneralSecurityException if verification fails
   */
  public void rewrap(byte[] oldBlob, int oldOff, long volumeMsb, long volumeLsb, byte[] out, int outOff,
      boolean verify) throws GeneralSecurityException {
    WrappingKey.checkShape(oldBlob, oldOff, WrappedKeyFormat.LENGTH, KeyRole.VEK);
    rewrapChecked(oldBlob, oldOff, volumeMsb, volumeLsb, out, outOff, verify);
  }

  private void rewrapChecked(byte[] oldBlob, int oldOff, long volumeMsb, long volumeLsb, byte[] out, int outOff,
      boolean verify) throws GeneralSecurityException {
    oldKey.checkLive();
    newKey.checkLive();
    try {
      KeyBinding.encodeInto(from.aad, KeyRole.VEK, svmMsb, svmLsb, volumeMsb, volumeLsb, oldGeneration);
      oldKey.unwrapInto(from, oldBlob, oldOff, vek, 0);

      KeyBinding.encodeInto(to.aad, KeyRole.VEK, svmMsb, svmLsb, volumeMsb, volumeLsb, newGeneration);
      newKey.wrapInto(to, KeyRole.VEK, vek, 0, out, outOff);
      if (verify) {
        newKey.unwrapInto(to, out, outOff, unwrapped, 0);
        int diff = 0;
        for (int i = 0; i < KeyMaterial.LENGTH; i++) {
          diff |= vek[i] ^ unwrapped[i];
        }
        if (diff != 0) {
          throw new GeneralSecurityException("rewrapped VEK does not unwrap to the original");
        }
      }
    } finally {
      Arrays.fill(vek, (byte) 0);
      Arrays.fill(unwrapped, (byte) 0);
    }
  }

  /** Overwrites the scratch buffers and zeroises and releases both cipher states. Idempotent. */
  @Override
  public void close() {
    Arrays.fill(vek, (byte) 0);
    Arrays.fill(unwrapped, (byte) 0);
    oldKey.release(from);
    newKey.release(to);
  }
}
