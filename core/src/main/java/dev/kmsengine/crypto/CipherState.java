package dev.kmsengine.crypto;

import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;

/**
 * One thread's working set for one wrapping key: a reused JCE cipher, an associated-data buffer and the nonce
 * lease. Kept per thread and per key because {@code Cipher.getInstance} costs ~5 µs and 9 KB of garbage, and
 * because the JDK's AES keeps its expanded key schedule only while it is re-initialised with the same key.
 */
final class CipherState {
  final Cipher cipher;
  final byte[] aad = new byte[KeyBinding.LENGTH];
  final byte[] noncePrefix = new byte[8];
  int counter;

  CipherState() {
    try {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("the JDK provides no AES/GCM/NoPadding", e);
    }
  }
}
