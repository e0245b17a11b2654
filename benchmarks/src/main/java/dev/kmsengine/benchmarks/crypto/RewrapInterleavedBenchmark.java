package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.benchmarks.BenchmarkDefaults;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code java -jar benchmarks/target/benchmarks.jar RewrapInterleavedBenchmark -rf json -rff interleaved.json}
 *
 * <p>The variants of {@link RewrapBenchmark} measured so that a shared host's drifting load cancels out of their
 * ratios. One operation is a round: every variant rewraps all {@value VekBlobs#COUNT} blobs once, back to back,
 * the variant that goes first rotating from round to round; a round takes tens of milliseconds, so every variant
 * gets a slice of each second of the host's load. The secondary results {@code engineNs}, {@code jceReusedNs},
 * ... are each variant's nanoseconds summed over an iteration and {@code rewraps} the rewraps each variant did in
 * it, so a variant's ns per rewrap in an iteration is its counter divided by {@code rewraps}, and the ratio of two
 * variants in one iteration compares work done within the same second. ({@link RewrapBenchmark} measures each
 * variant in its own minute, which on a loaded 2-core box can differ by several times from the host alone; it
 * remains the source of B/op, which load does not change.) {@code verify} is {@code true} for
 * {@code rewrapVerified}'s work, {@code false} for {@code rewrap}'s.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RewrapInterleavedBenchmark extends BenchmarkDefaults {
  private static final String[] VARIANTS = {"engine", "jceReused", "jceNaive", "accp", "bouncyCastle"};

  /** Every variant's rewrapper over the same blobs. */
  @State(Scope.Thread)
  public static class Variants {
    /** {@code true}: open the new blob again and compare, as a rekey does; {@code false}: rewrap only. */
    @Param({"true"})
    public boolean verify;

    VekBlobs in;
    final Rewrap[] rewraps = new Rewrap[VARIANTS.length];
    final byte[] out = new byte[WrappedKeyFormat.LENGTH];
    int round;

    /**
     * Builds the blobs from a fixed seed and one rewrapper per variant.
     *
     * @throws GeneralSecurityException if a provider refuses a key or cipher
     */
    @Setup(Level.Trial)
    public void create() throws GeneralSecurityException {
      in = new VekBlobs(/* seed= */ 42);
      for (int v = 0; v < VARIANTS.length; v++) {
        rewraps[v] = Rewrap.create(VARIANTS[v], in);
      }
    }
  }

  /** Each variant's time in the current iteration, and the rewraps each did, reported as secondary results. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class VariantTimes {
    /** Nanoseconds the engine spent in this iteration. */
    public long engineNs;
    /** Nanoseconds the reused JDK ciphers spent. */
    public long jceReusedNs;
    /** Nanoseconds the per-operation JDK ciphers spent. */
    public long jceNaiveNs;
    /** Nanoseconds ACCP spent. */
    public long accpNs;
    /** Nanoseconds BouncyCastle's lightweight GCM spent. */
    public long bouncyCastleNs;
    /** Rewraps each variant did in this iteration. */
    public long rewraps;

    /** Starts each iteration from zero. */
    @Setup(Level.Iteration)
    public void clear() {
      engineNs = 0;
      jceReusedNs = 0;
      jceNaiveNs = 0;
      accpNs = 0;
      bouncyCastleNs = 0;
      rewraps = 0;
    }

    void add(int variant, long ns) {
      switch (variant) {
        case 0 -> engineNs += ns;
        case 1 -> jceReusedNs += ns;
        case 2 -> jceNaiveNs += ns;
        case 3 -> accpNs += ns;
        default -> bouncyCastleNs += ns;
      }
    }
  }

  /**
   * One round: every variant rewraps every blob once.
   *
   * @param s the variants and their inputs
   * @param t where each variant's time goes
   * @return the last blob written, so JMH keeps the work alive
   * @throws GeneralSecurityException if a blob does not open or a rewrapped one does not match
   */
  @Benchmark
  public byte[] rewrapAll(Variants s, VariantTimes t) throws GeneralSecurityException {
    int first = s.round++ % VARIANTS.length;
    for (int k = 0; k < VARIANTS.length; k++) {
      int v = (first + k) % VARIANTS.length;
      Rewrap rewrap = s.rewraps[v];
      long start = System.nanoTime();
      for (int i = 0; i < VekBlobs.COUNT; i++) {
        rewrap.rewrap(s.in, i, s.out, s.verify);
      }
      t.add(v, System.nanoTime() - start);
    }
    t.rewraps += VekBlobs.COUNT;
    return s.out;
  }
}
