package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Wycheproof AES-GCM vectors (the AES-256 subset vendored in {@code testvectors/aes_gcm_test.json}) through the engine's
 * {@link Gcm} and, as a check of the file, the JDK's cipher, in the style of
 * Tink's {@code AesGcmJceTest.testWycheproofVectors}: every case runs, failures are collected with their tcId, and
 * the test asserts the list is empty so one run reports every broken case.
 */
class WycheproofAesGcmTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Map<?, ?> FILE = WycheproofJson.load("aes_gcm_test.json");

  @Test
  void vectorFile_loaded_holdsNumberOfTestsCasesAllAes256() {
    int count = 0;
    for (Object g : (List<?>) FILE.get("testGroups")) {
      Map<?, ?> group = (Map<?, ?>) g;
      assertEquals(256L, group.get("keySize"));
      assertEquals(128L, group.get("tagSize"));
      for (Object t : (List<?>) group.get("tests")) {
        Map<?, ?> test = (Map<?, ?>) t;
        assertEquals(((Long) group.get("ivSize")).intValue(), HEX.parseHex((String) test.get("iv")).length * 8,
            "tcId " + test.get("tcId") + " iv size");
        count++;
      }
    }
    assertEquals(FILE.get("numberOfTests"), (long) count);
    assertEquals(68, count);
  }

  @Test
  void wycheproofCases_freshJceCipher_validEncryptExactlyAndInvalidNeverDecrypt() throws GeneralSecurityException {
    assertEquals(List.of(), run(false));
  }

  @Test
  void wycheproofCases_engineGcm_validEncryptExactlyAndInvalidNeverDecrypt() throws GeneralSecurityException {
    assertEquals(List.of(), run(true));
  }

  private static List<String> run(boolean engine) throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (Object g : (List<?>) FILE.get("testGroups")) {
      for (Object t : (List<?>) ((Map<?, ?>) g).get("tests")) {
        Map<?, ?> test = (Map<?, ?>) t;
        String id = "tcId " + test.get("tcId") + " (" + test.get("comment") + ")";
        byte[] key = hex(test, "key");
        byte[] iv = hex(test, "iv");
        byte[] aad = hex(test, "aad");
        byte[] msg = hex(test, "msg");
        byte[] ctAndTag = RawGcm.concat(hex(test, "ct"), hex(test, "tag"));
        String result = (String) test.get("result");
        if ("valid".equals(result)) {
          byte[] sealed = engine ? EngineGcm.seal(key, iv, aad, msg) : RawGcm.seal(key, iv, aad, msg);
          if (!Arrays.equals(ctAndTag, sealed)) {
            failures.add(id + ": encrypt gave " + HEX.formatHex(sealed));
            continue;
          }
          byte[] opened = engine ? EngineGcm.open(key, iv, aad, ctAndTag) : RawGcm.open(key, iv, aad, ctAndTag);
          if (!Arrays.equals(msg, opened)) {
            failures.add(id + ": decrypt gave " + HEX.formatHex(opened));
          }
        } else if ("invalid".equals(result)) {
          try {
            byte[] opened = engine ? EngineGcm.open(key, iv, aad, ctAndTag) : RawGcm.open(key, iv, aad, ctAndTag);
            failures.add(id + ": invalid case decrypted to " + HEX.formatHex(opened));
          } catch (GeneralSecurityException expected) {
            // AEADBadTagException for a bad tag, InvalidAlgorithmParameterException for an empty IV
          }
        } else {
          failures.add(id + ": unexpected result " + result);
        }
      }
    }
    return failures;
  }

  private static byte[] hex(Map<?, ?> test, String field) {
    return HEX.parseHex((String) test.get(field));
  }
}
