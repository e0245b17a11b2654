package dev.kmsengine.internal.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One nonce lease of {@link NonceSource#LEASED}: a 96-bit value drawn whole from {@link Randomness#secureRandom()}
 * at the first nonce, then incremented modulo 2<sup>96</sup> for each following one. Not thread-safe: it belongs
 * to one {@link CipherState}.
 */
final class NonceLease {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  /** The next nonce's first 32 bits. */
  private int high;
  /** The next nonce's last 64 bits. */
  private long low;
  /** Whether {@link #high} and {@link #low} were drawn; false again after {@link #destroy()}. */
  private boolean drawn;
  /** Where the random draw lands, so a lease allocates nothing; zeroised after use. */
  private final byte[] draw = new byte[WrappedKeyFormat.NONCE_LENGTH];

  /** Writes the next {@value WrappedKeyFormat#NONCE_LENGTH}-byte nonce of this lease into {@code out} at {@code offset}. */
  void next(byte[] out, int offset) {
    if (!drawn) {
      Randomness.secureRandom().nextBytes(draw);
      high = (int) INTS.get(draw, 0);
      low = (long) LONGS.get(draw, 4);
      Arrays.fill(draw, (byte) 0);
      drawn = true;
    }
    INTS.set(out, offset, high);
    LONGS.set(out, offset + 4, low);
    if (++low == 0) {
      high++;
    }
  }

  /** Forgets the lease: the next nonce starts a fresh one. */
  void destroy() {
    high = 0;
    low = 0;
    drawn = false;
    Arrays.fill(draw, (byte) 0);
  }
}
