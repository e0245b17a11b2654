package dev.kmsengine.internal.crypto;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;

/** A {@link NonceSource} that hands out a fixed list of nonces, for known-answer tests of the wrap format. */
final class FixedNonces implements NonceSource {
  private final Deque<byte[]> nonces = new ArrayDeque<>();

  FixedNonces(String... hexNonces) {
    for (String h : hexNonces) {
      byte[] n = HexFormat.of().parseHex(h);
      if (n.length != WrappedKeyFormat.NONCE_LENGTH) {
        throw new IllegalArgumentException("nonce must be 12 bytes");
      }
      nonces.add(n);
    }
  }

  @Override
  public synchronized void next(CipherState state, byte[] out, int offset) {
    byte[] n = nonces.poll();
    if (n == null) {
      throw new IllegalStateException("test ran out of fixed nonces");
    }
    System.arraycopy(n, 0, out, offset, n.length);
  }
}
