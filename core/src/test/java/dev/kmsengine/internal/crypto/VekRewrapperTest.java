package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rekey hot path: a rewrapped VEK is the same VEK, bound to the new SVM-KEK and generation only. */
class VekRewrapperTest {
  private static final UUID SVM = UUID.fromString("00000000-0000-4000-8000-0000000000a1");
  private static final UUID VOLUME = UUID.fromString("00000000-0000-4000-8000-0000000000b1");
  private static final UUID OTHER_VOLUME = UUID.fromString("00000000-0000-4000-8000-0000000000b2");
  private static final long OLD_GEN = 3;
  private static final long NEW_GEN = 4;

  private final KeyMaterial oldBytes = KeyMaterial.generate(Randomness.secureRandom());
  private final KeyMaterial newBytes = KeyMaterial.generate(Randomness.secureRandom());
  private final KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
  private final WrappingKey oldKey = WrappingKey.of(oldBytes);
  private final WrappingKey newKey = WrappingKey.of(newBytes);

  @AfterEach
  void destroy() {
    oldKey.destroy();
    newKey.destroy();
    oldBytes.destroy();
    newBytes.destroy();
    vek.destroy();
  }

  @Test
  void rewrap_verifyOn_unwrapsUnderNewKeyAndGenerationToTheOriginalVek() throws GeneralSecurityException {
    assertRewrapsCorrectly(true);
  }

  @Test
  void rewrap_verifyOff_unwrapsUnderNewKeyAndGenerationToTheOriginalVek() throws GeneralSecurityException {
    assertRewrapsCorrectly(false);
  }

