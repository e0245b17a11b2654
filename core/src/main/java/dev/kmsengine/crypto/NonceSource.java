package dev.kmsengine.crypto;

/** Where a wrapping key's nonces come from; a seam so that known-answer tests can fix them. */
interface NonceSource {
  /** Writes the next {@value WrappedKeyFormat#NONCE_LENGTH}-byte nonce into {@code out} at {@code offset}. */
  void next(CipherState state, byte[] out, int offset);

  /**
   * The production nonce policy: each thread leases a 64-bit random prefix per key and counts a 32-bit suffix.
   *
   * <p>Why: {@code SecureRandom} costs 300-700 ns per call here, more than the AES-GCM operation itself, while a
   * counter costs a few ns. Two nonces under one key can only collide if two leases draw the same 64-bit prefix;
   * a key sees a handful of leases (one per thread that wraps under it, plus one per 2^32 wraps), so the chance is
   * below L^2 / 2^65 for L leases, far inside SP 800-38D's 2^-32 bound. A lease is renewed before its counter
   * wraps, so a suffix never repeats within a lease.
   */
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
