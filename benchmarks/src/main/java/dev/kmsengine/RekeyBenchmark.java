package dev.kmsengine;

import dev.kmsengine.job.Job;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code java -jar benchmarks/target/benchmarks.jar RekeyBenchmark -rf json -rff rekey.json}
 *
 * <p>{@code POST /api/security/barbican-kms/{uuid}/rekey-internal} end to end through {@link KmsEngine}: one shot
 * is one rekey job from submission to success, on an SVM with {@code volumes} encrypted volumes in the in-memory
 * cluster database, the engine configured with {@code threads} rewrap threads. Each shot fetches the top-level
 * KEK, makes a new SVM-KEK generation, rewraps and verifies every VEK, stages the new generation, commits it in
 * one atomic step and drops the old one, so consecutive shots keep rekeying the same SVM.
 *
 * <p>The setup prints the heap the engine retains per volume after a full GC ({@code retained heap: ...}), with
 * the keys installed on the cluster's single node.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = BenchmarkDefaults.SINGLE_SHOT_WARMUPS)
@Measurement(iterations = BenchmarkDefaults.SINGLE_SHOT_MEASUREMENTS)
public class RekeyBenchmark extends BenchmarkDefaults {
  /** A one-node cluster whose SVM holds {@code volumes} encrypted volumes. */
  @State(Scope.Benchmark)
  public static class EncryptedSvm {
    /** Encrypted volumes in the SVM, each with a VEK to rewrap. */
    @Param({"10000", "100000", "1000000"})
    public int volumes;

    /** Threads that rewrap VEKs during the rekey. */
    @Param({"1", "2"})
    public int threads;

    LargeSvm svm;

    /** Builds the engine with one SVM of {@link #volumes} volumes and prints the retained heap per volume. */
    @Setup(Level.Trial)
    public void populate() {
      long before = HeapProbe.retainedBytes();
      svm = new LargeSvm(volumes, /* nodes= */ 1, threads, UnaryOperator.identity());
      long after = HeapProbe.retainedBytes();
      System.out.printf("%nretained heap: %.0f bytes per volume (%d volumes, keys installed on 1 node)%n",
          (after - before) / (double) volumes, volumes);
    }

    /** Closes the engine. */
    @TearDown(Level.Trial)
    public void close() {
      svm.close();
    }
  }

  /**
   * One whole rekey job.
   *
   * @param s the populated SVM
   * @return the finished rekey job, so JMH keeps the work alive
   */
  @Benchmark
  public Job rekey(EncryptedSvm s) {
    return s.svm.rekey();
  }
}
