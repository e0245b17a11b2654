package dev.kmsengine.internal.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.job.Job.Operation;
import dev.kmsengine.job.MutableClock;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.store.ClusterDatabase.Coordination.SvmLock;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobQueueTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T00:00:00Z"));
  private final InMemoryClusterDatabase db = new InMemoryClusterDatabase();
  private final JobQueue queue = new JobQueue(clock, Duration.ofSeconds(300), db, Duration.ofSeconds(30));

  @AfterEach
  void close() {
    queue.close();
  }

  @Test
  void successfulJob_hasTimesCodeZeroAndSuccessMessage() throws Exception {
    UUID resource = UUID.randomUUID();
    Job job = queue.submit(Operation.RESTORE, null, resource, ctx -> clock.advance(Duration.ofSeconds(2)));
    Job done = queue.await(job.uuid(), Duration.ofSeconds(10));
    assertEquals(JobState.SUCCESS, done.state());
    assertEquals(0, done.code());
    assertEquals("success", done.message());
    assertEquals(Operation.RESTORE, done.operation());
    assertEquals(resource, done.resourceUuid());
    assertEquals(Duration.ofSeconds(2), Duration.between(done.startTime(), done.endTime()));
    assertTrue(done.error().isEmpty());
  }

  @Test
  void failedJob_carriesTheErrorCodeMessageTargetAndNodeResults() throws Exception {
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> {
      ctx.nodes(List.of(NodeStatus.success("node1"), NodeStatus.failure("node2", ErrorCode.UNREACHABLE, "down")));
      throw new KmsException(ErrorCode.RESTORE_FAILED, "uuid", "Node: node2.");
    });
    Job done = queue.await(job.uuid(), Duration.ofSeconds(10));
    assertEquals(JobState.FAILURE, done.state());
    assertEquals(65539842, done.code());
    assertEquals(ErrorCode.RESTORE_FAILED.message() + " Node: node2.", done.message());
    assertEquals("uuid", done.error().orElseThrow().target());
    assertEquals(2, done.nodes().size());
  }

  @Test
  void unexpectedException_failsTheJobInsteadOfHangingIt() throws Exception {
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> {
      throw new IllegalStateException("bug");
    });
    Job done = queue.await(job.uuid(), Duration.ofSeconds(10));
    assertEquals(JobState.FAILURE, done.state());
    assertFalse(done.message().contains("bug"), "internal exception messages are not shown");
    assertEquals(ErrorCode.INTERNAL_ERROR, done.error().orElseThrow().errorCode(), "a bug is no ONTAP error");
    assertEquals(ErrorCode.INTERNAL_ERROR.message(), done.message());
    assertFalse(ErrorCode.INTERNAL_ERROR.isOntapCode());
  }

  @Test
  void interruptedJob_failsAsCancelled() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> {
      started.countDown();
      new CountDownLatch(1).await();
    });
    assertTrue(started.await(30, TimeUnit.SECONDS));
    queue.close();
    Job done = queue.await(job.uuid(), Duration.ofSeconds(30));
    assertEquals(JobState.FAILURE, done.state());
    assertEquals(ErrorCode.CANCELLED, done.error().orElseThrow().errorCode());
    assertEquals(ErrorCode.CANCELLED.message(), done.message());
  }

  @Test
  void await_returnsTheRunningJobWhenTheTimeRunsOut() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> {
      ctx.progress("halfway");
      release.await(10, TimeUnit.SECONDS);
    });
    Job waited = queue.await(job.uuid(), Duration.ofMillis(50));
    assertFalse(waited.state().isTerminal());
    release.countDown();
    assertEquals(JobState.SUCCESS, queue.await(job.uuid(), Duration.ofSeconds(10)).state());
  }

  @Test
  void finishedJobs_arePurgedAfterTheRetentionPeriod() throws Exception {
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> { });
    queue.await(job.uuid(), Duration.ofSeconds(10));
    clock.advance(Duration.ofSeconds(299));
    assertTrue(queue.get(job.uuid()).isPresent());
    clock.advance(Duration.ofSeconds(2));
    assertTrue(queue.get(job.uuid()).isEmpty());
    assertTrue(queue.list().isEmpty());
    KmsException e = assertThrows(KmsException.class, () -> queue.await(job.uuid(), Duration.ZERO));
    assertEquals(ErrorCode.ENTRY_NOT_FOUND, e.errorCode());
  }

  @Test
  void runningJobs_areNeverPurged() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Job job = queue.submit(Operation.RESTORE, null, null, ctx -> release.await(10, TimeUnit.SECONDS));
    clock.advance(Duration.ofHours(1));
    assertTrue(queue.get(job.uuid()).isPresent());
    release.countDown();
  }

  @Test
  void jobsOfOneSvm_runOneAtATimeInSubmissionOrder() throws Exception {
    UUID svm = UUID.randomUUID();
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> order = new CopyOnWriteArrayList<>();
    Job first = queue.submit(Operation.RESTORE, svm, null, ctx -> {
      release.await(10, TimeUnit.SECONDS);
      order.add(1);
    });
    // Give the first job time to take the lock, so the rest queue behind it.
    waitUntilRunning(first);
    Job second = queue.submit(Operation.RESTORE, svm, null, ctx -> order.add(2));
    Job third = queue.submit(Operation.RESTORE, svm, null, ctx -> order.add(3));
    Thread.sleep(50);
    assertEquals(JobState.QUEUED, queue.get(second.uuid()).orElseThrow().state());
    assertNull(queue.get(third.uuid()).orElseThrow().startTime());
    release.countDown();
    queue.await(second.uuid(), Duration.ofSeconds(10));
    queue.await(third.uuid(), Duration.ofSeconds(10));
    assertEquals(List.of(1, 2, 3), order);
  }

  @Test
  void manyJobsOfOneSvm_submittedBackToBack_runInSubmissionOrder() throws Exception {
    // Each job used to get its own thread racing for the SVM's fair lock, so the scheduler decided the order.
    UUID svm = UUID.randomUUID();
    List<Integer> order = new CopyOnWriteArrayList<>();
    List<Job> submitted = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      submitted.add(queue.submit(Operation.RESTORE, svm, null, ctx -> order.add(n)));
    }
    for (Job j : submitted) {
      queue.await(j.uuid(), Duration.ofSeconds(10));
    }
    assertEquals(java.util.stream.IntStream.range(0, 200).boxed().toList(), order);
  }

  @Test
  void jobsOfDifferentSvms_runInParallel() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Job blocked = queue.submit(Operation.RESTORE, UUID.randomUUID(), null, ctx -> release.await(10, TimeUnit.SECONDS));
    Job other = queue.submit(Operation.RESTORE, UUID.randomUUID(), null, ctx -> { });
    assertEquals(JobState.SUCCESS, queue.await(other.uuid(), Duration.ofSeconds(10)).state());
    assertFalse(queue.get(blocked.uuid()).orElseThrow().state().isTerminal());
    release.countDown();
    assertNotNull(queue.await(blocked.uuid(), Duration.ofSeconds(10)).endTime());
  }

  private void waitUntilRunning(Job job) throws InterruptedException {
    for (int i = 0; i < 500 && queue.get(job.uuid()).orElseThrow().state() != JobState.RUNNING; i++) {
      Thread.sleep(10);
    }
    assertEquals(JobState.RUNNING, queue.get(job.uuid()).orElseThrow().state());
  }

  @Test
  void aJobWaitsForItsSvmLockHeldElsewhereAndFailsNamingTheSvmWhenTheWaitRunsOut() throws Exception {
    UUID svm = UUID.randomUUID();
    try (JobQueue shortWait = new JobQueue(clock, Duration.ofSeconds(300), db, Duration.ofMillis(200));
        SvmLock other = db.coordination().lockSvm(svm, Duration.ofSeconds(1))) {
      assertTrue(other.held());
      Job done = shortWait.await(shortWait.submit(Operation.RESTORE, svm, null, ctx -> { }).uuid(),
          Duration.ofSeconds(30));
      assertEquals(JobState.FAILURE, done.state());
      assertEquals(ErrorCode.DATABASE_FAILED.code(), done.code());
      assertTrue(done.message().contains("lock of SVM " + svm), done.message());
      StoreException e = assertThrows(StoreException.class, () -> shortWait.exclusive(svm, () -> "ran"));
      assertTrue(e.getMessage().contains(svm.toString()), e.getMessage());
    }
    Job after = queue.await(queue.submit(Operation.RESTORE, svm, null, ctx -> { }).uuid(), Duration.ofSeconds(30));
    assertEquals(JobState.SUCCESS, after.state(), "the lock is free again once released");
  }

  @Test
  void aJobBodyAndTheThreadsItBindsCommitUnderItsSvmLockAndReleaseItAtTheEnd() throws Exception {
    UUID svm = UUID.randomUUID();
    List<UUID> seen = new CopyOnWriteArrayList<>();
    Job job = queue.submit(Operation.RESTORE, svm, null, ctx -> {
      seen.add(JobLocks.current().svm());
      ctx.ensureHeld();
      ExecutorService worker = Executors.newSingleThreadExecutor();
      try {
        seen.add(worker.submit(JobLocks.bind(() -> JobLocks.current().svm())).get(30, TimeUnit.SECONDS));
      } finally {
        worker.shutdown();
      }
      queue.exclusive(svm, () -> seen.add(JobLocks.current().svm()));
      JobLocks.checkingCommits(db).commit(new WriteBatch().put("b", svm, new byte[] {1}));
    });
    assertEquals(JobState.SUCCESS, queue.await(job.uuid(), Duration.ofSeconds(30)).state());
    assertEquals(List.of(svm, svm, svm), seen, "the job thread, a bound task and a nested exclusive call");
    assertNull(JobLocks.current(), "the test thread works under no lock");
    try (SvmLock free = db.coordination().lockSvm(svm, Duration.ofSeconds(5))) {
      assertTrue(free.held(), "released when the job ended");
    }
    assertEquals(1, db.count("b"));
  }

  @Test
  void aCommitUnderAReleasedLockIsRefusedAndAppliesNothing() {
    UUID svm = UUID.randomUUID();
    JobLocks.Scope scope = JobLocks.take(db.coordination(), svm, Duration.ofSeconds(5));
    try {
      scope.lock.close();
      StoreException e = assertThrows(StoreException.class,
          () -> JobLocks.checkingCommits(db).commit(new WriteBatch().put("b", svm, new byte[] {1})));
      assertTrue(e.getMessage().contains(svm.toString()), e.getMessage());
    } finally {
      scope.close();
    }
    assertEquals(0, db.count("b"));
  }

  @Test
  void withASingleProcessDatabaseNoJobRecordIsWritten() throws Exception {
    Job job = queue.submit(Operation.RESTORE, UUID.randomUUID(), null, ctx -> { });
    assertEquals(JobState.SUCCESS, queue.await(job.uuid(), Duration.ofSeconds(30)).state());
    assertEquals(List.of(), db.buckets(""), "nothing in the store");
  }
}
