package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsengine.crypto.KeyMaterial;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NIST SP 800-38D known answers for AES-256-GCM, run through the engine's own {@link Gcm} (what {@link WrappingKey}
 * seals and opens with) and, as a check of the vendored files themselves, through the JDK's
 * {@code AES/GCM/NoPadding} cipher.
 *
 * <p>The engine's own shapes (a 32-byte key under a 46-byte associated data) appear in no public vector set; they
 * are pinned by {@link WrappedKeyFormatKnownAnswerTest}, whose expected bytes come from this same, here-validated
 * primitive. Sources of every file: {@code testvectors/README.md}.
 */
class GcmKnownAnswerTest {
  private static final HexFormat HEX = HexFormat.of();

  private static final List<RspVectors.Record> SPEC = RspVectors.load("gcm_spec_aes256.rsp");
  private static final List<RspVectors.Record> CAVP_ENCRYPT = RspVectors.load("gcmEncryptExtIV256_subset.rsp");
  private static final List<RspVectors.Record> CAVP_DECRYPT = RspVectors.load("gcmDecrypt256_subset.rsp");

  @Test
  void vectorFiles_loaded_holdEveryRecordOfTheReadme() {
    assertEquals(6, SPEC.size(), "McGrew-Viega test cases 13-18");
    assertEquals(15, CAVP_ENCRYPT.size(), "gcmEncryptExtIV256 records");
    assertEquals(16, CAVP_DECRYPT.size(), "gcmDecrypt256 records");
    assertEquals(6, CAVP_DECRYPT.stream().filter(RspVectors.Record::fail).count(), "gcmDecrypt256 FAIL records");
  }

  @Test
  void cavpRecords_lengths_matchTheirSectionHeaders() {
    List<String> failures = new ArrayList<>();
    List<RspVectors.Record> all = new ArrayList<>(CAVP_ENCRYPT);
    all.addAll(CAVP_DECRYPT);
    for (RspVectors.Record r : all) {
      checkBits(failures, r, "Key", "Keylen");
      checkBits(failures, r, "IV", "IVlen");
      checkBits(failures, r, "PT", "PTlen");
      checkBits(failures, r, "CT", "PTlen");
      checkBits(failures, r, "AAD", "AADlen");
      checkBits(failures, r, "Tag", "Taglen");
    }
    for (RspVectors.Record r : SPEC) {
      checkBits(failures, r, "Key", "Keylen");
      checkBits(failures, r, "IV", "IVlen");
      checkBits(failures, r, "Tag", "Taglen");
    }
    assertEquals(List.of(), failures);
  }

  // Spec cases 17 (64-bit IV) and 18 (480-bit IV) take the engine's GHASH-derived J0 path.
  @ParameterizedTest
  @EnumSource(Impl.class)
  void gcmSpecCases13To18_produceExactCiphertextAndTagAndDecrypt(Impl impl) throws GeneralSecurityException {
    assertEquals(List.of(), runEncryptRecords(SPEC, impl));
  }

  @ParameterizedTest
  @EnumSource(Impl.class)
  void cavpEncryptRecords_produceExactCiphertextAndTagAndDecrypt(Impl impl) throws GeneralSecurityException {
    assertEquals(List.of(), runEncryptRecords(CAVP_ENCRYPT, impl));
  }

  @ParameterizedTest
  @EnumSource(Impl.class)
  void cavpDecryptRecords_decryptOrFailExactlyAsRecorded(Impl impl) throws GeneralSecurityException {
    assertEquals(List.of(), runDecryptRecords(CAVP_DECRYPT, impl));
  }

  @Test
  void engineGcm_sameNonceSealedAgainAfterAnother_givesTheRecordedCiphertextEachTime()
      throws GeneralSecurityException {
    // A Gcm keeps no nonce history (uniqueness is NonceSource's job), and nothing left over from one seal
    // changes the next: the memoised products and the running sum start afresh.
    RspVectors.Record r = CAVP_ENCRYPT.stream().filter(x -> x.bits("PTlen") == 256).findFirst().orElseThrow();
    Gcm gcm = EngineGcm.forKey(r.bytes("Key"));
    byte[] expected = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
    assertArrayEquals(expected, EngineGcm.seal(gcm, r.bytes("IV"), r.bytes("AAD"), r.bytes("PT")));
    byte[] otherIv = r.bytes("IV");
    otherIv[11] ^= 1;
    EngineGcm.seal(gcm, otherIv, r.bytes("AAD"), r.bytes("PT"));
    assertArrayEquals(expected, EngineGcm.seal(gcm, r.bytes("IV"), r.bytes("AAD"), r.bytes("PT")));
    assertArrayEquals(expected, EngineGcm.seal(gcm, r.bytes("IV"), r.bytes("AAD"), r.bytes("PT")));
  }

