package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyRole;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Peer: BouncyCastle's lightweight GCM ({@link GCMModeCipher} over {@link AESEngine}, pure Java, no JCE), the
 * {@code bouncyCastle} variant. One cipher per key and direction, as {@link JceReusedRewrap} keeps them; each is
 * keyed once here and re-initialised per operation with a null key, which BouncyCastle allows when only the nonce
 * changes, so the AES key schedule and the GHASH key H are computed once, not per rewrap.
 */
final class BouncyCastleRewrap implements Rewrap {
  private static final int TAG_BITS = WrappedKeyFormat.TAG_LENGTH * 8;
  private static final int SEALED = KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH;

  private final GCMModeCipher openOld = GCMBlockCipher.newInstance(AESEngine.newInstance());
  private final GCMModeCipher sealNew = GCMBlockCipher.newInstance(AESEngine.newInstance());
  private final GCMModeCipher openNew = GCMBlockCipher.newInstance(AESEngine.newInstance());
  private final CounterNonce nonces = new CounterNonce();
  private final byte[] nonce = new byte[WrappedKeyFormat.NONCE_LENGTH];
  private final byte[] vek = new byte[KeyMaterial.LENGTH];
  private final byte[] check = new byte[KeyMaterial.LENGTH];

  BouncyCastleRewrap(VekBlobs in) {
    byte[] oldKey = in.oldKek.copyBytes(KeyAccess.insecure());
    byte[] newKey = in.newKek.copyBytes(KeyAccess.insecure());
    // An all-zero nonce only keys the ciphers: every nonce a rewrap uses carries a counter of 1 or more.
    byte[] keying = new byte[WrappedKeyFormat.NONCE_LENGTH];
    openOld.init(false, new AEADParameters(new KeyParameter(oldKey), TAG_BITS, keying));
    sealNew.init(true, new AEADParameters(new KeyParameter(newKey), TAG_BITS, keying));
    openNew.init(false, new AEADParameters(new KeyParameter(newKey), TAG_BITS, keying));
    Arrays.fill(oldKey, (byte) 0);
    Arrays.fill(newKey, (byte) 0);
  }

  @Override
  public void rewrap(VekBlobs in, int i, byte[] out, boolean verify) throws GeneralSecurityException {
    byte[] blob = in.oldBlobs[i];
    System.arraycopy(blob, WrappedKeyFormat.NONCE_OFFSET, nonce, 0, nonce.length);
    open(openOld, nonce, in.oldAad[i], blob, vek);

    out[0] = WrappedKeyFormat.VERSION_1;
    out[1] = KeyRole.VEK.id();
    nonces.next(out, WrappedKeyFormat.NONCE_OFFSET);
    System.arraycopy(out, WrappedKeyFormat.NONCE_OFFSET, nonce, 0, nonce.length);
    sealNew.init(true, new AEADParameters(null, TAG_BITS, nonce));
    byte[] aad = in.newAad[i];
    sealNew.processAADBytes(aad, 0, aad.length);
    int n = sealNew.processBytes(vek, 0, KeyMaterial.LENGTH, out, WrappedKeyFormat.CIPHERTEXT_OFFSET);
    try {
      sealNew.doFinal(out, WrappedKeyFormat.CIPHERTEXT_OFFSET + n);
    } catch (InvalidCipherTextException e) {
      throw new GeneralSecurityException("sealing failed", e);
    }

    if (verify) {
      open(openNew, nonce, aad, out, check);
      if (!MessageDigest.isEqual(vek, check)) {
        throw new GeneralSecurityException("rewrapped VEK does not unwrap to the original");
      }
    }
  }

  private static void open(GCMModeCipher cipher, byte[] nonce, byte[] aad, byte[] blob, byte[] into)
      throws AEADBadTagException {
    cipher.init(false, new AEADParameters(null, TAG_BITS, nonce));
    cipher.processAADBytes(aad, 0, aad.length);
    int n = cipher.processBytes(blob, WrappedKeyFormat.CIPHERTEXT_OFFSET, SEALED, into, 0);
    try {
      cipher.doFinal(into, n);
    } catch (InvalidCipherTextException e) {
      throw new AEADBadTagException("tag mismatch");
    }
  }
}
