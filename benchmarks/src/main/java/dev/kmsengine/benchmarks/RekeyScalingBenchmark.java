package dev.kmsengine.benchmarks;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * {@code java -jar benchmarks/target/benchmarks.jar RekeyScalingBenchmark -rf json -rff scaling.json}
 *
 * <p>What a second rewrap thread buys a rekey, measured so that a shared host's drifting speed cancels out. One
 * in-memory cluster database holds one SVM; two engines open it, one with 1 rewrap thread and one with 2, and
 * every shot rekeys the SVM through both, back to back, alternating which goes first. The shot's time is the
 * pair's; the secondary results {@code oneThreadMs} and {@code twoThreadsMs} are each rekey's own time, so their
 * ratio per shot compares two rekeys of the same data made a second apart. ({@link RekeyBenchmark} measures the
 * two settings in separate forks a minute apart, which on a shared 2-core box can differ by a third from the host
 * alone.) One SVM, not one per engine: a second copy would double the live heap, and the garbage collector's
 * concurrent work would then weigh on the 2-thread rekey, which has no idle core to absorb it.
 *
 * <p>{@code -p volumes=1000000,10000000 -jvmArgsAppend "-Xmx14g -XX:+UseG1GC"} adds ten million volumes
 * ({@code benchmarks/run-all.sh --full}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = BenchmarkDefaults.SINGLE_SHOT_WARMUPS)
@Measurement(iterations = RekeyScalingBenchmark.MEASURED_SHOTS)
public class RekeyScalingBenchmark extends BenchmarkDefaults {
  /** More shots than the other single-shot benchmarks: a shot is about a second, and the median steadies. */
  static final int MEASURED_SHOTS = 20;

  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

  /** One SVM of {@code volumes} encrypted volumes, and a second engine (2 rewrap threads) on its database. */
  @State(Scope.Benchmark)
  public static class SharedSvm {
    /** Encrypted volumes in the SVM. */
    @Param({"1000000"})
    public int volumes;

    LargeSvm oneThread;
    KmsEngine twoThreads;
    int shots;

    /** Builds the SVM through the 1-thread engine, then opens the 2-thread engine on the same database. */
    @Setup(Level.Trial)
    public void populate() {
      InMemoryClusterDatabase db = new InMemoryClusterDatabase();
      oneThread = new LargeSvm(volumes, /* nodes= */ 1, /* parallelism= */ 1, LargeSvm.Kms.inMemory(), db);
      twoThreads = KmsEngine.builder(ClusterSpec.builder("bench").nodeCount(1).dataSvms("svm1").build())
          .keyProvider(oneThread.kms.provider())
          .database(db)
          .parallelism(2)
          .build();
    }

    /** Closes both engines. */
    @TearDown(Level.Trial)
    public void close() {
      twoThreads.close();
      oneThread.close();
    }
  }

  /** Each rekey's time in the current shot, reported by JMH as secondary results. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class RekeyTimes {
    /** Milliseconds of the 1-thread rekey in this shot. */
    public double oneThreadMs;
    /** Milliseconds of the 2-thread rekey in this shot. */
    public double twoThreadsMs;

    /** Starts each shot from zero: the counters add up over an iteration, and a shot is one iteration. */
    @Setup(Level.Iteration)
    public void clear() {
      oneThreadMs = 0;
      twoThreadsMs = 0;
    }
  }

  /**
   * One rekey through each engine, the order alternating from shot to shot.
   *
   * @param s the shared SVM and its two engines
   * @param t where each rekey's time goes
   * @return the SVM-KEK generation after both rekeys, so JMH keeps the work alive
   * @throws InterruptedException if interrupted while waiting for a rekey
   */
  @Benchmark
  public long rekeyBoth(SharedSvm s, RekeyTimes t) throws InterruptedException {
    boolean oneFirst = (s.shots++ & 1) == 0;
    if (oneFirst) {
      t.oneThreadMs = timeRekey(s.oneThread.engine, s);
      t.twoThreadsMs = timeRekey(s.twoThreads, s);
    } else {
      t.twoThreadsMs = timeRekey(s.twoThreads, s);
      t.oneThreadMs = timeRekey(s.oneThread.engine, s);
    }
    return Engine.of(s.oneThread.engine).state().keyState(s.oneThread.svm).generation();
  }

  private static double timeRekey(KmsEngine engine, SharedSvm s) throws InterruptedException {
    long start = System.nanoTime();
    engine.awaitJob(engine.barbican().rekeyInternal(s.oneThread.config).uuid(), JOB_TIMEOUT).requireSuccess();
    return (System.nanoTime() - start) / 1e6;
  }
}
