package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.internal.crypto.RawGcm;
import dev.kmsengine.internal.crypto.WrappingKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Secrets hygiene of {@link KeyMaterial} and {@link WrappingKey}: redacted, copied, zeroised, unusable when dead. */
class KeyMaterialTest {
  private static final byte[] BYTES = HexFormat.of()
      .parseHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");

  @Test
  void toString_liveAndDestroyed_showsNoKeyBytesInAnyEncoding() {
    KeyMaterial k = KeyMaterial.copyOf(BYTES);
    WrappingKey w = WrappingKey.of(k);
    List<String> shown = new ArrayList<>(List.of(k.toString(), w.toString(), String.valueOf(k), "" + w));
    k.destroy();
    w.destroy();
    shown.addAll(List.of(k.toString(), w.toString()));
    for (String s : shown) {
      assertNoSecret(s, BYTES);
      assertTrue(s.contains("redacted") || s.contains("destroyed"), s);
    }
  }

  @Test
  void toString_manyRandomKeys_neverShowsAnyFourByteRunOfTheKey() {
    // Catches partial leaks (a prefix, a fingerprint made of raw bytes) that a whole-key search would miss.
    for (int i = 0; i < 200; i++) {
      try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom()); WrappingKey w = WrappingKey.of(k)) {
        String hex = HexFormat.of().formatHex(k.copyBytes(KeyAccess.insecure()));
        for (String s : List.of(k.toString(), w.toString())) {
          for (int at = 0; at + 8 <= hex.length(); at += 2) {
            assertFalse(s.toLowerCase(Locale.ROOT).contains(hex.substring(at, at + 8)), s);
          }
        }
      }
    }
  }

  @Test
  void destroy_liveKey_zeroesTheBackingArrayAndIsIdempotent() {
    KeyMaterial k = KeyMaterial.copyOf(BYTES);
    byte[] live = k.unsafeBytes();
    assertArrayEquals(BYTES, live);
    assertFalse(k.isDestroyed());
    k.destroy();
    assertTrue(k.isDestroyed());
    assertArrayEquals(new byte[KeyMaterial.LENGTH], live);
    k.destroy();
    assertTrue(k.isDestroyed());
  }

  @Test
  void close_tryWithResources_destroysTheKey() {
    byte[] live;
    KeyMaterial outer;
    try (KeyMaterial k = KeyMaterial.copyOf(BYTES)) {
      live = k.unsafeBytes();
      outer = k;
    }
    assertTrue(outer.isDestroyed());
    assertArrayEquals(new byte[KeyMaterial.LENGTH], live);
  }

  @Test
  void destroyedKey_everyUse_throwsIllegalStateWithoutKeyBytes() {
    KeyMaterial dead = KeyMaterial.copyOf(BYTES);
    KeyMaterial live = KeyMaterial.copyOf(BYTES);
    dead.destroy();
    KeyBinding binding = KeyBinding.vek(UUID.randomUUID(), UUID.randomUUID(), 1);
    try (WrappingKey w = WrappingKey.of(live)) {
      List<Executable> uses = List.of(() -> dead.copyBytes(KeyAccess.insecure()),
          () -> dead.copyInto(KeyAccess.insecure(), new byte[32], 0), dead::duplicate,
          () -> dead.sameAs(live), () -> live.sameAs(dead), () -> dead.sameAs(BYTES, 0), dead::unsafeBytes,
          () -> WrappingKey.of(dead), () -> w.wrap(dead, binding));
      for (Executable use : uses) {
        IllegalStateException e = assertThrows(IllegalStateException.class, use);
        assertNoSecret(e.getMessage(), BYTES);
      }
    }
    live.destroy();
  }

  @Test
  void copyBytes_mutatedByCaller_leavesTheKeyUnchanged() {
    try (KeyMaterial k = KeyMaterial.copyOf(BYTES)) {
      byte[] a = k.copyBytes(KeyAccess.insecure());
      byte[] b = k.copyBytes(KeyAccess.insecure());
      assertNotSame(a, b);
      assertNotSame(k.unsafeBytes(), a);
      Arrays.fill(a, (byte) 0);
      assertArrayEquals(BYTES, k.copyBytes(KeyAccess.insecure()));
      assertArrayEquals(BYTES, b);
    }
  }

  @Test
  void copyInto_destinationAtOffset_writesExactly32Bytes() {
    try (KeyMaterial k = KeyMaterial.copyOf(BYTES)) {
      byte[] dest = new byte[40];
      k.copyInto(KeyAccess.insecure(), dest, 5);
      assertArrayEquals(BYTES, Arrays.copyOfRange(dest, 5, 37));
      assertArrayEquals(new byte[5], Arrays.copyOfRange(dest, 0, 5));
      assertArrayEquals(new byte[3], Arrays.copyOfRange(dest, 37, 40));
    }
  }

  @Test
  void copyOf_sourceMutatedAfterwards_leavesTheKeyUnchanged() {
    byte[] source = BYTES.clone();
    try (KeyMaterial k = KeyMaterial.copyOf(source)) {
      Arrays.fill(source, (byte) 0);
      assertArrayEquals(BYTES, k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void copyOf_rangeInsideLargerArray_copiesThatRange() {
    byte[] source = RawGcm.concat(new byte[7], BYTES, new byte[9]);
    try (KeyMaterial k = KeyMaterial.copyOf(source, 7, 32)) {
      assertArrayEquals(BYTES, k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void copyOf_wrongLength_isRejectedWithoutShowingBytes() {
    for (int len : new int[] {0, 16, 31, 33, 64}) {
      byte[] source = Arrays.copyOf(BYTES, len);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyMaterial.copyOf(source));
      assertNoSecret(e.getMessage(), BYTES);
    }
  }

  @Test
  void copyOf_rangeRunningPastTheEndOfTheSource_isRejected() {
    // A range that overruns the source must not become a key padded with zeros: 20 real bytes + 12 zero bytes
    // would be a silently weakened key. Arrays.copyOfRange pads instead of throwing when the end is past the array.
    byte[] source = BYTES.clone();
    assertThrows(RuntimeException.class, () -> KeyMaterial.copyOf(source, 12, 32));
    assertThrows(RuntimeException.class, () -> KeyMaterial.copyOf(source, 1, 32));
    assertThrows(RuntimeException.class, () -> KeyMaterial.copyOf(source, -1, 32));
    assertThrows(RuntimeException.class, () -> KeyMaterial.copyOf(source, 33, 32));
  }

  @Test
  void duplicate_destroyedSeparately_leavesTheOriginalLive() {
    try (KeyMaterial k = KeyMaterial.copyOf(BYTES)) {
      KeyMaterial d = k.duplicate();
      assertNotSame(k.unsafeBytes(), d.unsafeBytes());
      assertTrue(d.sameAs(k));
      d.destroy();
      assertFalse(k.isDestroyed());
      assertArrayEquals(BYTES, k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void sameAs_equalAndDifferentKeys_comparesEveryByte() {
    try (KeyMaterial a = KeyMaterial.copyOf(BYTES); KeyMaterial b = KeyMaterial.copyOf(BYTES)) {
      assertTrue(a.sameAs(b));
      assertTrue(a.sameAs(BYTES, 0));
      for (int i = 0; i < KeyMaterial.LENGTH; i++) {
        byte[] other = BYTES.clone();
        other[i] ^= 0x01;
        try (KeyMaterial c = KeyMaterial.copyOf(other)) {
          assertFalse(a.sameAs(c), "differs at byte " + i);
          assertFalse(a.sameAs(other, 0), "differs at byte " + i);
        }
      }
    }
  }

  @Test
  void generate_twice_givesDifferentFullLengthKeys() {
    try (KeyMaterial a = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial b = KeyMaterial.generate(Randomness.secureRandom())) {
      assertEquals(KeyMaterial.LENGTH, a.copyBytes(KeyAccess.insecure()).length);
      assertFalse(a.sameAs(b));
    }
  }

  @Test
  void unwrap_returnedKey_isIndependentOfTheCaller() throws Exception {
    KeyBinding binding = KeyBinding.vek(UUID.randomUUID(), UUID.randomUUID(), 1);
    try (KeyMaterial wk = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey w = WrappingKey.of(wk);
        KeyMaterial vek = KeyMaterial.copyOf(BYTES)) {
      byte[] blob = w.wrap(vek, binding);
      KeyMaterial a = w.unwrap(blob, binding);
      KeyMaterial b = w.unwrap(blob, binding);
      assertNotSame(a.unsafeBytes(), b.unsafeBytes());
      a.destroy();
      assertArrayEquals(BYTES, b.copyBytes(KeyAccess.insecure()));
      b.destroy();
      assertArrayEquals(BYTES, vek.copyBytes(KeyAccess.insecure()), "wrapping never touches the wrapped key");
    }
  }

  private static void assertNoSecret(String shown, byte[] key) {
    if (shown == null) {
      return;
    }
    String lower = shown.toLowerCase(Locale.ROOT);
    String hex = HexFormat.of().formatHex(key);
    assertFalse(lower.contains(hex), shown);
    assertFalse(lower.contains(hex.substring(0, 16)), shown);
    assertFalse(shown.contains(Base64.getEncoder().encodeToString(key)), shown);
    assertFalse(shown.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(key)), shown);
    assertFalse(shown.contains(Arrays.toString(key)), shown);
  }
}
