package dev.kmsengine.internal.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The engine's own AES-GCM ({@link Gcm}) with the same byte-array shape as {@link RawGcm}, so that vector tests can
 * run both through one loop. Each call builds a fresh {@link Gcm} unless the caller passes one.
 */
final class EngineGcm {
  private EngineGcm() {}

  static Gcm forKey(byte[] key) {
    SecretKeySpec spec = new SecretKeySpec(key, "AES");
    return new Gcm(spec, Gcm.subkey(spec));
  }

  /** Ciphertext followed by the 16-byte tag. */
  static byte[] seal(Gcm gcm, byte[] iv, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
    byte[] out = new byte[plaintext.length + Gcm.TAG_LENGTH];
    gcm.seal(iv, 0, iv.length, aad, 0, aad.length, plaintext, 0, plaintext.length, out, 0);
    return out;
  }

  /** The plaintext of ciphertext-followed-by-tag; throws if the tag does not verify. */
  static byte[] open(Gcm gcm, byte[] iv, byte[] aad, byte[] ciphertextAndTag) throws GeneralSecurityException {
    byte[] out = new byte[Math.max(0, ciphertextAndTag.length - Gcm.TAG_LENGTH)];
    gcm.open(iv, 0, iv.length, aad, 0, aad.length, ciphertextAndTag, 0, ciphertextAndTag.length, out, 0);
    return out;
  }

  static byte[] seal(byte[] key, byte[] iv, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
    return seal(forKey(key), iv, aad, plaintext);
  }

  static byte[] open(byte[] key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) throws GeneralSecurityException {
    return open(forKey(key), iv, aad, ciphertextAndTag);
  }
}
