package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyRole;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Baseline: the best plain-JCE path from {@code docs/perf-anchors.md} ("jdkReuse"). One {@link Cipher} per key and
 * direction, kept for the thread's life and re-initialised with a new {@link GCMParameterSpec} per operation, the
 * {@link SecretKeySpec}s reused, output into a preallocated buffer, associated data precomputed. The same code
 * measures any JCE provider: the JDK's own ({@code jceReused}) or ACCP's native AES-GCM ({@code accp}), so the
 * two differ only in the provider behind the {@link Cipher}.
 */
final class JceReusedRewrap implements Rewrap {
  private static final int TAG_BITS = WrappedKeyFormat.TAG_LENGTH * 8;
  private static final int SEALED = KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH;

  private final SecretKeySpec oldKey;
  private final SecretKeySpec newKey;
  private final Cipher openOld;
  private final Cipher sealNew;
  private final Cipher openNew;
  private final CounterNonce nonces = new CounterNonce();
  private final byte[] vek = new byte[KeyMaterial.LENGTH];
  private final byte[] check = new byte[KeyMaterial.LENGTH];

  /** Over the JDK's default provider. */
  JceReusedRewrap(VekBlobs in) throws GeneralSecurityException {
    this(in, null);
  }

  /** Over {@code provider}'s AES-GCM, or the JDK's default provider if null. */
  JceReusedRewrap(VekBlobs in, Provider provider) throws GeneralSecurityException {
    openOld = cipher(provider);
    sealNew = cipher(provider);
    openNew = cipher(provider);
    oldKey = new SecretKeySpec(in.oldKek.copyBytes(KeyAccess.insecure()), "AES");
    newKey = new SecretKeySpec(in.newKek.copyBytes(KeyAccess.insecure()), "AES");
  }

  private static Cipher cipher(Provider provider) throws GeneralSecurityException {
    return provider == null
        ? Cipher.getInstance("AES/GCM/NoPadding")
        : Cipher.getInstance("AES/GCM/NoPadding", provider);
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