  @Test
  void everyValidRecord_anySingleTagBitFlipped_failsToDecryptInBoth() throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    List<RspVectors.Record> valid = new ArrayList<>(SPEC);
    valid.addAll(CAVP_ENCRYPT);
    for (RspVectors.Record r : valid) {
      byte[] ct = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      Gcm engine = EngineGcm.forKey(r.bytes("Key"));
      for (int bit = 0; bit < 128; bit++) {
        byte[] tampered = ct.clone();
        tampered[ct.length - 16 + bit / 8] ^= (byte) (1 << (bit % 8));
        try {
          RawGcm.open(r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), tampered);
          failures.add(r + ": tag bit " + bit + " flipped and still decrypted by the JDK");
        } catch (AEADBadTagException expected) {
          // fails closed, as it must
        }
        try {
          EngineGcm.open(engine, r.bytes("IV"), r.bytes("AAD"), tampered);
          failures.add(r + ": tag bit " + bit + " flipped and still decrypted by the engine");
        } catch (AEADBadTagException expected) {
          // fails closed, as it must
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void cavpPlaintextOfOurVekSize_throughEngineGcm_matches() throws GeneralSecurityException {
    // gcmEncryptExtIV256 [PTlen = 256] Count 6: a 32-byte plaintext, the size of every key the engine wraps.
    RspVectors.Record r = CAVP_ENCRYPT.stream().filter(x -> x.bits("PTlen") == 256).findFirst().orElseThrow();
    byte[] out = EngineGcm.seal(r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT"));
    assertEquals(KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH, out.length);
    assertArrayEquals(RawGcm.concat(r.bytes("CT"), r.bytes("Tag")), out);
  }

  @Test
  void cavpFailRecord_engineGcm_throwsAeadBadTagAndLeaksNoPlaintext() throws GeneralSecurityException {
    RspVectors.Record r = CAVP_DECRYPT.stream().filter(x -> x.fail() && x.bits("PTlen") == 128).findFirst()
        .orElseThrow();
    Gcm gcm = EngineGcm.forKey(r.bytes("Key"));
    byte[] iv = r.bytes("IV");
    byte[] aad = r.bytes("AAD");
    byte[] in = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
    byte[] out = new byte[16];
    assertThrows(AEADBadTagException.class,
        () -> gcm.open(iv, 0, iv.length, aad, 0, aad.length, in, 0, in.length, out, 0));
    assertArrayEquals(new byte[16], out, "no unauthenticated plaintext may be released");
  }

  @Test
  void engineGcm_emptyNonce_refused() {
    byte[] key = new byte[32];
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> EngineGcm.seal(key, new byte[0], new byte[0], new byte[16]));
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> EngineGcm.open(key, new byte[0], new byte[0], new byte[16]));
  }

  /** One AES-GCM implementation as byte-array functions: the JDK's (a check of the files), or the engine's. */
  enum Impl {
    JDK(RawGcm::seal, RawGcm::open),
    ENGINE(EngineGcm::seal, EngineGcm::open);

    private final Function seal;
    private final Function open;

    Impl(Function seal, Function open) {
      this.seal = seal;
      this.open = open;
    }

    Function seal() {
      return seal;
    }

    Function open() {
      return open;
    }
  }

  private interface Function {
    byte[] apply(byte[] key, byte[] iv, byte[] aad, byte[] in) throws GeneralSecurityException;
  }

  private static List<String> runEncryptRecords(List<RspVectors.Record> records, Impl impl)
      throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (RspVectors.Record r : records) {
      byte[] expected = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      byte[] got = impl.seal().apply(r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT"));
      if (!Arrays.equals(expected, got)) {
        failures.add(r + ": encrypt gave " + HEX.formatHex(got) + ", expected " + HEX.formatHex(expected));
        continue;
      }
      byte[] back = impl.open().apply(r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), expected);
      if (!Arrays.equals(r.bytes("PT"), back)) {
        failures.add(r + ": decrypt gave " + HEX.formatHex(back));
      }
    }
    return failures;
  }

  private static List<String> runDecryptRecords(List<RspVectors.Record> records, Impl impl)
      throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (RspVectors.Record r : records) {
      byte[] in = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      try {
        byte[] pt = impl.open().apply(r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), in);
        if (r.fail()) {
          failures.add(r + ": FAIL record decrypted to " + HEX.formatHex(pt));
        } else if (!Arrays.equals(r.bytes("PT"), pt)) {
          failures.add(r + ": decrypt gave " + HEX.formatHex(pt));
        }
      } catch (AEADBadTagException e) {
        if (!r.fail()) {
          failures.add(r + ": valid record rejected");
        }
      }
    }
    return failures;
  }

  private static void checkBits(List<String> failures, RspVectors.Record r, String field, String header) {
    if (!r.section().containsKey(header) || !r.fields().containsKey(field)) {
      return;
    }
    int bits = r.bytes(field).length * 8;
    if (bits != r.bits(header)) {
      failures.add(r + ": " + field + " has " + bits + " bits, section says " + header + " = " + r.bits(header));
    }
  }
}
