package dev.kmsengine.internal.crypto;

import java.util.Arrays;

/**
 * The precomputed GHASH subkey of one AES key (SP 800-38D §6.4): tables of the multiples of H, H², …,
 * H<sup>{@value #POWERS}</sup>, shared read-only by every thread that uses the key.
 *
 * <h2>Why tables, and why they do not leak H</h2>
 * GHASH is Σ X<sub>i</sub>·H<sup>n-i+1</sup> over the blocks X<sub>i</sub> of the associated data, the
 * ciphertext and the length block. The usual table method (Shoup's) evaluates it by Horner's rule, indexing a
 * table of H's multiples with the running sum, which depends on H: its cache footprint leaks the key. Here each
 * block is multiplied by its own power of H directly, X·H<sup>k</sup> being the XOR of one table entry per
 * 4-bit nibble of X. The index of every lookup is a nibble of X, and every X is public (associated data,
 * ciphertext, lengths), so the memory access pattern tells an observer nothing they could not read off the blob.
 * The secret (the table contents) only flows through XORs.
 *
 * <p>A message of up to {@value #POWERS} blocks (a wrapped key is exactly 3 + 2 + 1) costs only lookups. Longer
 * messages are hashed in groups of {@value #POWERS} blocks, folding the running sum in with a bit-serial,
 * branch-free multiplication by H<sup>{@value #POWERS}</sup> ({@link #multiply}), which is slow but does not
 * depend on table lookups.
 *
 * <h2>Size</h2>
 * 32 nibble positions × 16 values × 16 bytes = 8 KB per power, {@value #POWERS} powers = 48 KB per key, built
 * on first use (about 10 µs) and zeroised by {@link #destroy()}.
 *
 * <h2>Representation</h2>
 * A field element is two longs, {@code hi} and {@code lo}: the block's bytes read big-endian, so the most
 * significant bit of {@code hi} is the coefficient of x<sup>0</sup>, as in SP 800-38D's bit order.
 */
final class GhashKey {
  /** Blocks hashed by table lookups alone: the 6 blocks of a wrapped key (3 of AAD, 2 of key, 1 of lengths). */
  static final int POWERS = 6;
  /** Longs per power: 32 nibble positions × 16 values × (hi, lo). */
  static final int LONGS_PER_POWER = 32 * 16 * 2;
  /** The reduction constant of GCM's field, x^128 + x^7 + x^2 + x + 1, in this bit order. */
  private static final long R = 0xE100000000000000L;

  /** Entry {@code ((k - 1) * 32 + position) * 32 + 2 * nibble} is {@code (hi, lo)} of nibble·x^(4·position)·H^k. */
  private final long[] tables = new long[POWERS * LONGS_PER_POWER];
  /** H^POWERS, for folding the running sum between groups of blocks. */
  private final long[] top = new long[2];

  /** Builds the tables for hash subkey {@code H = (hHi, hLo)}, i.e. E(K, 0^128) read big-endian. */
  GhashKey(long hHi, long hLo) {
    long[] power = {hHi, hLo};
    long[] scratch = new long[2 * 128];
    for (int k = 1; k <= POWERS; k++) {
      fill(k, power, scratch);
      if (k < POWERS) {
        multiply(power[0], power[1], hHi, hLo, power);
      }
    }
    top[0] = power[0];
    top[1] = power[1];
    Arrays.fill(power, 0);
    Arrays.fill(scratch, 0);
  }

  /** Fills the table of {@code power} = H^k: every nibble value at every position, times H^k. */
  private void fill(int k, long[] power, long[] shifted) {
    // shifted[2i, 2i+1] = H^k · x^i. The loop bounds and branches below depend only on i, j and v, never on H.
    long vh = power[0];
    long vl = power[1];
    for (int i = 0; i < 128; i++) {
      shifted[2 * i] = vh;
      shifted[2 * i + 1] = vl;
      long carry = -(vl & 1);
      vl = (vl >>> 1) | (vh << 63);
      vh = (vh >>> 1) ^ (R & carry);
    }
    int base = (k - 1) * LONGS_PER_POWER;
    for (int position = 0; position < 32; position++) {
      for (int v = 0; v < 16; v++) {
        long zh = 0;
        long zl = 0;
        for (int b = 0; b < 4; b++) {
          if ((v & (8 >>> b)) != 0) {
            zh ^= shifted[2 * (4 * position + b)];
            zl ^= shifted[2 * (4 * position + b) + 1];
          }
        }
        tables[base + position * 32 + 2 * v] = zh;
        tables[base + position * 32 + 2 * v + 1] = zl;
      }
    }
  }

