package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/** The rekey hot path, {@link VekRewrapper}, on blobs packed many to an array as a rekey holds them. */
class VekRewrapperHotPathTest {
  private static final int N = 2000;
  private static final int LEN = WrappedKeyFormat.LENGTH;
  private final UUID svm = UUID.randomUUID();
  private final KeyMaterial oldKek = KeyMaterial.generate(Randomness.secureRandom());
  private final KeyMaterial newKek = KeyMaterial.generate(Randomness.secureRandom());
  private final UUID[] volumes = new UUID[N];
  private final KeyMaterial[] veks = new KeyMaterial[N];
  private final byte[] packed = new byte[N * LEN];

  VekRewrapperHotPathTest() throws GeneralSecurityException {
    try (WrappingKey old = WrappingKey.of(oldKek)) {
      for (int i = 0; i < N; i++) {
        volumes[i] = UUID.randomUUID();
        veks[i] = KeyMaterial.generate(Randomness.secureRandom());
        System.arraycopy(old.wrap(veks[i], KeyBinding.vek(svm, volumes[i], 3)), 0, packed, i * LEN, LEN);
      }
    }
  }

  @Test
  void rewrap_packedBlobs_eachUnwrapsUnderNewGenerationToTheSameVekWithUniqueNonces()
      throws GeneralSecurityException {
    byte[] out = new byte[N * LEN];
    Set<ByteBuffer> nonces = new HashSet<>();
    try (WrappingKey old = WrappingKey.of(oldKek); WrappingKey fresh = WrappingKey.of(newKek);
        VekRewrapper r = new VekRewrapper(old, fresh, svm, 3, 4)) {
      for (int i = 0; i < N; i++) {
        r.rewrap(packed, i * LEN, volumes[i].getMostSignificantBits(), volumes[i].getLeastSignificantBits(), out,
            i * LEN, /* verify= */ i % 2 == 0);
      }
      for (int i = 0; i < N; i++) {
        byte[] blob = java.util.Arrays.copyOfRange(out, i * LEN, (i + 1) * LEN);
        try (KeyMaterial vek = fresh.unwrap(blob, KeyBinding.vek(svm, volumes[i], 4))) {
          assertTrue(vek.sameAs(veks[i]), "VEK " + i + " changed");
        }
        KeyBinding otherVolume = KeyBinding.vek(svm, volumes[(i + 1) % N], 4);
        assertThrows(AEADBadTagException.class, () -> fresh.unwrap(blob, otherVolume));
        nonces.add(ByteBuffer.wrap(blob, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH).slice());
      }
    }
    assertEquals(N, nonces.size(), "a nonce repeated under the new key");
  }

  @Test
  void rewrap_twoRewrappersOnOneKey_neverShareANonce() throws GeneralSecurityException {
    Set<ByteBuffer> nonces = new HashSet<>();
    try (WrappingKey old = WrappingKey.of(oldKek); WrappingKey fresh = WrappingKey.of(newKek);
        VekRewrapper a = new VekRewrapper(old, fresh, svm, 3, 4);
        VekRewrapper b = new VekRewrapper(old, fresh, svm, 3, 4)) {
      for (int i = 0; i < N; i++) {
        byte[] out = new byte[LEN];
        (i % 2 == 0 ? a : b).rewrap(packed, i * LEN, volumes[i].getMostSignificantBits(),
            volumes[i].getLeastSignificantBits(), out, 0, true);
        nonces.add(ByteBuffer.wrap(out, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH));
      }
    }
    assertEquals(N, nonces.size());
  }

  @Test
  void rewrap_blobOfAnotherVolume_throwsAeadBadTag() throws GeneralSecurityException {
    try (WrappingKey old = WrappingKey.of(oldKek); WrappingKey fresh = WrappingKey.of(newKek);
        VekRewrapper r = new VekRewrapper(old, fresh, svm, 3, 4)) {
      assertThrows(AEADBadTagException.class, () -> r.rewrap(packed, LEN, volumes[0].getMostSignificantBits(),
          volumes[0].getLeastSignificantBits(), new byte[LEN], 0, true));
    }
  }

  @Test
  void rewrap_offsetPastTheEnd_throwsMalformedBlob() throws GeneralSecurityException {
    try (WrappingKey old = WrappingKey.of(oldKek); WrappingKey fresh = WrappingKey.of(newKek);
        VekRewrapper r = new VekRewrapper(old, fresh, svm, 3, 4)) {
      assertThrows(MalformedBlobException.class, () -> r.rewrap(packed, packed.length - LEN + 1, 0, 0,
          new byte[LEN], 0, true));
    }
  }

  @Test
  void rewrap_afterNewKeyDestroyed_throwsIllegalState() throws GeneralSecurityException {
    try (WrappingKey old = WrappingKey.of(oldKek)) {
      WrappingKey fresh = WrappingKey.of(newKek);
      VekRewrapper r = new VekRewrapper(old, fresh, svm, 3, 4);
      fresh.destroy();
      assertThrows(IllegalStateException.class, () -> r.rewrap(packed, 0, volumes[0].getMostSignificantBits(),
          volumes[0].getLeastSignificantBits(), new byte[LEN], 0, true));
    }
  }
}
