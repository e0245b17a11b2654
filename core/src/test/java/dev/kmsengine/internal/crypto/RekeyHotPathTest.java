package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.internal.engine.TestCluster;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Failures of the rekey hot path (blobs read into pages, rewrapped by workers while the encrypted volumes are
 * counted) still fail the whole rekey before its commit, with the error of the first problem.
 */
class RekeyHotPathTest {
  private final InMemoryClusterDatabase db = new InMemoryClusterDatabase();

  private TestCluster cluster() {
    return new TestCluster(KmsEngine.builder(ClusterSpec.builder("c1").nodeCount(2).dataSvms("svm1").build())
        .database(db).parallelism(2));
  }

  @Test
  void rekey_encryptedVolumeWithoutBlob_failsVekMissingAndKeepsTheGeneration() {
    try (TestCluster t = cluster()) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      List<UUID> volumes = volumes(t, 5);
      UUID svm = t.svmUuid("svm1");
      String current = "veks/" + svm + "/1";
      byte[] kept = db.get(current, volumes.get(0));
      db.commit(new WriteBatch().delete(current, volumes.get(3)).put(current, volumes.get(1), new byte[10]));

      Job job = t.await(t.engine.barbican().rekeyInternal(cfg));

      assertEquals(JobState.FAILURE, job.state());
      assertEquals(ErrorCode.VEK_MISSING.code(), job.code());
      assertTrue(job.message().contains(volumes.get(3).toString()), job.message());
      assertEquals(List.of(current), db.buckets("veks/" + svm + "/"));
      assertArrayEquals(kept, db.get(current, volumes.get(0)));
    }
  }

  @Test
  void rekey_blobOfWrongLength_failsInvalidEncryptionBlobNamingTheVolume() {
    try (TestCluster t = cluster()) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      List<UUID> volumes = volumes(t, 5);
      UUID svm = t.svmUuid("svm1");
      String current = "veks/" + svm + "/1";
      db.commit(new WriteBatch().put(current, volumes.get(2), new byte[WrappedKeyFormat.LENGTH + 1]));

      Job job = t.await(t.engine.barbican().rekeyInternal(cfg));

      assertEquals(JobState.FAILURE, job.state());
      assertEquals(ErrorCode.INVALID_ENCRYPTION_BLOB.code(), job.code());
      assertTrue(job.message().contains(volumes.get(2).toString()), job.message());
      assertEquals(List.of(current), db.buckets("veks/" + svm + "/"));
    }
  }

  @Test
  void rekey_blobMovedToAnotherVolume_failsVekInvalid() {
    try (TestCluster t = cluster()) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      List<UUID> volumes = volumes(t, 4);
      String current = "veks/" + t.svmUuid("svm1") + "/1";
      db.commit(new WriteBatch().put(current, volumes.get(0), db.get(current, volumes.get(1))));

      Job job = t.await(t.engine.barbican().rekeyInternal(cfg));

      assertEquals(ErrorCode.VEK_INVALID.code(), job.code());
      assertTrue(job.message().contains(volumes.get(0).toString()), job.message());
    }
  }

  @Test
  void rekey_twice_eachGenerationReplacesTheLastInOneBucket() {
    try (TestCluster t = cluster()) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      volumes(t, 6);
      UUID svm = t.svmUuid("svm1");
      t.succeed(t.engine.barbican().rekeyInternal(cfg));
      t.succeed(t.engine.barbican().rekeyInternal(cfg));
      assertEquals(List.of("veks/" + svm + "/3"), db.buckets("veks/" + svm + "/"));
      assertEquals(6, db.count("veks/" + svm + "/3"));
    }
  }

  @Test
  void rekey_storeLosesAStagedBlob_failsBeforeTheSwitchAndKeepsEveryKey() {
    // A faulty store that silently drops one put of each staging commit: the generation switch must refuse the
    // short bucket, or a volume would be left without its key.
    AtomicReference<String> lossy = new AtomicReference<>();
    ClusterDatabase faulty = new ForwardingClusterDatabase(db) {
      @Override
      public void commit(WriteBatch in) {
        WriteBatch out = new WriteBatch();
        boolean dropped = false;
        for (WriteBatch.Mutation m : in.mutations()) {
          if (!dropped && m.bucket().equals(lossy.get()) && m.value() != null) {
            dropped = true;
          } else if (m.key() == null) {
            out.drop(m.bucket());
          } else if (m.value() == null) {
            out.delete(m.bucket(), m.key());
          } else {
            out.put(m.bucket(), m.key(), m.value());
          }
        }
        delegate.commit(out);
      }
    };
    try (TestCluster t = new TestCluster(KmsEngine.builder(ClusterSpec.builder("c1").nodeCount(2)
        .dataSvms("svm1").build()).database(faulty).parallelism(2))) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      List<UUID> volumes = volumes(t, 5);
      UUID svm = t.svmUuid("svm1");
      lossy.set("veks/" + svm + "/2");

      Job job = t.await(t.engine.barbican().rekeyInternal(cfg));

      assertEquals(JobState.FAILURE, job.state());
      assertEquals(ErrorCode.VDEK_UPDATE_FAILED.code(), job.code());
      assertEquals(List.of("veks/" + svm + "/1"), db.buckets("veks/" + svm + "/"));
      assertEquals(volumes.size(), db.count("veks/" + svm + "/1"));
    }
  }

  private static List<UUID> volumes(TestCluster t, int count) {
    List<UUID> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(t.volume("svm1", "v" + i));
    }
    return out;
  }
}
