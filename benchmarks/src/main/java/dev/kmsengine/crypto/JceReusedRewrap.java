package dev.kmsengine.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Baseline: the best plain-JCE path from {@code docs/perf-anchors.md} ("jdkReuse"). One {@link Cipher} per key and
 * direction, kept for the thread's life and re-initialised with a new {@link GCMParameterSpec} per operation, the
 * {@link SecretKeySpec}s reused, output into a preallocated buffer, associated data precomputed.
 */
final class JceReusedRewrap implements Rewrap {
  private static final int TAG_BITS = WrappedKeyFormat.TAG_LENGTH * 8;
  private static final int SEALED = KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH;

  private final SecretKeySpec oldKey;
  private final SecretKeySpec newKey;
  private final Cipher openOld = Cipher.getInstance("AES/GCM/NoPadding");
  private final Cipher sealNew = Cipher.getInstance("AES/GCM/NoPadding");
  private final Cipher openNew = Cipher.getInstance("AES/GCM/NoPadding");
  private final CounterNonce nonces = new CounterNonce();
  private final byte[] vek = new byte[KeyMaterial.LENGTH];
  private final byte[] check = new byte[KeyMaterial.LENGTH];

  JceReusedRewrap(VekBlobs in) throws GeneralSecurityException {
    oldKey = new SecretKeySpec(in.oldKek.copyBytes(KeyAccess.insecure()), "AES");
    newKey = new SecretKeySpec(in.newKek.copyBytes(KeyAccess.insecure()), "AES");
  }

  @Override
  public void rewrap(VekBlobs in, int i, byte[] out, boolean verify) throws GeneralSecurityException {
    byte[] blob = in.oldBlobs[i];
    openOld.init(Cipher.DECRYPT_MODE, oldKey,
        new GCMParameterSpec(TAG_BITS, blob, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH));
    openOld.updateAAD(in.oldAad[i]);
    openOld.doFinal(blob, WrappedKeyFormat.CIPHERTEXT_OFFSET, SEALED, vek, 0);

    out[0] = WrappedKeyFormat.VERSION_1;
    out[1] = KeyRole.VEK.id();
    nonces.next(out, WrappedKeyFormat.NONCE_OFFSET);
    sealNew.init(Cipher.ENCRYPT_MODE, newKey,
        new GCMParameterSpec(TAG_BITS, out, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH));
    sealNew.updateAAD(in.newAad[i]);
    sealNew.doFinal(vek, 0, KeyMaterial.LENGTH, out, WrappedKeyFormat.CIPHERTEXT_OFFSET);

    if (verify) {
      openNew.init(Cipher.DECRYPT_MODE, newKey,
          new GCMParameterSpec(TAG_BITS, out, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH));
      openNew.updateAAD(in.newAad[i]);
      openNew.doFinal(out, WrappedKeyFormat.CIPHERTEXT_OFFSET, SEALED, check, 0);
      if (!MessageDigest.isEqual(vek, check)) {
        throw new GeneralSecurityException("rewrapped VEK does not unwrap to the original");
      }
    }
  }
}
