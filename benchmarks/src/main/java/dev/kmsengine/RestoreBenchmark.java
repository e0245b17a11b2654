package dev.kmsengine;

import dev.kmsengine.job.Job;
import dev.kmsengine.kek.DelayingKeyProvider;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * {@code java -jar benchmarks/target/benchmarks.jar RestoreBenchmark -rf json -rff restore.json}
 *
 * <p>{@code POST /api/security/barbican-kms/{uuid}/restore} after every node rebooted: each node fetches the
 * top-level KEK through its own path, which takes {@code latencyMs} (a {@link DelayingKeyProvider} around the
 * in-memory provider), then the SVM-KEK and every VEK are installed on every node. Compare {@code nodes=16} with
 * {@code nodes=1}: the fetches overlap, so 16 nodes should cost well under twice one node.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = BenchmarkDefaults.SINGLE_SHOT_WARMUPS)
@Measurement(iterations = BenchmarkDefaults.SINGLE_SHOT_MEASUREMENTS)
public class RestoreBenchmark extends BenchmarkDefaults {
  /** A cluster whose nodes have all just rebooted, so their key tables are empty. */
  @State(Scope.Benchmark)
  public static class RebootedCluster {
    /** Nodes in the cluster, each fetching the KEK on its own path. */
    @Param({"1", "16"})
    public int nodes;

    /** The simulated Barbican latency of each KEK fetch, in milliseconds. */
    @Param({"200"})
    public int latencyMs;

    /** Encrypted volumes in the SVM, whose VEKs every node installs. */
    @Param({"1000"})
    public int volumes;

    LargeSvm svm;

    /** Builds the engine with one SVM of {@link #volumes} volumes behind a delaying key provider. */
    @Setup(Level.Trial)
    public void populate() {
      Duration latency = Duration.ofMillis(latencyMs);
      svm = new LargeSvm(volumes, nodes, /* parallelism= */ 2, p -> new DelayingKeyProvider(p, latency));
    }

    /** Reboots every node before each restore, emptying its key table. */
    @Setup(Level.Invocation)
    public void reboot() {
      for (Node n : svm.engine.nodes) {
        n.reboot();
      }
    }

    /** Closes the engine. */
    @TearDown(Level.Trial)
    public void close() {
      svm.close();
    }
  }

  /**
   * One whole restore job.
   *
   * @param c the rebooted cluster
   * @return the finished restore job, so JMH keeps the work alive
   */
  @Benchmark
  public Job restore(RebootedCluster c) {
    return c.svm.restore();
  }
}
