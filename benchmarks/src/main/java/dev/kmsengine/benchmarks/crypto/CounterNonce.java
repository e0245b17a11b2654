package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.internal.crypto.Randomness;

/**
 * The baselines' nonce source: a random 8-byte prefix and a 4-byte counter, the same cost as the engine's leased
 * nonces, so that the comparison measures the cipher calls and not the randomness.
 */
final class CounterNonce {
  private final byte[] prefix = new byte[8];
  private int counter;

  CounterNonce() {
    Randomness.secureRandom().nextBytes(prefix);
  }

  void next(byte[] out, int offset) {
    int c = ++counter;
    System.arraycopy(prefix, 0, out, offset, prefix.length);
    out[offset + 8] = (byte) (c >>> 24);
    out[offset + 9] = (byte) (c >>> 16);
    out[offset + 10] = (byte) (c >>> 8);
    out[offset + 11] = (byte) c;
  }
}
