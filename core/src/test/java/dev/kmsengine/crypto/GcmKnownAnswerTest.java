package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * NIST SP 800-38D known answers for AES-256-GCM, run through the JDK {@code AES/GCM/NoPadding} cipher the engine
 * wraps keys with: once with a fresh cipher per vector, and once through a single reused {@link CipherState} cipher
 * re-initialised for every vector, which is how {@link WrappingKey} drives it on its hot path.
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

  @Test
  void gcmSpecCases13To18_freshCipher_produceExactCiphertextAndTagAndDecrypt() throws GeneralSecurityException {
    assertEquals(List.of(), runEncryptRecords(SPEC, null));
  }

  @Test
  void cavpEncryptRecords_freshCipher_produceExactCiphertextAndTagAndDecrypt() throws GeneralSecurityException {
    assertEquals(List.of(), runEncryptRecords(CAVP_ENCRYPT, null));
  }

  @Test
  void cavpDecryptRecords_freshCipher_decryptOrFailExactlyAsRecorded() throws GeneralSecurityException {
    assertEquals(List.of(), runDecryptRecords(CAVP_DECRYPT, null));
  }

  @Test
  void allRecords_oneReusedEngineCipher_sameResultsAsFreshCiphers() throws GeneralSecurityException {
    // Interleaves failing decryptions with good ones: a reused cipher must recover from AEADBadTagException.
    // Spec cases 13/14 and 15/16 share key and IV, so they run on separate ciphers: the JDK refuses to encrypt twice
    // in a row under one key and IV (see engineCipher_sameKeyAndIvEncryptedTwiceInARow_refusedByJdk).
    Cipher reused = new CipherState().cipher;
    List<String> failures = new ArrayList<>();
    failures.addAll(runEncryptRecords(List.of(SPEC.get(0), SPEC.get(2), SPEC.get(4)), reused));
    failures.addAll(runDecryptRecords(CAVP_DECRYPT, reused));
    failures.addAll(runEncryptRecords(List.of(SPEC.get(1), SPEC.get(3), SPEC.get(5)), reused));
    failures.addAll(runEncryptRecords(CAVP_ENCRYPT, reused));
    failures.addAll(runDecryptRecords(CAVP_DECRYPT, reused));
    assertEquals(List.of(), failures);
  }

  @Test
  void engineCipher_sameKeyAndIvEncryptedTwiceInARow_refusedByJdk() throws GeneralSecurityException {
    // A second line of defence behind the nonce policy: the per-thread cipher itself will not repeat a (key, nonce).
    RspVectors.Record r = SPEC.get(1);
    Cipher cipher = new CipherState().cipher;
    RawGcm.seal(cipher, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT"));
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> RawGcm.seal(cipher, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT")));
  }

  @Test
  void everyValidRecord_anySingleTagBitFlipped_failsToDecrypt() throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    List<RspVectors.Record> valid = new ArrayList<>(SPEC);
    valid.addAll(CAVP_ENCRYPT);
    Cipher cipher = new CipherState().cipher;
    for (RspVectors.Record r : valid) {
      byte[] ct = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      for (int bit = 0; bit < 128; bit++) {
        byte[] tampered = ct.clone();
        tampered[ct.length - 16 + bit / 8] ^= (byte) (1 << (bit % 8));
        try {
          RawGcm.open(cipher, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), tampered);
          failures.add(r + ": tag bit " + bit + " flipped and still decrypted");
        } catch (AEADBadTagException expected) {
          // fails closed, as it must
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void cavpPlaintextOfOurVekSize_throughEngineCipher_matches() throws GeneralSecurityException {
    // gcmEncryptExtIV256 [PTlen = 256] Count 6: a 32-byte plaintext, the size of every key the engine wraps.
    RspVectors.Record r = CAVP_ENCRYPT.stream().filter(x -> x.bits("PTlen") == 256).findFirst().orElseThrow();
    Cipher engineCipher = new CipherState().cipher;
    byte[] out = RawGcm.seal(engineCipher, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT"));
    assertEquals(KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH, out.length);
    assertArrayEquals(RawGcm.concat(r.bytes("CT"), r.bytes("Tag")), out);
  }

  @Test
  void cavpFailRecord_reusedCipher_throwsAeadBadTagAndLeaksNoPlaintext() throws GeneralSecurityException {
    RspVectors.Record r = CAVP_DECRYPT.stream().filter(x -> x.fail() && x.bits("PTlen") == 128).findFirst()
        .orElseThrow();
    Cipher cipher = new CipherState().cipher;
    byte[] out = new byte[16];
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(r.bytes("Key"), "AES"), new GCMParameterSpec(128, r.bytes("IV")));
    byte[] in = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
    assertThrows(AEADBadTagException.class, () -> cipher.doFinal(in, 0, in.length, out, 0));
    assertArrayEquals(new byte[16], out, "no unauthenticated plaintext may be released");
  }

  private static List<String> runEncryptRecords(List<RspVectors.Record> records, Cipher reused)
      throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (RspVectors.Record r : records) {
      Cipher c = reused != null ? reused : RawGcm.newCipher();
      byte[] expected = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      byte[] got = RawGcm.seal(c, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), r.bytes("PT"));
      if (!Arrays.equals(expected, got)) {
        failures.add(r + ": encrypt gave " + HEX.formatHex(got) + ", expected " + HEX.formatHex(expected));
        continue;
      }
      byte[] back = RawGcm.open(c, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), expected);
      if (!Arrays.equals(r.bytes("PT"), back)) {
        failures.add(r + ": decrypt gave " + HEX.formatHex(back));
      }
    }
    return failures;
  }

  private static List<String> runDecryptRecords(List<RspVectors.Record> records, Cipher reused)
      throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (RspVectors.Record r : records) {
      Cipher c = reused != null ? reused : RawGcm.newCipher();
      byte[] in = RawGcm.concat(r.bytes("CT"), r.bytes("Tag"));
      try {
        byte[] pt = RawGcm.open(c, r.bytes("Key"), r.bytes("IV"), r.bytes("AAD"), in);
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
