package dev.kmsengine.benchmarks;

import dev.kmsengine.barbican.BarbicanKeyProvider;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.internal.engine.Node;
import dev.kmsengine.job.Job;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.io.IOException;
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
 * <p>{@code POST /api/security/barbican-kms/{uuid}/restore} after every node rebooted, with the top-level KEK
 * fetched by {@link BarbicanKeyProvider} from the connector's {@link OpenStackEmulator} over loopback HTTPS. The
 * emulator delays every Keystone and Barbican request by {@code latencyMs}, and each shot starts with the
 * provider's token cache empty (a rebooted node has no token), so a shot pays for the token request and each
 * node's metadata and payload requests, then installs the SVM-KEK and every VEK on every node. Compare
 * {@code nodes=16} with {@code nodes=1}: the nodes fetch in parallel, so 16 nodes should cost well under twice
 * one node. The teardown prints the requests the emulator saw in the last shot.
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

    OpenStackEmulator openstack;
    BarbicanKeyProvider barbican;
    LargeSvm svm;
    private String lastShot = "none";

    /**
     * Builds the engine with one SVM of {@link #volumes} volumes, fetching its KEK from the emulator, then turns
     * on the emulator's latency.
     *
     * @throws IOException if the emulator cannot listen on loopback
     */
    @Setup(Level.Trial)
    public void populate() throws IOException {
      openstack = OpenStackEmulator.builder().start();
      OpenStackEmulator.ApplicationCredential credential = openstack.createApplicationCredential();
      String keyId = openstack.createSecret();
      barbican = BarbicanKeyProvider.builder().trustedCaPem(openstack.caCertificatePem()).build();
      svm = new LargeSvm(volumes, nodes, /* parallelism= */ 2, new LargeSvm.Kms(barbican, keyId,
          openstack.keystoneUrl(), credential.id(), credential.secret()), new InMemoryClusterDatabase());
      // Only the restores are slowed down, not building the SVM.
      openstack.latency(Duration.ofMillis(latencyMs));
    }

    /** Reboots every node before each restore, emptying its key table. */
    @Setup(Level.Invocation)
    public void reboot() {
      for (Node n : Engine.of(svm.engine).state().nodes) {
        n.reboot();
      }
      barbican.invalidate(svm.config);
      openstack.resetCounters();
    }

    /** Records the emulator's request counts of this restore, printed at the end of the trial. */
    @TearDown(Level.Invocation)
    public void count() {
      lastShot = openstack.tokenRequests() + " token, " + openstack.metadataRequests() + " metadata, "
          + openstack.payloadRequests() + " payload";
    }

    /** Closes the engine. */
    @TearDown(Level.Trial)
    public void close() {
      System.out.printf("%nemulator requests in the last restore (%d nodes): %s%n", nodes, lastShot);
      svm.close();
      Engine.of(svm.engine).state().db.close();
      openstack.close();
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
