package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsengine.crypto.KeyMaterial;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/**
 * The engine's {@link Gcm} against the JDK's {@code AES/GCM/NoPadding} on random inputs, with lengths chosen to
 * cross every boundary of the implementation: partial blocks, GHASH messages longer than {@value
 * GhashKey#POWERS} blocks (where groups are folded), key streams longer than one chunk of counter blocks, and
 * nonces of other lengths than 96 bits.
 */
class GcmCrossCheckTest {
  private static final HexFormat HEX = HexFormat.of();
  // Seeded so that a failure reproduces; the keys are test data, not secrets.
  private final Random random = new Random(0x6c6d_5eedL);

  @Test
  void seal_randomInputs_sameBytesAsJdkAndOpensInBoth() throws GeneralSecurityException {
    List<String> failures = new ArrayList<>();
    for (int round = 0; round < 2_000; round++) {
      byte[] key = bytes(32);
      byte[] nonce = bytes(round % 5 == 0 ? 1 + random.nextInt(64) : 12);
      byte[] aad = bytes(random.nextInt(round % 3 == 0 ? 200 : 50));
      byte[] plain = bytes(random.nextInt(round % 4 == 0 ? 700 : 64));
      byte[] jdk = RawGcm.seal(key, nonce, aad, plain);
      Gcm gcm = EngineGcm.forKey(key);
      byte[] ours = EngineGcm.seal(gcm, nonce, aad, plain);
      String what = "round " + round + " (nonce " + nonce.length + ", aad " + aad.length + ", plaintext "
          + plain.length + ")";
      if (!java.util.Arrays.equals(jdk, ours)) {
        failures.add(what + ": engine " + HEX.formatHex(ours) + " JDK " + HEX.formatHex(jdk));
        continue;
      }
      if (!java.util.Arrays.equals(plain, EngineGcm.open(gcm, nonce, aad, jdk))) {
        failures.add(what + ": engine did not open the JDK's output");
      }
      if (!java.util.Arrays.equals(plain, RawGcm.open(key, nonce, aad, ours))) {
        failures.add(what + ": JDK did not open the engine's output");
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void oneGcm_manyOperationsWithFailuresInterleaved_eachResultMatchesJdk() throws GeneralSecurityException {
    // How WrappingKey drives it: one instance per thread and key, thousands of operations, some of them failing.
    byte[] key = bytes(32);
    Gcm gcm = EngineGcm.forKey(key);
    for (int i = 0; i < 3_000; i++) {
      byte[] nonce = bytes(12);
      byte[] aad = bytes(KeyBinding.LENGTH);
      byte[] plain = bytes(KeyMaterial.LENGTH);
      byte[] sealed = EngineGcm.seal(gcm, nonce, aad, plain);
      assertArrayEquals(RawGcm.seal(key, nonce, aad, plain), sealed, "operation " + i);
      if (i % 3 == 0) {
        byte[] tampered = sealed.clone();
        tampered[random.nextInt(tampered.length)] ^= (byte) (1 << random.nextInt(8));
        assertThrows(AEADBadTagException.class, () -> EngineGcm.open(gcm, nonce, aad, tampered));
      }
      assertArrayEquals(plain, EngineGcm.open(gcm, nonce, aad, sealed), "operation " + i);
    }
  }

  @Test
  void open_anyBitOfNonceAadCiphertextOrTagFlipped_failsAndWritesNothing() throws GeneralSecurityException {
    byte[] key = bytes(32);
    Gcm gcm = EngineGcm.forKey(key);
    byte[] nonce = bytes(12);
    byte[] aad = bytes(KeyBinding.LENGTH);
    byte[] sealed = EngineGcm.seal(gcm, nonce, aad, bytes(KeyMaterial.LENGTH));
    byte[][] inputs = {nonce, aad, sealed};
    for (byte[] input : inputs) {
      for (int bit = 0; bit < input.length * 8; bit++) {
        input[bit / 8] ^= (byte) (1 << (bit % 8));
        byte[] out = new byte[KeyMaterial.LENGTH];
        int b = bit;
        assertThrows(AEADBadTagException.class,
            () -> gcm.open(nonce, 0, nonce.length, aad, 0, aad.length, sealed, 0, sealed.length, out, 0),
            "bit " + b);
        assertArrayEquals(new byte[KeyMaterial.LENGTH], out, "bit " + b + ": plaintext released");
        input[bit / 8] ^= (byte) (1 << (bit % 8));
      }
    }
  }

  @Test
  void sealAndOpen_atOffsetsInsideLargerArrays_touchOnlyTheirRanges() throws GeneralSecurityException {
    byte[] key = bytes(32);
    Gcm gcm = EngineGcm.forKey(key);
    byte[] nonce = bytes(12);
    byte[] aad = bytes(46);
    byte[] plain = bytes(32);
    byte[] in = RawGcm.concat(bytes(5), nonce, bytes(3), aad, bytes(7), plain);
    byte[] out = new byte[11 + 48 + 13];
    gcm.seal(in, 5, 12, in, 20, 46, in, 73, 32, out, 11);
    assertArrayEquals(new byte[11], java.util.Arrays.copyOfRange(out, 0, 11));
    assertArrayEquals(new byte[13], java.util.Arrays.copyOfRange(out, 59, 72));
    assertArrayEquals(RawGcm.seal(key, nonce, aad, plain), java.util.Arrays.copyOfRange(out, 11, 59));
    byte[] back = new byte[40];
    gcm.open(in, 5, 12, in, 20, 46, out, 11, 48, back, 4);
    assertArrayEquals(plain, java.util.Arrays.copyOfRange(back, 4, 36));
    assertArrayEquals(new byte[4], java.util.Arrays.copyOfRange(back, 36, 40));
  }

  @Test
  void ghashTables_everyPower_agreeWithBitSerialMultiplication() {
    long hHi = random.nextLong();
    long hLo = random.nextLong();
    GhashKey tables = new GhashKey(hHi, hLo);
    long[] power = {hHi, hLo};
    for (int k = 1; k <= GhashKey.POWERS; k++) {
      for (int i = 0; i < 200; i++) {
        long xHi = random.nextLong();
        long xLo = random.nextLong();
        long[] expected = new long[2];
        GhashKey.multiply(xHi, xLo, power[0], power[1], expected);
        long[] acc = new long[2];
        tables.multiplyAccumulate(k, xHi, xLo, acc);
        assertArrayEquals(expected, acc, "power " + k + ", sample " + i);
      }
      GhashKey.multiply(power[0], power[1], hHi, hLo, power);
    }
  }

  @Test
  void bitSerialMultiplication_identityAndKnownProduct() {
    // 1 in GCM's bit order is the top bit of the first block (x^0).
    long[] out = new long[2];
    GhashKey.multiply(0x8000000000000000L, 0, 0x0123456789abcdefL, 0xfedcba9876543210L, out);
    assertArrayEquals(new long[] {0x0123456789abcdefL, 0xfedcba9876543210L}, out);
    // x^127 · x = x^128 = x^7 + x^2 + x + 1, which is 0xE1 in the top byte.
    GhashKey.multiply(0, 1, 0x4000000000000000L, 0, out);
    assertArrayEquals(new long[] {0xE100000000000000L, 0}, out);
  }

  @Test
  void destroy_zeroisesTheTables() {
    GhashKey tables = new GhashKey(random.nextLong() | 1, random.nextLong());
    tables.destroy();
    long[] acc = new long[2];
    for (int k = 1; k <= GhashKey.POWERS; k++) {
      tables.multiplyAccumulate(k, -1L, -1L, acc);
    }
    assertArrayEquals(new long[2], acc);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
