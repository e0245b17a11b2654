package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two engines on one etcd namespace ("two processes" in one JVM, each with its own store instance): each sees the
 * other's jobs through their records in the store, and a job whose process went away before it ended is reported
 * failed.
 */
class EtcdJobRecordsTest {
  private static final Duration TTL = Duration.ofSeconds(3);
  private static final Duration LONG = Duration.ofSeconds(60);
  private static final ClusterSpec SPEC = ClusterSpec.builder("records").nodes("n1", "n2").build();
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private EtcdClusterDatabase dbA;
  private EtcdClusterDatabase dbB;
  private final CountDownLatch paused = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean pauseNext;
  private KmsEngine a;
  private KmsEngine b;
  private UUID svm;

  @BeforeEach
  void open() {
    dbA = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    dbB = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    // Stops the next commit made under an SVM lock until released, so that a job is caught running.
    ForwardingClusterDatabase pausing = new ForwardingClusterDatabase(dbA) {
      @Override
      public void commit(WriteBatch batch) {
        if (pauseNext && batch.fence() != null) {
          pauseNext = false;
          paused.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        delegate.commit(batch);
      }
    };
    a = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).database(pausing).build();
    b = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).database(dbB).build();
    svm = a.cluster().svms().get(0).uuid();
  }

  @AfterEach
  void close() {
    release.countDown();
    a.close();
    b.close();
    dbB.deleteNamespace();
    dbA.close();
    dbB.close();
  }

  @Test
  void aJobSubmittedToOneProcessIsSeenAndAwaitedThroughTheOther() throws Exception {
    Job job = a.cluster().createVolume(null, svm, "v1", false);
    Job seen = b.awaitJob(job.uuid(), LONG);
    assertEquals(JobState.SUCCESS, seen.state(), "awaited through the other process's record");
    assertEquals(job.resourceUuid(), seen.resourceUuid());
    assertEquals(JobState.SUCCESS, b.job(job.uuid()).orElseThrow().state());
    assertTrue(b.jobs().stream().anyMatch(j -> j.uuid().equals(job.uuid())), "listed by the other process");
    KmsException unknown = assertThrows(KmsException.class, () -> b.awaitJob(UUID.randomUUID(), LONG));
    assertEquals(ErrorCode.ENTRY_NOT_FOUND, unknown.errorCode());
  }

  @Test
  void aRunningJobWhoseProcessWentAwayIsReportedFailed() throws Exception {
    pauseNext = true;
    Job job = a.cluster().createVolume(null, svm, "v1", false);
    assertTrue(paused.await(60, TimeUnit.SECONDS), "the job is running");
    assertEquals(JobState.RUNNING, b.job(job.uuid()).orElseThrow().state(), "seen running by the other process");
    // Process A goes away with its job still running: its leases end (a dead process's expire after the TTL).
    dbA.close();
    Job reported = b.job(job.uuid()).orElseThrow();
    assertEquals(JobState.FAILURE, reported.state());
    assertEquals(ErrorCode.CANCELLED.code(), reported.code());
    assertTrue(reported.message().contains("stopped before the job ended"), reported.message());
    assertFalse(b.cluster().volume(job.resourceUuid()).isPresent(), "nothing of the job was applied");
    assertEquals(JobState.FAILURE, b.awaitJob(job.uuid(), LONG).state(), "awaiting it ends too");
  }
}
