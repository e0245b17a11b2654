package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.TestCluster;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.JobState;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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

      Job job = t.await(t.engine.rekeyInternal(cfg));

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

      Job job = t.await(t.engine.rekeyInternal(cfg));

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

      Job job = t.await(t.engine.rekeyInternal(cfg));

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
      t.succeed(t.engine.rekeyInternal(cfg));
      t.succeed(t.engine.rekeyInternal(cfg));
      assertEquals(List.of("veks/" + svm + "/3"), db.buckets("veks/" + svm + "/"));
      assertEquals(6, db.count("veks/" + svm + "/3"));
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
