package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.internal.crypto.KeyRole;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Frozen known answers of our own encodings: the 46-byte {@link KeyBinding} associated data and the 62-byte
 * {@link WrappedKeyFormat} blob. Blobs live in cluster databases, so any change to these bytes is a format change
 * that must come with a new version byte, never silently. If one of these tests fails, the encoding changed.
 *
 * <p>The expected hex constants were computed once outside the engine with plain JCE AES-256-GCM (validated in
 * {@link GcmKnownAnswerTest}) from the documented layouts, and are re-derived the same way at test time:
 * <pre>
 * associated data (46) = "KMSE" | version 01 | role (01 SVM-KEK, 02 VEK) | SVM uuid (16, msb then lsb)
 *                        | subject uuid (16: volume for a VEK, configuration for an SVM-KEK) | generation (8, big-endian)
 * blob (62)            = version 01 | role | nonce (12) | AES-256-GCM(key, nonce, associated data, 32-byte key) (32)
 *                        | tag (16)
 * </pre>
 */
class WrappedKeyFormatKnownAnswerTest {
  private static final HexFormat HEX = HexFormat.of();

  static final UUID SVM = UUID.fromString("3f2a6c1e-8b4d-4e7f-9a01-23456789abcd");
  static final UUID VOLUME = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  static final UUID CONFIG = UUID.fromString("d3b07384-d113-4ec6-a3c8-6a1f0e1b2c3d");
  static final long VEK_GENERATION = 0x0102030405060708L;
  static final long SVM_KEK_GENERATION = 2;

  /** Top-level KEK (the FIPS-197 AES-256 example key). */
  static final String TOP_KEK = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
  /** SVM-KEK, generation {@link #SVM_KEK_GENERATION}; wraps the VEK under generation {@link #VEK_GENERATION}. */
  static final String SVM_KEK = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
  /** The SVM-KEK a rekey moves the VEK to, generation {@code VEK_GENERATION + 1}. */
  static final String NEW_SVM_KEK = "c0ffee00deadbeef0badf00d1234567889abcdef0fedcba98765432100c0ffee";
  static final String VEK = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";

  static final String VEK_NONCE = "cafebabefacedbaddecaf888";
  static final String SVM_KEK_NONCE = "112233445566778899aabbcc";
  static final String REWRAP_NONCE = "a1a2a3a4a5a6a7a8a9aaabac";

  /** "KMSE" 01 02 | SVM | volume | 0102030405060708. */
  static final String VEK_AAD = "4b4d5345" + "01" + "02" + "3f2a6c1e8b4d4e7f9a0123456789abcd"
      + "7c9e6679742540de944be07fc1f90ae7" + "0102030405060708";
  /** "KMSE" 01 01 | SVM | configuration | 0000000000000002. */
  static final String SVM_KEK_AAD = "4b4d5345" + "01" + "01" + "3f2a6c1e8b4d4e7f9a0123456789abcd"
      + "d3b07384d1134ec6a3c86a1f0e1b2c3d" + "0000000000000002";

  /** 01 02 | VEK_NONCE | ciphertext of VEK under SVM_KEK with VEK_AAD | tag. */
  static final String VEK_BLOB = "01" + "02" + "cafebabefacedbaddecaf888"
      + "dcffae22baae4a9ff8f826e3261424805dcc8d27134d4c3082e94527b86db88b"
      + "c2cba97e42f120f8fbaf5c06bb931961";
  /** 01 01 | SVM_KEK_NONCE | ciphertext of SVM_KEK under TOP_KEK with SVM_KEK_AAD | tag. */
  static final String SVM_KEK_BLOB = "01" + "01" + "112233445566778899aabbcc"
      + "42fcd4c1141eb70ff574787b2e9c951dea190d49b94cb2f8b972d6c3f175f276"
      + "a2e7c82868bac4d06a7f33d1b4b205a0";
  /** 01 02 | REWRAP_NONCE | ciphertext of VEK under NEW_SVM_KEK, generation 0102030405060709 | tag. */
  static final String REWRAPPED_VEK_BLOB = "01" + "02" + "a1a2a3a4a5a6a7a8a9aaabac"
      + "45bbe3fe61da2c7ab65a34009caf114cc26c77fcd01bd31e29f510437eb53a8b"
      + "d6530d658abcfee7aacb875b82e36652";

