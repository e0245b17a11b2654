package dev.kmsengine.benchmarks.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import dev.kmsengine.internal.crypto.WrappingKey;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every variant of {@link RewrapBenchmark} does the same work: its output is a valid blob for the engine, and every
 * variant opens the blobs every other one wrote.
 */
class RewrapVariantsTest {
  private static final List<String> VARIANTS = List.of("engine", "jceReused", "jceNaive", "accp", "bouncyCastle");
  private static final int CHECKED = 256;
  private static final VekBlobs IN;

  static {
    try {
      IN = new VekBlobs(7);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @ParameterizedTest
  @MethodSource("variants")
  void rewrap_anyVariant_unwrapsUnderNewKeyToTheSameVek(String variant) throws GeneralSecurityException {
    Rewrap rewrap = Rewrap.create(variant, IN);
    Set<ByteBuffer> nonces = new HashSet<>();
    try (WrappingKey oldKey = WrappingKey.of(IN.oldKek); WrappingKey newKey = WrappingKey.of(IN.newKek)) {
      for (int i = 0; i < CHECKED; i++) {
        byte[] out = new byte[WrappedKeyFormat.LENGTH];
        rewrap.rewrap(IN, i, out, i % 2 == 0);
        try (KeyMaterial before = oldKey.unwrap(IN.oldBlobs[i], IN.oldBinding(i));
            KeyMaterial after = newKey.unwrap(out, IN.newBinding(i))) {
          assertEquals(true, before.sameAs(after), "VEK changed at input " + i);
        }
        nonces.add(ByteBuffer.wrap(out, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH).slice());
      }
    }
    assertEquals(CHECKED, nonces.size(), "a nonce repeated");
  }

  @ParameterizedTest
  @MethodSource("variants")
  void rewrap_blobOfAnotherVolume_failsAuthentication(String variant) throws GeneralSecurityException {
    Rewrap rewrap = Rewrap.create(variant, IN);
    byte[] moved = IN.oldBlobs[1].clone();
    byte[] original = IN.oldBlobs[0];
    IN.oldBlobs[0] = moved;
    try {
      assertThrows(AEADBadTagException.class, () -> rewrap.rewrap(IN, 0, new byte[WrappedKeyFormat.LENGTH], true));
    } finally {
      IN.oldBlobs[0] = original;
    }
    assertArrayEquals(original, IN.oldBlobs[0]);
  }

  @ParameterizedTest
  @MethodSource("pairs")
  void rewrap_blobsOfAnotherVariant_openAndKeepTheVek(String first, String second) throws GeneralSecurityException {
    byte[][] once = new byte[VekBlobs.COUNT][];
    Rewrap firstRewrap = Rewrap.create(first, IN);
    for (int i = 0; i < VekBlobs.COUNT; i++) {
      once[i] = new byte[WrappedKeyFormat.LENGTH];
      firstRewrap.rewrap(IN, i, once[i], false);
    }
    VekBlobs next = IN.next(once);
    Rewrap secondRewrap = Rewrap.create(second, next);
    try (WrappingKey oldKey = WrappingKey.of(IN.oldKek); WrappingKey newKey = WrappingKey.of(next.newKek)) {
      for (int i = 0; i < CHECKED; i++) {
        byte[] twice = new byte[WrappedKeyFormat.LENGTH];
        secondRewrap.rewrap(next, i, twice, true);
        try (KeyMaterial before = oldKey.unwrap(IN.oldBlobs[i], IN.oldBinding(i));
            KeyMaterial after = newKey.unwrap(twice, next.newBinding(i))) {
          assertEquals(true, before.sameAs(after), "VEK changed at input " + i);
        }
      }
    }
  }

  static Stream<String> variants() {
    return VARIANTS.stream();
  }

  static Stream<Arguments> pairs() {
    return VARIANTS.stream().flatMap(a -> VARIANTS.stream().filter(b -> !b.equals(a)).map(b -> Arguments.of(a, b)));
  }
}
