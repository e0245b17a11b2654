package dev.kmsengine.internal.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Plain JCE AES-GCM with a 128-bit tag, written independently of {@link WrappingKey} so that tests can compute what
 * the engine's bytes must be from the documented layout alone.
 */
public final class RawGcm {
  private RawGcm() {}

  /** A fresh cipher, as a caller outside the engine would make one. */
  static Cipher newCipher() throws GeneralSecurityException {
    return Cipher.getInstance("AES/GCM/NoPadding");
  }

  /** Ciphertext followed by the 16-byte tag. */
  static byte[] seal(Cipher cipher, byte[] key, byte[] iv, byte[] aad, byte[] plaintext)
      throws GeneralSecurityException {
    cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    cipher.updateAAD(aad);
    return cipher.doFinal(plaintext);
  }

  /** The plaintext of ciphertext-followed-by-tag; throws if the tag does not verify. */
  static byte[] open(Cipher cipher, byte[] key, byte[] iv, byte[] aad, byte[] ciphertextAndTag)
      throws GeneralSecurityException {
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    cipher.updateAAD(aad);
    return cipher.doFinal(ciphertextAndTag);
  }

  static byte[] seal(byte[] key, byte[] iv, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
    return seal(newCipher(), key, iv, aad, plaintext);
  }

  static byte[] open(byte[] key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) throws GeneralSecurityException {
    return open(newCipher(), key, iv, aad, ciphertextAndTag);
  }

  public static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int off = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }
}