  @Test
  void keyBindingVek_fixedInputs_encodesFrozenBytes() {
    byte[] aad = KeyBinding.vek(SVM, VOLUME, VEK_GENERATION).encode();
    assertEquals(KeyBinding.LENGTH, aad.length);
    assertEquals(VEK_AAD, HEX.formatHex(aad));
    assertArrayEquals(layoutAad(0x02, SVM, VOLUME, VEK_GENERATION), aad);
  }

  @Test
  void keyBindingSvmKek_fixedInputs_encodesFrozenBytes() {
    byte[] aad = KeyBinding.svmKek(SVM, CONFIG, SVM_KEK_GENERATION).encode();
    assertEquals(SVM_KEK_AAD, HEX.formatHex(aad));
    assertArrayEquals(layoutAad(0x01, SVM, CONFIG, SVM_KEK_GENERATION), aad);
  }

  @Test
  void keyBindingEncodeInto_hotPathParts_equalsRecordEncoding() {
    byte[] out = new byte[KeyBinding.LENGTH];
    KeyBinding.encodeInto(out, KeyRole.VEK, SVM.getMostSignificantBits(), SVM.getLeastSignificantBits(),
        VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(), VEK_GENERATION);
    assertEquals(VEK_AAD, HEX.formatHex(out));
  }

  @Test
  void formatConstants_version1_matchDocumentedLayout() {
    assertEquals(46, KeyBinding.LENGTH);
    assertEquals(62, WrappedKeyFormat.LENGTH);
    assertEquals(1, WrappedKeyFormat.VERSION_1);
    assertEquals(2, WrappedKeyFormat.NONCE_OFFSET);
    assertEquals(14, WrappedKeyFormat.CIPHERTEXT_OFFSET);
    assertEquals(0x01, KeyRole.SVM_KEK.id());
    assertEquals(0x02, KeyRole.VEK.id());
  }

  @Test
  void wrapVek_fixedKeyNonceAndVek_producesFrozenBlob() throws GeneralSecurityException {
    try (WrappingKey svmKek = new WrappingKey(key(SVM_KEK), new FixedNonces(VEK_NONCE));
        KeyMaterial vek = key(VEK)) {
      byte[] blob = svmKek.wrap(vek, KeyBinding.vek(SVM, VOLUME, VEK_GENERATION));
      assertEquals(VEK_BLOB, HEX.formatHex(blob));
    }
  }

  @Test
  void wrapSvmKek_fixedKeyNonceAndKey_producesFrozenBlob() throws GeneralSecurityException {
    try (WrappingKey top = new WrappingKey(key(TOP_KEK), new FixedNonces(SVM_KEK_NONCE));
        KeyMaterial svmKek = key(SVM_KEK)) {
      byte[] blob = top.wrap(svmKek, KeyBinding.svmKek(SVM, CONFIG, SVM_KEK_GENERATION));
      assertEquals(SVM_KEK_BLOB, HEX.formatHex(blob));
    }
  }

  @Test
  void frozenBlobs_rawJceWithDocumentedLayout_reproduceTheSameBytes() throws GeneralSecurityException {
    assertEquals(VEK_BLOB, layoutBlob(0x02, SVM_KEK, VEK_NONCE, VEK_AAD, VEK));
    assertEquals(SVM_KEK_BLOB, layoutBlob(0x01, TOP_KEK, SVM_KEK_NONCE, SVM_KEK_AAD, SVM_KEK));
    assertEquals(REWRAPPED_VEK_BLOB, layoutBlob(0x02, NEW_SVM_KEK, REWRAP_NONCE,
        HEX.formatHex(layoutAad(0x02, SVM, VOLUME, VEK_GENERATION + 1)), VEK));
  }

