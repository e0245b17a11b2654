package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.WriteBatch;
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
import java.util.concurrent.CountDownLatch;
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
  private static final Duration TTL = Duration.ofSeconds(3);
  private static final Duration LONG = Duration.ofSeconds(60);
  private static final ClusterSpec SPEC = ClusterSpec.builder("locks").nodes("n1", "n2").build();
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private EtcdClusterDatabase dbA;
  private EtcdClusterDatabase dbB;
  private PausingCommits pausing;
  private KmsEngine a;
  private KmsEngine b;
  private UUID svm;

  /** Stops the next commit made under a lock (one that carries a fence) until released. */
  private static final class PausingCommits extends ForwardingClusterDatabase {
    final CountDownLatch paused = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean armed;

    PausingCommits(EtcdClusterDatabase delegate) {
      super(delegate);
    }

    @Override
    public void commit(WriteBatch batch) {
      if (armed && batch.fence() != null) {
        armed = false;
        paused.countDown();
        try {
          assertTrue(release.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      delegate.commit(batch);
    }

    @Override
    public void close() {
      // The test closes the store itself.
    }
  }

  @BeforeEach
  void open() {
    dbA = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    dbB = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    pausing = new PausingCommits(dbA);
    a = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).database(pausing).build();
    b = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).database(dbB).build();
    svm = a.cluster().svms().get(0).uuid();
  }

  @AfterEach
  void close() {
    pausing.release.countDown();
    a.close();
    b.close();
    dbA.deleteNamespace();
    dbA.close();
    dbB.close();
  }

  @Test
  void aJobWaitsWhileAnotherProcessHoldsItsSvmsLock() throws Exception {
    Job job;
    try (Coordination.SvmLock other = dbB.coordination().lockSvm(svm, LONG)) {
      job = a.cluster().createVolume(null, svm, "v1", false);
      Job meanwhile = a.awaitJob(job, Duration.ofSeconds(2));
      assertNotEquals(JobState.SUCCESS, meanwhile.state(), "the job does not run while the lock is held");
      assertEquals(List.of(), b.cluster().volumes(svm), "nothing was committed meanwhile");
      assertTrue(other.held());
    }
    assertEquals(JobState.SUCCESS, a.awaitJob(job, LONG).state());
    assertEquals("v1", b.cluster().volumes(svm).get(0).name(), "the other process sees the volume");
  }

  @Test
  void aJobWhoseLockIsTakenOverMidCommitAppliesNothingAndSaysTheLockWasLost() throws Exception {
    pausing.armed = true;
    Job job = a.cluster().createVolume(null, svm, "v1", false);
    assertTrue(pausing.paused.await(60, TimeUnit.SECONDS), "the job reached its commit");
    // The job has checked its lock already; its lease is revoked (as if it expired while the process stalled) and
    // another process takes the lock, before the commit reaches etcd.
    revokeLockLeases(svm);
    try (Coordination.SvmLock taken = dbB.coordination().lockSvm(svm, LONG)) {
      assertTrue(taken.held());
      pausing.release.countDown();
      Job done = a.awaitJob(job, LONG);
      assertEquals(JobState.FAILURE, done.state());
      assertEquals(ErrorCode.DATABASE_FAILED.code(), done.code());
      assertTrue(done.message().contains("lock of SVM " + svm), done.message());
      assertEquals(List.of(), b.cluster().volumes(svm), "the commit applied nothing");
    }
    Job again = b.cluster().createVolume(null, svm, "v1", false);
    assertEquals(JobState.SUCCESS, b.awaitJob(again, LONG).state(), "the other process runs the job instead");
    assertEquals(1, a.cluster().volumes(svm).size());
  }

  /** Revokes the lease of every holder of {@code svm}'s lock, from a client of its own. */
  private void revokeLockLeases(UUID svm) throws Exception {
    try (Client other = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      ByteSequence prefix = ByteSequence.from(namespace + "c/lock/" + svm, StandardCharsets.UTF_8);
      List<KeyValue> holders = other.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
          .get(30, TimeUnit.SECONDS).getKvs();
      assertEquals(1, holders.size(), "one holder");
      for (KeyValue kv : holders) {
        other.getLeaseClient().revoke(kv.getLease()).get(30, TimeUnit.SECONDS);
      }
    }
  }
}
