package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs of two engines on one etcd namespace ("two processes" in one JVM, each with its own store instance and
 * client) run under the SVM's etcd lock: one waits for the other's, and one whose lock another process took over
 * in the middle of its commit applies nothing.
 */
class EtcdJobLockTest {
  private static final Duration LONG = Duration.ofSeconds(60);
  @TempDir Path dir;
  private TwoEngines t;

  @BeforeEach
  void open() {
    t = new TwoEngines(dir, "locks");
  }

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void aJobWaitsWhileAnotherProcessHoldsItsSvmsLock() throws Exception {
    Job job;
    try (Coordination.SvmLock other = t.dbB.coordination().lockSvm(t.svm, LONG)) {
      job = t.a.cluster().createVolume(null, t.svm, "v1", false);
      Job meanwhile = t.a.awaitJob(job, Duration.ofSeconds(2));
      assertNotEquals(JobState.SUCCESS, meanwhile.state(), "the job does not run while the lock is held");
      assertEquals(List.of(), t.b.cluster().volumes(t.svm), "nothing was committed meanwhile");
      assertTrue(other.held());
    }
    assertEquals(JobState.SUCCESS, t.a.awaitJob(job, LONG).state());
    assertEquals("v1", t.b.cluster().volumes(t.svm).get(0).name(), "the other process sees the volume");
  }

  @Test
  void aJobWhoseLockIsTakenOverMidCommitAppliesNothingAndSaysTheLockWasLost() throws Exception {
    t.pauseNextLockedCommit();
    Job job = t.a.cluster().createVolume(null, t.svm, "v1", false);
    assertTrue(t.paused.await(60, TimeUnit.SECONDS), "the job reached its commit");
    // The job has checked its lock already; its lease is revoked (as if it expired while the process stalled) and
    // another process takes the lock, before the commit reaches etcd.
    revokeLockLeases(t.svm);
    try (Coordination.SvmLock taken = t.dbB.coordination().lockSvm(t.svm, LONG)) {
      assertTrue(taken.held());
      t.release.countDown();
      Job done = t.a.awaitJob(job, LONG);
      assertEquals(JobState.FAILURE, done.state());
      assertEquals(ErrorCode.DATABASE_FAILED.code(), done.code());
      assertTrue(done.message().contains("lock of SVM " + t.svm), done.message());
      assertEquals(List.of(), t.b.cluster().volumes(t.svm), "the commit applied nothing");
    }
    Job again = t.b.cluster().createVolume(null, t.svm, "v1", false);
    assertEquals(JobState.SUCCESS, t.b.awaitJob(again, LONG).state(), "the other process runs the job instead");
    assertEquals(1, t.a.cluster().volumes(t.svm).size());
  }

  /** Revokes the lease of every holder of {@code lockedSvm}'s lock, from a client of its own. */
  private void revokeLockLeases(UUID lockedSvm) throws Exception {
    try (Client other = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      ByteSequence prefix = ByteSequence.from(t.namespace + "c/lock/" + lockedSvm, StandardCharsets.UTF_8);
      List<KeyValue> holders = other.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
          .get(30, TimeUnit.SECONDS).getKvs();
      assertEquals(1, holders.size(), "one holder");
      for (KeyValue kv : holders) {
        other.getLeaseClient().revoke(kv.getLease()).get(30, TimeUnit.SECONDS);
      }
    }
  }
}
