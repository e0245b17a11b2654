package dev.kmsengine.internal.crypto;

/**
 * Where a wrapping key's AES-GCM nonces come from; a seam so that known-answer tests can fix them.
 *
 * <h2>Production policy: a random 96-bit start per lease, then a 96-bit counter ({@link #LEASED})</h2>
 * Every {@link CipherState} (one per thread and key, or one per {@link VekRewrapper} and key) holds a
 * {@link NonceLease}. Its first nonce is 96 bits drawn whole from {@link Randomness#secureRandom()}; each
 * following nonce is the previous one plus 1 modulo 2<sup>96</sup>. No bit of a nonce is fixed: a lease that seals
 * once (a restore, a restart, an SVM-KEK wrap) spends a full 96 bits of randomness. The nonce is written into the
 * blob, so nothing about the policy is part of the frozen format: readers never interpret nonces.
 *
 * <p>This is SP 800-38D §8.2.2's RBG-based construction with an empty free field and a 96-bit random field, each
 * lease starting from an RBG output and continuing with the incrementing function. The standard bounds the
 * collision chance of that construction only for one sequence per key, so here is the bound for any number of
 * leases per key, whatever threads, rewrappers, restores or processes they belong to.
 *
 * <h2>Collision bound</h2>
 * Let a key be used by L leases, lease i sealing n<sub>i</sub> &ge; 1 times from its random start
 * s<sub>i</sub>, and q = &Sigma; n<sub>i</sub> seals in all. Lease i uses the arc s<sub>i</sub>, s<sub>i</sub> + 1,
 * &hellip;, s<sub>i</sub> + n<sub>i</sub> - 1 of the 2<sup>96</sup>-cycle; its own nonces are distinct while
 * n<sub>i</sub> &le; 2<sup>96</sup>. Two arcs meet exactly when s<sub>j</sub> - s<sub>i</sub> mod 2<sup>96</sup>
 * is one of n<sub>i</sub> + n<sub>j</sub> - 1 values, and since the starts are independent and uniform that has
 * probability (n<sub>i</sub> + n<sub>j</sub> - 1) / 2<sup>96</sup>. Summed over all pairs (the union bound):
 * <pre>
 *   P(some nonce repeats under the key) &le; &Sigma;<sub>i&lt;j</sub> (n<sub>i</sub> + n<sub>j</sub> - 1) / 2^96 &lt; (L - 1) · q / 2^96 &le; q^2 / 2^96
 * </pre>
 * the last step because a lease exists only once it seals (L &le; q). So for q = 2<sup>32</sup> seals the chance
 * is below 2<sup>-32</sup> however many leases there are, SP 800-38D's bound; with L = 10<sup>7</sup> leases it is
 * below 10<sup>7</sup> · 2<sup>-64</sup> &asymp; 5.4 × 10<sup>-13</sup> &asymp; 2<sup>-40.7</sup>
 * ({@link #collisionBound}). SP 800-38D §8.3 also caps an RBG-based key at 2<sup>32</sup> seals; an SVM-KEK seals
 * one blob per VEK per generation, far fewer.
 *
 * <h2>Cost</h2>
 * One {@code SecureRandom} call per lease (300-700 ns here), then two stores and an increment per nonce, against
 * one {@code SecureRandom} call per nonce, which costs as much as the AES-GCM operation itself.
 *
 * <h2>No repeat check in {@link Gcm}</h2>
 * Uniqueness rests on this derivation alone. A cipher that remembers its own last nonce would catch a seam stuck on
 * one value but nothing the bound is about (two leases meeting), so none is kept rather than one that claims more
 * than it checks.
 */
interface NonceSource {
  /** Writes the next {@value WrappedKeyFormat#NONCE_LENGTH}-byte nonce into {@code out} at {@code offset}. */
  void next(CipherState state, byte[] out, int offset);

  /** The production policy described on {@link NonceSource}. */
  NonceSource LEASED = (state, out, offset) -> state.nonces.next(out, offset);

  /**
   * The bound above: the chance that {@code seals} nonces drawn by {@code leases} leases of one key repeat, at most
   * (L - 1) · q / 2<sup>96</sup> with L capped at q.
   */
  static double collisionBound(double seals, double leases) {
    return (Math.min(leases, seals) - 1) * seals / 0x1p96;
  }
}
