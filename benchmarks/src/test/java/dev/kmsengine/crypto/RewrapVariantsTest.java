package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every variant of {@link RewrapBenchmark} does the same work: its output is a valid blob for the engine. */
class RewrapVariantsTest {
  private static final VekBlobs IN;

  static {
    try {
      IN = new VekBlobs(7);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"engine", "jceReused", "jceNaive"})
  void rewrap_anyVariant_unwrapsUnderNewKeyToTheSameVek(String variant) throws GeneralSecurityException {
    Rewrap rewrap = Rewrap.create(variant, IN);
    Set<ByteBuffer> nonces = new HashSet<>();
    try (WrappingKey oldKey = WrappingKey.of(IN.oldKek); WrappingKey newKey = WrappingKey.of(IN.newKek)) {
      for (int i = 0; i < 256; i++) {
        byte[] out = new byte[WrappedKeyFormat.LENGTH];
        rewrap.rewrap(IN, i, out, i % 2 == 0);
        try (KeyMaterial before = oldKey.unwrap(IN.oldBlobs[i], IN.oldBinding(i));
            KeyMaterial after = newKey.unwrap(out, IN.newBinding(i))) {
          assertEquals(true, before.sameAs(after), "VEK changed at input " + i);
        }
        nonces.add(ByteBuffer.wrap(out, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH).slice());
      }
    }
    assertEquals(256, nonces.size(), "a nonce repeated");
  }

  @ParameterizedTest
  @ValueSource(strings = {"engine", "jceReused", "jceNaive"})
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
}
