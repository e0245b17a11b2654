package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyRole;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tampering and mis-binding: every way a stored blob can be damaged or moved must fail closed, with
 * {@link MalformedBlobException} when the blob is not even shaped like a version-1 blob of the expected role and
 * {@link AEADBadTagException} when it is well-formed but does not authenticate. No failure may show key bytes.
 */
class WrappingKeyTamperTest {
  private static final UUID SVM = UUID.fromString("00000000-0000-4000-8000-0000000000a1");
  private static final UUID OTHER_SVM = UUID.fromString("00000000-0000-4000-8000-0000000000a2");
  private static final UUID VOLUME = UUID.fromString("00000000-0000-4000-8000-0000000000b1");
  private static final UUID OTHER_VOLUME = UUID.fromString("00000000-0000-4000-8000-0000000000b2");
  private static final UUID CONFIG = UUID.fromString("00000000-0000-4000-8000-0000000000c1");
  private static final UUID OTHER_CONFIG = UUID.fromString("00000000-0000-4000-8000-0000000000c2");
  private static final long GENERATION = 5;

  private KeyMaterial wrappingKeyBytes;
  private KeyMaterial otherKeyBytes;
  private KeyMaterial vek;
  private WrappingKey wrapping;
  private WrappingKey other;
  private final List<String> messages = new ArrayList<>();

  @BeforeEach
  void keys() {
    wrappingKeyBytes = KeyMaterial.generate(Randomness.secureRandom());
    otherKeyBytes = KeyMaterial.generate(Randomness.secureRandom());
    vek = KeyMaterial.generate(Randomness.secureRandom());
    wrapping = WrappingKey.of(wrappingKeyBytes);
    other = WrappingKey.of(otherKeyBytes);
  }

  @AfterEach
  void noFailureShowedKeyBytes() {
    for (KeyMaterial k : List.of(wrappingKeyBytes, otherKeyBytes, vek)) {
      byte[] b = k.copyBytes(KeyAccess.insecure());
      for (String secret : List.of(HexFormat.of().formatHex(b), HexFormat.of().formatHex(b).toUpperCase(Locale.ROOT),
          Base64.getEncoder().encodeToString(b), Base64.getUrlEncoder().withoutPadding().encodeToString(b),
          Arrays.toString(b))) {
        for (String m : messages) {
          assertFalse(m.contains(secret), "a failure message shows key bytes: " + m);
        }
      }
      Arrays.fill(b, (byte) 0);
    }
    wrapping.destroy();
    other.destroy();
    wrappingKeyBytes.destroy();
    otherKeyBytes.destroy();
    vek.destroy();
  }

  @Test
  void vekBlob_everySingleBitFlipped_failsWithTheErrorOfTheFlippedRegion() throws GeneralSecurityException {
    assertEquals(List.of(), flipEveryBit(KeyBinding.vek(SVM, VOLUME, GENERATION)));
  }

  @Test
  void svmKekBlob_everySingleBitFlipped_failsWithTheErrorOfTheFlippedRegion() throws GeneralSecurityException {
    assertEquals(List.of(), flipEveryBit(KeyBinding.svmKek(SVM, CONFIG, GENERATION)));
  }

  @Test
  void blob_truncatedToAnyShorterLength_isMalformed() throws GeneralSecurityException {
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    for (int len = 0; len < blob.length; len++) {
      expect(MalformedBlobException.class, Arrays.copyOf(blob, len), binding, "truncated to " + len);
    }
  }

  @Test
  void blob_extendedByTrailingBytes_isMalformed() throws GeneralSecurityException {
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    for (int extra : new int[] {1, 2, 16, 62, 1000}) {
      expect(MalformedBlobException.class, Arrays.copyOf(blob, blob.length + extra), binding, "+" + extra);
    }
    byte[] twice = RawGcm.concat(blob, blob);
    expect(MalformedBlobException.class, twice, binding, "two blobs back to back");
  }

  @Test
  void blob_unknownFormatVersion_isMalformedAndSaysWhichVersion() throws GeneralSecurityException {
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    for (int version : new int[] {0x00, 0x02, 0x7f, 0xff}) {
      blob[0] = (byte) version;
      MalformedBlobException e = assertThrows(MalformedBlobException.class, () -> wrapping.unwrap(blob, binding));
      messages.add(e.getMessage());
      assertTrue(e.getMessage().contains(Integer.toString(version)), e.getMessage());
    }
  }

  @Test
  void vekBlob_unwrappedAsSvmKekOfSameUuids_isMalformed() throws GeneralSecurityException {
    byte[] blob = wrapping.wrap(vek, KeyBinding.vek(SVM, VOLUME, GENERATION));
    expect(MalformedBlobException.class, blob, KeyBinding.svmKek(SVM, VOLUME, GENERATION), "role mismatch");
  }

  @Test
  void vekBlob_roleByteRewrittenToSvmKek_failsAuthentication() throws GeneralSecurityException {
    // Passing the header check is not enough: the role is also inside the associated data.
    byte[] blob = wrapping.wrap(vek, KeyBinding.vek(SVM, VOLUME, GENERATION));
    blob[1] = KeyRole.SVM_KEK.id();
    expect(AEADBadTagException.class, blob, KeyBinding.svmKek(SVM, VOLUME, GENERATION), "role swapped");
  }