  @Test
  void rewrappedBlob_underOldKeyOrOldGenerationOrOtherVolume_failsAuthentication() throws GeneralSecurityException {
    byte[] out = rewrap(oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN)), VOLUME, true);
    assertThrows(AEADBadTagException.class, () -> oldKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, NEW_GEN)));
    assertThrows(AEADBadTagException.class, () -> oldKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, OLD_GEN)));
    assertThrows(AEADBadTagException.class, () -> newKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, OLD_GEN)));
    assertThrows(AEADBadTagException.class, () -> newKey.unwrap(out, KeyBinding.vek(SVM, OTHER_VOLUME, NEW_GEN)));
  }

  @Test
  void rewrap_blobOfAnotherVolume_throwsAeadBadTagAndWritesNoPlaintext() throws GeneralSecurityException {
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, OTHER_VOLUME, OLD_GEN));
    byte[] out = new byte[WrappedKeyFormat.LENGTH];
    try (VekRewrapper r = new VekRewrapper(oldKey, newKey, SVM, OLD_GEN, NEW_GEN)) {
      assertThrows(AEADBadTagException.class, () -> r.rewrap(blob, VOLUME.getMostSignificantBits(),
          VOLUME.getLeastSignificantBits(), out, 0, true));
    }
    assertArrayEquals(new byte[WrappedKeyFormat.LENGTH], out, "a failed rewrap leaves its output untouched");
  }

  @Test
  void rewrap_blobFromAnotherGeneration_throwsAeadBadTag() throws GeneralSecurityException {
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN - 1));
    assertThrows(AEADBadTagException.class, () -> rewrap(blob, VOLUME, true));
  }

  @Test
  void rewrap_svmKekBlobOrTruncatedOrNull_throwsMalformed() throws GeneralSecurityException {
    byte[] svmKekBlob = oldKey.wrap(vek, KeyBinding.svmKek(SVM, VOLUME, OLD_GEN));
    assertThrows(MalformedBlobException.class, () -> rewrap(svmKekBlob, VOLUME, true));
    byte[] vekBlob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    assertThrows(MalformedBlobException.class, () -> rewrap(Arrays.copyOf(vekBlob, 61), VOLUME, true));
    assertThrows(MalformedBlobException.class, () -> rewrap(null, VOLUME, true));
  }

  @Test
  void rewrap_everyBitOfOldBlobFlipped_fails() throws GeneralSecurityException {
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    for (int bit = 0; bit < blob.length * 8; bit++) {
      byte[] tampered = blob.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(GeneralSecurityException.class, () -> rewrap(tampered, VOLUME, true), "bit " + bit);
    }
  }

  @Test
  void rewrap_sameWrappingKeyForOldAndNew_movesOnlyTheGeneration() throws GeneralSecurityException {
    // Old and new are one key: the rewrapper must still keep opening and sealing apart.
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    byte[] out = new byte[WrappedKeyFormat.LENGTH];
    try (VekRewrapper r = new VekRewrapper(oldKey, oldKey, SVM, OLD_GEN, NEW_GEN)) {
      r.rewrap(blob, VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(), out, 0, true);
    }
    try (KeyMaterial back = oldKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, NEW_GEN))) {
      assertTrue(back.sameAs(vek));
    }
    assertThrows(AEADBadTagException.class, () -> oldKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, OLD_GEN)));
  }

  @Test
  void rewrap_verifyOnAndOff_produceIdenticalBlobs() throws GeneralSecurityException {
    // Verification reads the new blob back; it must not change what is written.
    String nonce = "0102030405060708090a0b0c";
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    byte[] verified = new byte[WrappedKeyFormat.LENGTH];
    byte[] unverified = new byte[WrappedKeyFormat.LENGTH];
    try (WrappingKey a = new WrappingKey(newBytes, new FixedNonces(nonce));
        WrappingKey b = new WrappingKey(newBytes, new FixedNonces(nonce));
        VekRewrapper ra = new VekRewrapper(oldKey, a, SVM, OLD_GEN, NEW_GEN);
        VekRewrapper rb = new VekRewrapper(oldKey, b, SVM, OLD_GEN, NEW_GEN)) {
      ra.rewrap(blob, VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(), verified, 0, true);
      rb.rewrap(blob, VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(), unverified, 0, false);
    }
    assertArrayEquals(verified, unverified);
    assertArrayEquals(HexFormat.of().parseHex(nonce), Arrays.copyOfRange(verified, 2, 14));
  }

  @Test
  void rewrap_inPlaceInAPage_writesWhatARewrapElsewhereWritesAndLeavesNeighboursAlone()
      throws GeneralSecurityException {
    // A rekey rewraps each blob over itself in its page.
    String nonce = "0c0b0a090807060504030201";
    int len = WrappedKeyFormat.LENGTH;
    byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    byte[] page = new byte[3 * len];
    Arrays.fill(page, (byte) 0x5a);
    System.arraycopy(blob, 0, page, len, len);
    byte[] elsewhere = new byte[len];
    long msb = VOLUME.getMostSignificantBits();
    long lsb = VOLUME.getLeastSignificantBits();
    try (WrappingKey a = new WrappingKey(newBytes, new FixedNonces(nonce));
        WrappingKey b = new WrappingKey(newBytes, new FixedNonces(nonce));
        VekRewrapper ra = new VekRewrapper(oldKey, a, SVM, OLD_GEN, NEW_GEN);
        VekRewrapper rb = new VekRewrapper(oldKey, b, SVM, OLD_GEN, NEW_GEN)) {
      ra.rewrap(blob, 0, msb, lsb, elsewhere, 0, true);
      rb.rewrap(page, len, msb, lsb, page, len, true);
    }
    assertArrayEquals(elsewhere, Arrays.copyOfRange(page, len, 2 * len));
    for (int i = 0; i < len; i++) {
      assertEquals((byte) 0x5a, page[i]);
      assertEquals((byte) 0x5a, page[2 * len + i]);
    }
  }

  @Test
  void rewrap_inPlaceBlobFailsToAuthenticate_pageUnchanged() throws GeneralSecurityException {
    int len = WrappedKeyFormat.LENGTH;
    byte[] page = new byte[2 * len];
    System.arraycopy(oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN)), 0, page, len, len);
    byte[] before = page.clone();
    try (VekRewrapper r = new VekRewrapper(oldKey, newKey, SVM, OLD_GEN, NEW_GEN)) {
      assertThrows(AEADBadTagException.class, () -> r.rewrap(page, len, OTHER_VOLUME.getMostSignificantBits(),
          OTHER_VOLUME.getLeastSignificantBits(), page, len, true));
    }
    assertArrayEquals(before, page);
  }

  @Test
  void rewrap_manyVolumesOneRewrapper_eachUnwrapsToItsOwnVek() throws GeneralSecurityException {
    int n = 500;
    UUID[] volumes = new UUID[n];
    KeyMaterial[] veks = new KeyMaterial[n];
    byte[][] blobs = new byte[n][];
    for (int i = 0; i < n; i++) {
      volumes[i] = UUID.randomUUID();
      veks[i] = KeyMaterial.generate(Randomness.secureRandom());
      blobs[i] = oldKey.wrap(veks[i], KeyBinding.vek(SVM, volumes[i], OLD_GEN));
    }
    byte[] out = new byte[n * WrappedKeyFormat.LENGTH];
    try (VekRewrapper r = new VekRewrapper(oldKey, newKey, SVM, OLD_GEN, NEW_GEN)) {
      for (int i = 0; i < n; i++) {
        r.rewrap(blobs[i], volumes[i].getMostSignificantBits(), volumes[i].getLeastSignificantBits(), out,
            i * WrappedKeyFormat.LENGTH, i % 2 == 0);
      }
    }
    for (int i = 0; i < n; i++) {
      byte[] blob = Arrays.copyOfRange(out, i * WrappedKeyFormat.LENGTH, (i + 1) * WrappedKeyFormat.LENGTH);
      try (KeyMaterial back = newKey.unwrap(blob, KeyBinding.vek(SVM, volumes[i], NEW_GEN))) {
        assertTrue(back.sameAs(veks[i]), "volume " + i);
      }
      veks[i].destroy();
    }
  }

  @Test
  void sharedKeys_oneRewrapperPerThread_everyVekRewrappedCorrectly() throws Exception {
    // How a rekey runs: worker threads share the old and new WrappingKey, each with its own VekRewrapper.
    int threads = 4;
    int perThread = 1_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Callable<Integer>> tasks = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        tasks.add(() -> {
          int ok = 0;
          try (VekRewrapper r = new VekRewrapper(oldKey, newKey, SVM, OLD_GEN, NEW_GEN)) {
            for (int i = 0; i < perThread; i++) {
              UUID volume = UUID.randomUUID();
              try (KeyMaterial v = KeyMaterial.generate(Randomness.secureRandom())) {
                byte[] out = new byte[WrappedKeyFormat.LENGTH];
                r.rewrap(oldKey.wrap(v, KeyBinding.vek(SVM, volume, OLD_GEN)), volume.getMostSignificantBits(),
                    volume.getLeastSignificantBits(), out, 0, true);
                try (KeyMaterial back = newKey.unwrap(out, KeyBinding.vek(SVM, volume, NEW_GEN))) {
                  ok += back.sameAs(v) ? 1 : 0;
                }
              }
            }
          }
          return ok;
        });
      }
      for (Future<Integer> f : pool.invokeAll(tasks)) {
        assertEquals(perThread, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void assertRewrapsCorrectly(boolean verify) throws GeneralSecurityException {
    byte[] oldBlob = oldKey.wrap(vek, KeyBinding.vek(SVM, VOLUME, OLD_GEN));
    byte[] out = rewrap(oldBlob, VOLUME, verify);
    try (KeyMaterial back = newKey.unwrap(out, KeyBinding.vek(SVM, VOLUME, NEW_GEN))) {
      assertTrue(back.sameAs(vek));
    }
  }

  private byte[] rewrap(byte[] oldBlob, UUID volume, boolean verify) throws GeneralSecurityException {
    byte[] out = new byte[WrappedKeyFormat.LENGTH];
    try (VekRewrapper r = new VekRewrapper(oldKey, newKey, SVM, OLD_GEN, NEW_GEN)) {
      r.rewrap(oldBlob, volume.getMostSignificantBits(), volume.getLeastSignificantBits(), out, 0, verify);
    }
    return out;
  }
}
