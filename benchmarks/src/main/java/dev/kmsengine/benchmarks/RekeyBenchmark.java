package dev.kmsengine.benchmarks;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.job.Job;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code java -jar benchmarks/target/benchmarks.jar RekeyBenchmark -rf json -rff rekey.json}
 *
 * <p>{@code POST /api/security/barbican-kms/{uuid}/rekey-internal} end to end through {@link KmsEngine}: one shot
 * is one rekey job from submission to success, on an SVM with {@code volumes} encrypted volumes, the engine
 * configured with {@code threads} rewrap threads. {@code store} picks the cluster database: {@code memory}
 * ({@code InMemoryClusterDatabase}) or {@code durable} ({@link MvStoreClusterDatabase} in a temporary directory,
 * fsync on every commit, deleted after the trial). Each shot fetches the top-level
 * KEK, makes a new SVM-KEK generation, rewraps and verifies every VEK, stages the new generation, commits it in
 * one atomic step and drops the old one, so consecutive shots keep rekeying the same SVM.
 *
 * <p>The setup prints the heap the engine retains per volume after a full GC ({@code retained heap: ...}), with
 * the keys installed on the cluster's single node.
 *
 * <p>Ten million volumes are a {@code -p} value, not a default, so the normal run stays short:
 * {@code -p volumes=1000000,10000000 -jvmArgsAppend "-Xmx14g -XX:+UseG1GC"} (the module's 3 GB heap holds about
 * 5M volumes), as {@code benchmarks/run-all.sh --full} runs it.
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

    /** {@code memory}: {@code InMemoryClusterDatabase}; {@code durable}: {@code MvStoreClusterDatabase} in a temp dir. */
    @Param({"memory", "durable"})
    public String store;

    LargeSvm svm;
    private Path directory;
    private ClusterDatabase database;

    /**
     * Builds the engine with one SVM of {@link #volumes} volumes and prints the retained heap per volume.
     *
     * @throws IOException if the durable store's temporary directory cannot be created
     */
    @Setup(Level.Trial)
    public void populate() throws IOException {
      long before = HeapProbe.retainedBytes();
      switch (store) {
        case "memory" -> database = new InMemoryClusterDatabase();
        case "durable" -> {
          directory = Files.createTempDirectory("kms-rekey-bench");
          database = MvStoreClusterDatabase.open(directory.resolve("cluster.db"));
        }
        default -> throw new IllegalArgumentException("store is memory or durable, not " + store);
      }
      long start = System.nanoTime();
      svm = new LargeSvm(volumes, /* nodes= */ 1, threads, LargeSvm.Kms.inMemory(), database);
      long built = System.nanoTime() - start;
      long after = HeapProbe.retainedBytes();
      System.out.printf("%nretained heap: %.0f bytes per volume (%d volumes, %s store, keys installed on 1 node;"
          + " built in %d ms)%n", (after - before) / (double) volumes, volumes, store, built / 1_000_000);
    }

    /**
     * Closes the engine and the store, and deletes the durable store's directory.
     *
     * @throws IOException if the directory cannot be deleted
     */
    @TearDown(Level.Trial)
    public void close() throws IOException {
      svm.close();
      database.close();
      if (directory != null) {
        try (Stream<Path> files = Files.walk(directory)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
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
