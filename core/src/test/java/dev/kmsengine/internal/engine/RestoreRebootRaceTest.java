package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Regression: a node rebooted while a restore was installing VEKs kept the VEKs installed after its wipe (without
 * an SVM-KEK) and the restore reported success. Now the node ends empty and the restore reports it.
 */
class RestoreRebootRaceTest {
  /** Runs {@code onVek} after the third entry of any VEK bucket a reader walks. */
  private static final class RebootingDatabase extends ForwardingClusterDatabase {
    volatile Runnable onVek = () -> { };

    RebootingDatabase() {
      super(new InMemoryClusterDatabase());
    }

    @Override
    public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
      AtomicInteger seen = new AtomicInteger();
      delegate.forEach(bucket, (k, v) -> {
        action.accept(k, v);
        if (bucket.startsWith("veks/") && seen.incrementAndGet() == 3) {
          onVek.run();
        }
      });
    }
  }

  @Test
  void nodeRebootedWhileRestoreInstallsVeks_endsEmpty_andRestoreReportsIt() {
    RebootingDatabase db = new RebootingDatabase();
    try (TestCluster t = new TestCluster(KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(4)
        .dataSvms("svm1").build()).database(db))) {
      UUID c = t.enabledConfig("svm1", "c", KEY_1);
      for (int i = 0; i < 10; i++) {
        t.engine.cluster().writeBlock("node1", t.volume("svm1", "v" + i), 0, new byte[] {(byte) i});
      }
      t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
      db.onVek = () -> {
        db.onVek = () -> { };
        t.engine.cluster().rebootNode("node2");
      };

      Job job = Expect.failedJob(ErrorCode.RESTORE_FAILED, t.await(t.engine.barbican().restore(c)));

      NodeStatus node2 = job.nodes().get(1);
      assertEquals("node2", node2.node());
      assertTrue(!node2.ok() && node2.message().contains("during the restore"), node2.toString());
      NodeInfo n2 = t.engine.cluster().nodes().get(1);
      assertEquals(0, n2.veks(), "no VEK landed after the wipe");
      assertEquals(0, n2.svmKeks());
      assertEquals(10, t.engine.cluster().nodes().get(0).veks(), "the other nodes restored everything");

      t.succeed(t.engine.barbican().restore(c));
      UUID v = t.engine.cluster().volumes(t.svmUuid("svm1")).get(0).uuid();
      assertArrayEquals(t.engine.cluster().readBlock("node1", v, 0), t.engine.cluster().readBlock("node2", v, 0));
    }
  }
}