  /**
   * XORs {@code X·H^k} into {@code acc}, where {@code X = (xHi, xLo)} is public data: every lookup is indexed by a
   * nibble of X (see the class comment).
   */
  // Unrolled by hand, with one accumulator pair per half of X so the two XOR chains run in parallel: 23 ns per
  // multiplication on the benchmark box against 36 ns for the equivalent 16-step loop.
  void multiplyAccumulate(int k, long xHi, long xLo, long[] acc) {
    long[] t = tables;
    int b = (k - 1) * LONGS_PER_POWER;
    int i;
    int j;
    long zh;
    long zl;
    long yh;
    long yl;
    i = b + 0 + ((int) (xHi >>> 59) & 30);
    zh = t[i];
    zl = t[i + 1];
    i = b + 32 + ((int) (xHi >>> 55) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 64 + ((int) (xHi >>> 51) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 96 + ((int) (xHi >>> 47) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 128 + ((int) (xHi >>> 43) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 160 + ((int) (xHi >>> 39) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 192 + ((int) (xHi >>> 35) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 224 + ((int) (xHi >>> 31) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 256 + ((int) (xHi >>> 27) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 288 + ((int) (xHi >>> 23) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 320 + ((int) (xHi >>> 19) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 352 + ((int) (xHi >>> 15) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 384 + ((int) (xHi >>> 11) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 416 + ((int) (xHi >>> 7) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 448 + ((int) (xHi >>> 3) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    i = b + 480 + ((int) (xHi << 1) & 30);
    zh ^= t[i];
    zl ^= t[i + 1];
    j = b + 512 + ((int) (xLo >>> 59) & 30);
    yh = t[j];
    yl = t[j + 1];
    j = b + 544 + ((int) (xLo >>> 55) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 576 + ((int) (xLo >>> 51) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 608 + ((int) (xLo >>> 47) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 640 + ((int) (xLo >>> 43) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 672 + ((int) (xLo >>> 39) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 704 + ((int) (xLo >>> 35) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 736 + ((int) (xLo >>> 31) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 768 + ((int) (xLo >>> 27) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 800 + ((int) (xLo >>> 23) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 832 + ((int) (xLo >>> 19) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 864 + ((int) (xLo >>> 15) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 896 + ((int) (xLo >>> 11) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 928 + ((int) (xLo >>> 7) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 960 + ((int) (xLo >>> 3) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    j = b + 992 + ((int) (xLo << 1) & 30);
    yh ^= t[j];
    yl ^= t[j + 1];
    acc[0] ^= zh ^ yh;
    acc[1] ^= zl ^ yl;
  }

  /** Replaces {@code acc} (secret: a running GHASH sum) by {@code acc·H^POWERS}, in constant time. */
  void foldGroup(long[] acc) {
    multiply(acc[0], acc[1], top[0], top[1], acc);
  }

  /**
   * {@code out = X·Y} in GF(2^128), bit-serial and branch-free, for operands that may be secret. About 128 × 10
   * operations: used to build the tables and between groups of a long message, never per block of a wrap.
   */
  static void multiply(long xHi, long xLo, long yHi, long yLo, long[] out) {
    long zh = 0;
    long zl = 0;
    long vh = yHi;
    long vl = yLo;
    for (int i = 0; i < 128; i++) {
      long bit = i < 64 ? xHi >>> (63 - i) : xLo >>> (127 - i);
      long mask = -(bit & 1);
      zh ^= vh & mask;
      zl ^= vl & mask;
      long carry = -(vl & 1);
      vl = (vl >>> 1) | (vh << 63);
      vh = (vh >>> 1) ^ (R & carry);
    }
    out[0] = zh;
    out[1] = zl;
  }

  /** Zeroises the tables: with H, anyone holding one valid blob could forge others under its nonce. */
  void destroy() {
    Arrays.fill(tables, 0);
    Arrays.fill(top, 0);
  }
}