  @Test
  void svmKekBlob_roleByteRewrittenToVek_failsAuthentication() throws GeneralSecurityException {
    byte[] blob = wrapping.wrap(vek, KeyBinding.svmKek(SVM, CONFIG, GENERATION));
    blob[1] = KeyRole.VEK.id();
    expect(AEADBadTagException.class, blob, KeyBinding.vek(SVM, CONFIG, GENERATION), "role swapped");
  }

  @Test
  void vekBlob_movedToAnotherVolumeSvmOrGeneration_failsAuthentication() throws GeneralSecurityException {
    byte[] blob = wrapping.wrap(vek, KeyBinding.vek(SVM, VOLUME, GENERATION));
    expect(AEADBadTagException.class, blob, KeyBinding.vek(SVM, OTHER_VOLUME, GENERATION), "other volume");
    expect(AEADBadTagException.class, blob, KeyBinding.vek(OTHER_SVM, VOLUME, GENERATION), "other SVM");
    expect(AEADBadTagException.class, blob, KeyBinding.vek(SVM, VOLUME, GENERATION + 1), "next generation");
    expect(AEADBadTagException.class, blob, KeyBinding.vek(SVM, VOLUME, GENERATION - 1), "previous generation");
    expect(AEADBadTagException.class, blob, KeyBinding.vek(VOLUME, SVM, GENERATION), "svm and volume swapped");
  }

  @Test
  void svmKekBlob_underAnotherConfigSvmOrGeneration_failsAuthentication() throws GeneralSecurityException {
    byte[] blob = wrapping.wrap(vek, KeyBinding.svmKek(SVM, CONFIG, GENERATION));
    expect(AEADBadTagException.class, blob, KeyBinding.svmKek(SVM, OTHER_CONFIG, GENERATION), "other config");
    expect(AEADBadTagException.class, blob, KeyBinding.svmKek(OTHER_SVM, CONFIG, GENERATION), "other SVM");
    expect(AEADBadTagException.class, blob, KeyBinding.svmKek(SVM, CONFIG, GENERATION + 1), "other generation");
  }

  @Test
  void blob_unwrappedWithAnotherKey_failsAuthentication() throws GeneralSecurityException {
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    AEADBadTagException e = assertThrows(AEADBadTagException.class, () -> other.unwrap(blob, binding));
    messages.add(String.valueOf(e.getMessage()));
    messages.add(e.toString());
  }

  @Test
  void blob_intactAndCorrectlyBound_unwrapsToTheSameKey() throws GeneralSecurityException {
    // The control case for every failure above.
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    try (KeyMaterial back = wrapping.unwrap(blob, binding)) {
      assertTrue(back.sameAs(vek));
    }
  }

  @Test
  void unwrap_afterWrappingKeyDestroyed_throwsIllegalStateWithoutKeyBytes() throws GeneralSecurityException {
    KeyBinding binding = KeyBinding.vek(SVM, VOLUME, GENERATION);
    byte[] blob = wrapping.wrap(vek, binding);
    wrapping.destroy();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> wrapping.unwrap(blob, binding));
    messages.add(e.getMessage());
    IllegalStateException w = assertThrows(IllegalStateException.class, () -> wrapping.wrap(vek, binding));
    messages.add(w.getMessage());
  }

  @Test
  void keyBinding_generationBelowOne_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.vek(SVM, VOLUME, 0));
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.svmKek(SVM, CONFIG, -1));
    assertThrows(NullPointerException.class, () -> KeyBinding.vek(null, VOLUME, 1));
    assertThrows(NullPointerException.class, () -> KeyBinding.vek(SVM, null, 1));
  }

  private List<String> flipEveryBit(KeyBinding binding) throws GeneralSecurityException {
    byte[] blob = wrapping.wrap(vek, binding);
    List<String> failures = new ArrayList<>();
    for (int bit = 0; bit < blob.length * 8; bit++) {
      byte[] tampered = blob.clone();
      int at = bit / 8;
      tampered[at] ^= (byte) (1 << (bit % 8));
      Class<? extends GeneralSecurityException> expected =
          at < WrappedKeyFormat.HEADER_LENGTH ? MalformedBlobException.class : AEADBadTagException.class;
      try {
        KeyMaterial k = wrapping.unwrap(tampered, binding);
        k.destroy();
        failures.add("bit " + bit + " (byte " + at + "): unwrapped");
      } catch (GeneralSecurityException e) {
        messages.add(String.valueOf(e.getMessage()));
        if (e.getClass() != expected) {
          failures.add("bit " + bit + " (byte " + at + "): " + e.getClass().getSimpleName() + ", expected "
              + expected.getSimpleName());
        }
      }
    }
    return failures;
  }

  private void expect(Class<? extends GeneralSecurityException> type, byte[] blob, KeyBinding binding, String what) {
    GeneralSecurityException e = assertThrows(type, () -> wrapping.unwrap(blob, binding), what);
    messages.add(String.valueOf(e.getMessage()));
    messages.add(e.toString());
  }
}