  @Test
  void unwrapFrozenBlobs_productionWrappingKey_returnsTheFixedKeys() throws GeneralSecurityException {
    try (WrappingKey svmKek = WrappingKey.of(key(SVM_KEK));
        KeyMaterial vek = svmKek.unwrap(HEX.parseHex(VEK_BLOB), KeyBinding.vek(SVM, VOLUME, VEK_GENERATION));
        KeyMaterial expected = key(VEK)) {
      assertTrue(vek.sameAs(expected));
    }
    try (WrappingKey top = WrappingKey.of(key(TOP_KEK));
        KeyMaterial svmKek = top.unwrap(HEX.parseHex(SVM_KEK_BLOB),
            KeyBinding.svmKek(SVM, CONFIG, SVM_KEK_GENERATION));
        KeyMaterial expected = key(SVM_KEK)) {
      assertTrue(svmKek.sameAs(expected));
    }
  }

  @Test
  void vekRewrapper_fixedKeysAndNonce_producesFrozenBlob() throws GeneralSecurityException {
    try (WrappingKey oldKek = WrappingKey.of(key(SVM_KEK));
        WrappingKey newKek = new WrappingKey(key(NEW_SVM_KEK), new FixedNonces(REWRAP_NONCE));
        VekRewrapper rewrapper = new VekRewrapper(oldKek, newKek, SVM, VEK_GENERATION, VEK_GENERATION + 1)) {
      byte[] out = new byte[WrappedKeyFormat.LENGTH + 10];
      rewrapper.rewrap(HEX.parseHex(VEK_BLOB), VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(),
          out, 5, true);
      assertEquals(REWRAPPED_VEK_BLOB, HEX.formatHex(Arrays.copyOfRange(out, 5, 5 + WrappedKeyFormat.LENGTH)));
      assertArrayEquals(new byte[5], Arrays.copyOfRange(out, 0, 5), "bytes before outOff untouched");
      assertArrayEquals(new byte[5], Arrays.copyOfRange(out, 67, 72), "bytes after the blob untouched");
    }
  }

  @Test
  void hotPathWrapInto_fixedInputsAtOffsets_producesFrozenBlob() throws GeneralSecurityException {
    try (WrappingKey svmKek = new WrappingKey(key(SVM_KEK), new FixedNonces(VEK_NONCE))) {
      CipherState state = svmKek.state();
      KeyBinding.encodeInto(state.aad, KeyRole.VEK, SVM.getMostSignificantBits(), SVM.getLeastSignificantBits(),
          VOLUME.getMostSignificantBits(), VOLUME.getLeastSignificantBits(), VEK_GENERATION);
      byte[] in = RawGcm.concat(new byte[3], HEX.parseHex(VEK));
      byte[] out = new byte[7 + WrappedKeyFormat.LENGTH];
      svmKek.wrapInto(state, KeyRole.VEK, in, 3, out, 7);
      assertEquals(VEK_BLOB, HEX.formatHex(Arrays.copyOfRange(out, 7, out.length)));

      byte[] plain = new byte[KeyMaterial.LENGTH + 4];
      svmKek.unwrapInto(state, out, 7, plain, 4);
      assertEquals(VEK, HEX.formatHex(Arrays.copyOfRange(plain, 4, plain.length)));
    }
  }

  /** The associated data built from the documented layout with a ByteBuffer, independently of KeyBinding. */
  static byte[] layoutAad(int role, UUID svm, UUID subject, long generation) {
    return ByteBuffer.allocate(46).put(new byte[] {'K', 'M', 'S', 'E', 0x01, (byte) role})
        .putLong(svm.getMostSignificantBits()).putLong(svm.getLeastSignificantBits())
        .putLong(subject.getMostSignificantBits()).putLong(subject.getLeastSignificantBits())
        .putLong(generation).array();
  }

  /** A blob built from the documented layout with raw JCE. */
  static String layoutBlob(int role, String key, String nonce, String aad, String plaintext)
      throws GeneralSecurityException {
    byte[] sealed = RawGcm.seal(HEX.parseHex(key), HEX.parseHex(nonce), HEX.parseHex(aad), HEX.parseHex(plaintext));
    return HEX.formatHex(RawGcm.concat(new byte[] {0x01, (byte) role}, HEX.parseHex(nonce), sealed));
  }

  static KeyMaterial key(String hex) {
    return KeyMaterial.copyOf(HEX.parseHex(hex));
  }
}
