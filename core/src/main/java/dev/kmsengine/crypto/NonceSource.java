package dev.kmsengine.crypto;

/**
 * Where a wrapping key's AES-GCM nonces come from; a seam so that known-answer tests can fix them.
 *
 * <h2>Production policy: leased prefix plus counter ({@link #LEASED})</h2>
 * Every {@link CipherState} (one per thread and key, or one per {@link VekRewrapper} and key) leases a 64-bit
 * prefix drawn from {@link Randomness#secureRandom()} and appends a 32-bit big-endian counter starting at 1. When
 * the counter is about to wrap, the state draws a new prefix. The nonce is written into the blob itself, so
 * nothing about the policy is part of the frozen format: readers never interpret nonces.
 *
 * <p>Why not one {@code SecureRandom} call per nonce: it costs 300-700 ns here (more under contention), as much as
 * the AES-GCM operation itself, while the counter costs a few ns.
 *
 * <p>Uniqueness: nonces of one lease differ in their counter. Nonces of two leases can only collide if both
 * leases drew the same 64-bit prefix. A key sees few leases (one per thread or rewrapper that uses it, plus one
 * per 2^32 - 1 wraps), so for L leases the collision chance is below L^2 / 2^65; even a million leases stay under
 * 2^-25, and SP 800-38D's bound for randomly constructed nonces (a collision chance of at most 2^-32 across all
 * invocations with a key) holds for up to about 2^16 leases per key, far more than a rekey or a volume creation
 * path uses. Each SVM-KEK generation is a fresh key, so leases never accumulate across rekeys.
 */
interface NonceSource {
  /** Writes the next {@value WrappedKeyFormat#NONCE_LENGTH}-byte nonce into {@code out} at {@code offset}. */
  void next(CipherState state, byte[] out, int offset);

  /** The production policy described on {@link NonceSource}. */
  NonceSource LEASED = (state, out, offset) -> {
    if (state.counter == 0 || state.counter == -1) {
      Randomness.secureRandom().nextBytes(state.noncePrefix);
      state.counter = 0;
    }
    int c = ++state.counter;
    System.arraycopy(state.noncePrefix, 0, out, offset, 8);
    out[offset + 8] = (byte) (c >>> 24);
    out[offset + 9] = (byte) (c >>> 16);
    out[offset + 10] = (byte) (c >>> 8);
    out[offset + 11] = (byte) c;
  };
}
