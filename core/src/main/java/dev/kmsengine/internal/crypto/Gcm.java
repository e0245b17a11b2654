package dev.kmsengine.internal.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM (SP 800-38D) with 128-bit tags, built from the JDK's AES block cipher and {@link GhashKey}: one
 * instance per thread and key, not thread-safe.
 *
 * <h2>Why not the JDK's {@code AES/GCM/NoPadding}</h2>
 * For a 32-byte key under 46 bytes of associated data the AES and GHASH work is a few dozen nanoseconds; what a
 * JCE GCM cipher costs is its {@code init}: every nonce rebuilds the GHASH and counter state, about 1 KB of
 * garbage and most of the ~400 ns an operation took on the rekey hot path (this one takes ~150 ns; numbers in
 * {@code benchmarks/README.md}). Here the key's GHASH tables are built once ({@link GhashKey}), and the AES comes from an
 * {@code AES/ECB/NoPadding} cipher initialised once with the key and only ever asked to encrypt counter blocks:
 * it is the JDK's AES-NI intrinsic (constant time, no tables), called once per wrap for all three blocks a wrap
 * needs (the tag mask E(K, J0) and two blocks of key stream). A seal or open allocates nothing.
 *
 * <h2>What it checks</h2>
 * Tags are compared in constant time before any plaintext is written; a failed open writes nothing to
 * {@code out}. Nonce uniqueness is {@link NonceSource}'s job (its Javadoc derives the bound); a {@code Gcm} keeps
 * no record of earlier nonces. Nonces of any non-zero length are accepted (J0 is GHASH of the nonce when it is not
 * 96 bits), so the full NIST and Wycheproof vector sets apply; the engine only uses 96-bit nonces.
 *
 * <h2>What it holds, and {@link #destroy()}</h2>
 * Besides the shared {@link GhashKey}, an instance keeps values derived from H: the running GHASH sum and the two
 * memoised products below (the length block times H is H itself times a public constant, so it gives H away). The
 * tag mask and key stream are zeroised after every operation. {@link #destroy()} zeroises all of it and drops the
 * AES cipher, whose key schedule only the garbage collector can release.
 *
 * <p>{@code out} must not overlap the input, except at exactly the same offset.
 */
final class Gcm {
  /** Tag length in bytes: always the full 128 bits. */
  static final int TAG_LENGTH = 16;
  private static final int BLOCK = 16;
  /** Counter blocks encrypted per call into the JDK cipher: a wrapped key needs exactly 3 (J0 and 2 of stream). */
  private static final int CHUNK_BLOCKS = 16;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private Cipher aes;
  private GhashKey ghash;
  private final long[] acc = new long[2];
  private int groupLeft;
  /** Blocks of {@link #stream} written since it was last zeroised. */
  private int streamUsed;
  // The pre-counter block J0 as its first 8 bytes, next 4 bytes and initial 32-bit counter: the counter blocks
  // are written from these with three stores each rather than copied byte-wise.
  private long j0Head;
  private int j0Mid;
  private int j0Counter;
  private final byte[] counters = new byte[CHUNK_BLOCKS * BLOCK];
  /** E(K, counter blocks): the tag mask in the first block of a message, key stream after it. */
  private final byte[] stream = new byte[CHUNK_BLOCKS * BLOCK];
  private final byte[] tagMask = new byte[BLOCK];

  // Products of the two blocks that repeat from one wrap to the next, so a wrap pays 4 table multiplications
  // instead of 6: the first block of the associated data (the binding's magic, version, role and the start of the
  // SVM uuid) and the length block. Keyed by public values only: the block, its power of H, the lengths. The
  // products themselves are secret (each is a multiple of a power of H) and zeroised by destroy().
  private boolean firstPending;
  private int memoFirstPower;
  private long memoFirstHi;
  private long memoFirstLo;
  private final long[] memoFirst = new long[2];
  /** The lengths whose product is memoised; 0 (no message has both lengths 0 bytes) means none. */
  private long memoLengths;
  private final long[] memoLengthsProduct = new long[2];

  Gcm(SecretKeySpec key, GhashKey ghash) {
    this.aes = blockCipher(key);
    this.ghash = ghash;
  }

  /** The GHASH subkey tables of {@code key}: H = E(K, 0^128). */
  static GhashKey subkey(SecretKeySpec key) {
    byte[] h = new byte[BLOCK];
    try {
      blockCipher(key).doFinal(h, 0, BLOCK, h, 0);
      return new GhashKey((long) LONGS.get(h, 0), (long) LONGS.get(h, 8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's AES refused a 16-byte block", e);
    } finally {
      Arrays.fill(h, (byte) 0);
    }
  }

  private static Cipher blockCipher(SecretKeySpec key) {
    try {
      Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key);
      return c;
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("the JDK provides no AES/ECB/NoPadding", e);
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("not an AES key", e);
    }
  }

  /**
   * Encrypts {@code in[inOff, inOff+inLen)} into {@code out[outOff, outOff+inLen)} and writes the tag after it.
   *
   * @throws InvalidAlgorithmParameterException if the nonce is empty
   */
  void seal(byte[] nonce, int nonceOff, int nonceLen, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff,
      int inLen, byte[] out, int outOff) throws GeneralSecurityException {
    checkLive();
    preCounter(nonce, nonceOff, nonceLen);
    crypt(in, inOff, inLen, out, outOff);
    hash(aad, aadOff, aadLen, out, outOff, inLen);
    int tagOff = outOff + inLen;
    LONGS.set(out, tagOff, acc[0] ^ (long) LONGS.get(tagMask, 0));
    LONGS.set(out, tagOff + 8, acc[1] ^ (long) LONGS.get(tagMask, 8));
    Arrays.fill(tagMask, (byte) 0);
  }

  /**
   * Checks the tag of {@code in[inOff, inOff+inLen)} (ciphertext then tag) and only then decrypts the ciphertext
   * into {@code out[outOff, outOff+inLen-16)}.
   *
   * @throws AEADBadTagException if the input is shorter than a tag or does not authenticate; {@code out} is
   *     untouched
   */
  void open(byte[] nonce, int nonceOff, int nonceLen, byte[] aad, int aadOff, int aadLen, byte[] in, int inOff,
      int inLen, byte[] out, int outOff) throws GeneralSecurityException {
    checkLive();
    if (inLen < TAG_LENGTH) {
      throw new AEADBadTagException("input shorter than the tag");
    }
    int ctLen = inLen - TAG_LENGTH;
    preCounter(nonce, nonceOff, nonceLen);
    // The tag mask is the first block of the first chunk of stream; computing that chunk now costs nothing extra
    // for a short message, and none of it is used unless the tag verifies.
    int first = firstChunk(ctLen);
    hash(aad, aadOff, aadLen, in, inOff, ctLen);
    int tagOff = inOff + ctLen;
    long diff = (acc[0] ^ (long) LONGS.get(stream, 0) ^ (long) LONGS.get(in, tagOff))
        | (acc[1] ^ (long) LONGS.get(stream, 8) ^ (long) LONGS.get(in, tagOff + 8));
    if (diff != 0) {
      Arrays.fill(stream, 0, streamUsed * BLOCK, (byte) 0);
      streamUsed = 0;
      throw new AEADBadTagException("Tag mismatch");
    }
    xorStream(first, in, inOff, ctLen, out, outOff);
  }

  /** A destroyed instance fails with a message, not a {@link NullPointerException} deep inside. */
  private void checkLive() {
    if (aes == null) {
      throw new IllegalStateException("wrapping key was destroyed");
    }
  }

  /** Derives J0 from the nonce (SP 800-38D §7.1 step 2). */
  private void preCounter(byte[] nonce, int nonceOff, int nonceLen) throws InvalidAlgorithmParameterException {
    if (nonceLen == WrappedKeyFormat.NONCE_LENGTH) {
      j0Head = (long) LONGS.get(nonce, nonceOff);
      j0Mid = (int) INTS.get(nonce, nonceOff + 8);
      j0Counter = 1;
    } else if (nonceLen > 0) {
      hash(nonce, nonceOff, 0, nonce, nonceOff, nonceLen);
      j0Head = acc[0];
      j0Mid = (int) (acc[1] >>> 32);
      j0Counter = (int) acc[1];
    } else {
      throw new InvalidAlgorithmParameterException("GCM nonce must not be empty");
    }
  }

  /** CTR-encrypts starting at inc32(J0), keeping E(K, J0) in {@link #tagMask}. */
  private void crypt(byte[] in, int inOff, int len, byte[] out, int outOff) throws GeneralSecurityException {
    int first = firstChunk(len);
    System.arraycopy(stream, 0, tagMask, 0, BLOCK);
    xorStream(first, in, inOff, len, out, outOff);
  }

  /**
   * Encrypts J0 and as many following counter blocks as {@code len} bytes need, up to a chunk, into
   * {@link #stream}; returns the number of blocks encrypted.
   */
  private int firstChunk(int len) throws GeneralSecurityException {
    int blocks = Math.min(CHUNK_BLOCKS, 1 + (len + BLOCK - 1) / BLOCK);
    encryptCounters(0, blocks);
    return blocks;
  }

  /** XORs the key stream (which starts in block 1 of {@link #stream}) over {@code len} bytes, chunk by chunk. */
  private void xorStream(int firstBlocks, byte[] in, int inOff, int len, byte[] out, int outOff)
      throws GeneralSecurityException {
    int done = 0;
    int streamOff = BLOCK;
    int chunkBlocks = firstBlocks;
    int nextCounter = firstBlocks;
    while (true) {
      int n = Math.min(len - done, chunkBlocks * BLOCK - streamOff);
      xor(in, inOff + done, stream, streamOff, out, outOff + done, n);
      done += n;
      if (done == len) {
        break;
      }
      chunkBlocks = Math.min(CHUNK_BLOCKS, (len - done + BLOCK - 1) / BLOCK);
      encryptCounters(nextCounter, chunkBlocks);
      nextCounter += chunkBlocks;
      streamOff = 0;
    }
    Arrays.fill(stream, 0, streamUsed * BLOCK, (byte) 0);
    streamUsed = 0;
  }

  /** {@link #stream}[0, 16·blocks) = E(K, inc32^(from + i)(J0)) for i below {@code blocks}. */
  private void encryptCounters(int from, int blocks) throws GeneralSecurityException {
    for (int i = 0; i < blocks; i++) {
      LONGS.set(counters, i * BLOCK, j0Head);
      INTS.set(counters, i * BLOCK + 8, j0Mid);
      INTS.set(counters, i * BLOCK + 12, j0Counter + from + i);
    }
    aes.update(counters, 0, blocks * BLOCK, stream, 0);
    streamUsed = Math.max(streamUsed, blocks);
  }

  private static void xor(byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int len) {
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      LONGS.set(out, outOff + i, (long) LONGS.get(a, aOff + i) ^ (long) LONGS.get(b, bOff + i));
    }
    for (; i < len; i++) {
      out[outOff + i] = (byte) (a[aOff + i] ^ b[bOff + i]);
    }
  }

  /** {@link #acc} = GHASH(A ‖ pad ‖ C ‖ pad ‖ [len(A)]64 ‖ [len(C)]64) over public inputs. */
  private void hash(byte[] a, int aOff, int aLen, byte[] c, int cOff, int cLen) {
    long blocks = (aLen + BLOCK - 1L) / BLOCK + (cLen + BLOCK - 1L) / BLOCK + 1;
    acc[0] = 0;
    acc[1] = 0;
    // Σ X_i·H^(n-i+1) in groups of POWERS blocks, the first group taking the remainder (see GhashKey).
    groupLeft = (int) ((blocks - 1) % GhashKey.POWERS) + 1;
    firstPending = true;
    absorb(a, aOff, aLen);
    absorb(c, cOff, cLen);
    absorbLengths(aLen, cLen);
  }

  /** The length block is always the last, so it always takes H^1 and its product depends on the lengths alone. */
  private void absorbLengths(int aLen, int cLen) {
    long key = ((long) aLen << 32) | cLen;
    if (key != memoLengths) {
      memoLengthsProduct[0] = 0;
      memoLengthsProduct[1] = 0;
      ghash.multiplyAccumulate(1, aLen * 8L, cLen * 8L, memoLengthsProduct);
      memoLengths = key;
    }
    acc[0] ^= memoLengthsProduct[0];
    acc[1] ^= memoLengthsProduct[1];
  }

  private void absorb(byte[] b, int off, int len) {
    int full = len & ~(BLOCK - 1);
    for (int i = 0; i < full; i += BLOCK) {
      absorbBlock((long) LONGS.get(b, off + i), (long) LONGS.get(b, off + i + 8));
    }
    int rest = len - full;
    if (rest > 0 && off + full + BLOCK <= b.length) {
      // The bytes after the partial block are in the array (the engine pads its associated-data buffer to whole
      // blocks for this): read whole longs and mask, instead of a byte loop.
      long hi = (long) LONGS.get(b, off + full);
      long lo = (long) LONGS.get(b, off + full + 8);
      if (rest < 8) {
        hi &= -1L << (64 - 8 * rest);
        lo = 0;
      } else if (rest > 8) {
        lo &= -1L << (128 - 8 * rest);
      } else {
        lo = 0;
      }
      absorbBlock(hi, lo);
    } else if (rest > 0) {
      long hi = 0;
      long lo = 0;
      for (int i = full; i < len; i++) {
        int p = i - full;
        long v = b[off + i] & 0xffL;
        if (p < 8) {
          hi |= v << (56 - 8 * p);
        } else {
          lo |= v << (56 - 8 * (p - 8));
        }
      }
      absorbBlock(hi, lo);
    }
  }

  private void absorbBlock(long hi, long lo) {
    if (groupLeft == 0) {
      ghash.foldGroup(acc);
      groupLeft = GhashKey.POWERS;
    }
    int power = groupLeft--;
    if (firstPending) {
      // acc is still zero here, so after this block it holds exactly the block's product.
      firstPending = false;
      if (power == memoFirstPower && hi == memoFirstHi && lo == memoFirstLo) {
        acc[0] = memoFirst[0];
        acc[1] = memoFirst[1];
        return;
      }
      ghash.multiplyAccumulate(power, hi, lo, acc);
      memoFirstPower = power;
      memoFirstHi = hi;
      memoFirstLo = lo;
      memoFirst[0] = acc[0];
      memoFirst[1] = acc[1];
      return;
    }
    ghash.multiplyAccumulate(power, hi, lo, acc);
  }

  /**
   * Zeroises every value this instance derived from the key (running sum, memoised products, key stream, tag
   * mask, counter blocks, J0) and drops its AES cipher and GHASH tables; later use throws
   * {@link IllegalStateException}. The zeros are also a consistent empty memo: lengths 0 have product 0, and no
   * block takes power 0.
   */
  void destroy() {
    aes = null;
    ghash = null;
    Arrays.fill(acc, 0);
    groupLeft = 0;
    streamUsed = 0;
    j0Head = 0;
    j0Mid = 0;
    j0Counter = 0;
    Arrays.fill(counters, (byte) 0);
    Arrays.fill(stream, (byte) 0);
    Arrays.fill(tagMask, (byte) 0);
    firstPending = false;
    memoFirstPower = 0;
    memoFirstHi = 0;
    memoFirstLo = 0;
    Arrays.fill(memoFirst, 0);
    memoLengths = 0;
    Arrays.fill(memoLengthsProduct, 0);
  }
}
