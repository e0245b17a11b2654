package dev.kmsengine.benchmarks;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.job.Job;
import dev.kmsengine.store.MvStoreClusterDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * {@code java -jar benchmarks/target/benchmarks.jar StartupBenchmark -rf json -rff startup.json}
 *
 * <p>A cluster starting over its data directory, as the simulator does with {@code --data-dir}: one shot opens
 * {@link MvStoreClusterDatabase} on a directory that holds one SVM of {@code volumes} encrypted volumes, builds a
 * {@link KmsEngine} of {@value #NODES} nodes on it, starts {@link dev.kmsengine.BarbicanKms#restoreAll()} and ends when every
 * restore succeeded and each of the {@value #NODES} nodes holds the SVM-KEK and all {@code volumes} VEKs ("keys
 * restored on all 4 nodes"). Closing the engine and the store after the shot is not timed. Only the public API
 * is used for the shot; the directory is written once per trial by {@link LargeSvm}, whose engine is closed
 * before the first shot, so every shot reads the store from its files.
 *
 * <p>Few warm-ups: a real start-up runs in a fresh JVM, so the first warm-up shot (in the log) is the one nearest
 * to it, and the measured shots show the same work with the JIT warm. The trial's setup prints how long writing
 * the directory took. {@code volumes=10000000} (the full mode of {@code benchmarks/run-all.sh}) needs a larger
 * heap than the module's 3 GB default: {@code -jvmArgsAppend -Xmx14g}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = StartupBenchmark.WARMUP_SHOTS)
@Measurement(iterations = BenchmarkDefaults.SINGLE_SHOT_MEASUREMENTS)
public class StartupBenchmark extends BenchmarkDefaults {
  /** The cluster's nodes, every one of which must hold every key before a start-up counts as done. */
  static final int NODES = 4;
  /** Two: enough for the JIT to compile the restore path once before the measured shots. */
  static final int WARMUP_SHOTS = 2;

  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(30);

  /** A data directory of one SVM with {@code volumes} encrypted volumes, and the engine of the current shot. */
  @State(Scope.Benchmark)
  public static class DataDirectory {
    /** Encrypted volumes in the SVM, each with a VEK every node installs on start-up. */
    @Param({"1000000"})
    public int volumes;

    /** The engine's restore threads. */
    @Param({"2"})
    public int threads;

    private Path directory;
    private Path file;
    private LargeSvm.Kms kms;
    private ClusterSpec cluster;
    private MvStoreClusterDatabase database;
    private KmsEngine engine;

    /**
     * Writes the data directory through an engine of {@value #NODES} nodes, then closes that engine and the store.
     *
     * @throws IOException if the temporary directory cannot be created
     */
    @Setup(Level.Trial)
    public void write() throws IOException {
      directory = Files.createTempDirectory("kms-startup-bench");
      file = directory.resolve("cluster.db");
      kms = LargeSvm.Kms.inMemory();
      long start = System.nanoTime();
      try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file);
          LargeSvm svm = new LargeSvm(volumes, NODES, threads, kms, db)) {
        cluster = svm.engine.cluster().spec();
        System.out.printf("%ndata directory: %d volumes written in %d ms%n", svm.volumes,
            (System.nanoTime() - start) / 1_000_000);
      }
    }

    /**
     * Checks that the shot left every key on every node, then closes its engine and store.
     *
     * @throws IllegalStateException if a node lacks a key: the shot did not do the work it timed
     */
    @TearDown(Level.Invocation)
    public void stop() {
      try {
        for (NodeInfo n : engine.cluster().nodes()) {
          if (n.svmKeks() < 1 || n.veks() < volumes) {
            throw new IllegalStateException(n.name() + " holds " + n.svmKeks() + " SVM-KEKs and " + n.veks()
                + " VEKs after start-up, not all " + volumes);
          }
        }
      } finally {
        engine.close();
        database.close();
        engine = null;
        database = null;
      }
    }

    /**
     * Deletes the data directory.
     *
     * @throws IOException if it cannot be deleted
     */
    @TearDown(Level.Trial)
    public void delete() throws IOException {
      try (Stream<Path> files = Files.walk(directory)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /**
   * Opens the store, starts the engine and restores every node's keys.
   *
   * @param d the data directory
   * @return the started engine, so JMH keeps the work alive
   * @throws InterruptedException if interrupted while waiting for a restore
   */
  @Benchmark
  public KmsEngine start(DataDirectory d) throws InterruptedException {
    d.database = MvStoreClusterDatabase.open(d.file);
    d.engine = KmsEngine.builder(d.cluster)
        .keyProvider(d.kms.provider())
        .database(d.database)
        .parallelism(d.threads)
        .build();
    for (Job restore : d.engine.barbican().restoreAll()) {
      d.engine.awaitJob(restore, JOB_TIMEOUT).requireSuccess();
    }
    return d.engine;
  }
}
