package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyRole;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Baseline: the textbook JCE path ("jdkNaive" in {@code docs/perf-anchors.md}): {@code Cipher.getInstance} for
 * every operation, results returned as new arrays. Only the {@link SecretKeySpec}s and the associated data are
 * shared, and nonces cost what the other variants pay, so the gap is the cost of not reusing ciphers.
 */
final class JceNaiveRewrap implements Rewrap {
  private static final int TAG_BITS = WrappedKeyFormat.TAG_LENGTH * 8;

  private final SecretKeySpec oldKey;
  private final SecretKeySpec newKey;
  private final CounterNonce nonces = new CounterNonce();

  JceNaiveRewrap(VekBlobs in) {
    oldKey = new SecretKeySpec(in.oldKek.copyBytes(KeyAccess.insecure()), "AES");
    newKey = new SecretKeySpec(in.newKek.copyBytes(KeyAccess.insecure()), "AES");
  }

  @Override
  public void rewrap(VekBlobs in, int i, byte[] out, boolean verify) throws GeneralSecurityException {
    byte[] blob = in.oldBlobs[i];
    Cipher open = Cipher.getInstance("AES/GCM/NoPadding");
    open.init(Cipher.DECRYPT_MODE, oldKey, new GCMParameterSpec(TAG_BITS,
        Arrays.copyOfRange(blob, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.CIPHERTEXT_OFFSET)));
    open.updateAAD(in.oldAad[i]);
    byte[] vek = open.doFinal(Arrays.copyOfRange(blob, WrappedKeyFormat.CIPHERTEXT_OFFSET, blob.length));

    byte[] nonce = new byte[WrappedKeyFormat.NONCE_LENGTH];
    nonces.next(nonce, 0);
    Cipher seal = Cipher.getInstance("AES/GCM/NoPadding");
    seal.init(Cipher.ENCRYPT_MODE, newKey, new GCMParameterSpec(TAG_BITS, nonce));
    seal.updateAAD(in.newAad[i]);
    byte[] sealed = seal.doFinal(vek);
    out[0] = WrappedKeyFormat.VERSION_1;
    out[1] = KeyRole.VEK.id();
    System.arraycopy(nonce, 0, out, WrappedKeyFormat.NONCE_OFFSET, nonce.length);
    System.arraycopy(sealed, 0, out, WrappedKeyFormat.CIPHERTEXT_OFFSET, sealed.length);

    if (verify) {
      Cipher check = Cipher.getInstance("AES/GCM/NoPadding");
      check.init(Cipher.DECRYPT_MODE, newKey, new GCMParameterSpec(TAG_BITS, nonce));
      check.updateAAD(in.newAad[i]);
      if (!MessageDigest.isEqual(vek, check.doFinal(sealed))) {
        throw new GeneralSecurityException("rewrapped VEK does not unwrap to the original");
      }
    }
  }
}
