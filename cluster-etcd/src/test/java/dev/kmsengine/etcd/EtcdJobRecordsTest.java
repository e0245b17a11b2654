package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
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
  private static final Duration LONG = Duration.ofSeconds(60);
  @TempDir Path dir;
  private TwoEngines t;

  @BeforeEach
  void open() {
    t = new TwoEngines(dir, "records");
  }

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void aJobSubmittedToOneProcessIsSeenAndAwaitedThroughTheOther() throws Exception {
    Job job = t.a.cluster().createVolume(null, t.svm, "v1", false);
    Job seen = t.b.awaitJob(job.uuid(), LONG);
    assertEquals(JobState.SUCCESS, seen.state(), "awaited through the other process's record");
    assertEquals(job.resourceUuid(), seen.resourceUuid());
    assertEquals(JobState.SUCCESS, t.b.job(job.uuid()).orElseThrow().state());
    assertTrue(t.b.jobs().stream().anyMatch(j -> j.uuid().equals(job.uuid())), "listed by the other process");
    KmsException unknown = assertThrows(KmsException.class, () -> t.b.awaitJob(UUID.randomUUID(), LONG));
    assertEquals(ErrorCode.ENTRY_NOT_FOUND, unknown.errorCode());
  }

  @Test
  void aRunningJobWhoseProcessWentAwayIsReportedFailed() throws Exception {
    t.pauseNextLockedCommit();
    Job job = t.a.cluster().createVolume(null, t.svm, "v1", false);
    assertTrue(t.paused.await(60, TimeUnit.SECONDS), "the job is running");
    assertEquals(JobState.RUNNING, t.b.job(job.uuid()).orElseThrow().state(), "seen running by the other process");
    // Process A goes away with its job still running: its leases end (a dead process's expire after the TTL).
    t.dbA.close();
    Job reported = t.b.job(job.uuid()).orElseThrow();
    assertEquals(JobState.FAILURE, reported.state());
    assertEquals(ErrorCode.CANCELLED.code(), reported.code());
    assertTrue(reported.message().contains("stopped before the job ended"), reported.message());
    assertFalse(t.b.cluster().volume(job.resourceUuid()).isPresent(), "nothing of the job was applied");
    assertEquals(JobState.FAILURE, t.b.awaitJob(job.uuid(), LONG).state(), "awaiting it ends too");
  }

  @Test
  void aJobOfAKilledProcessIsReportedFailedOnceItsLeaseExpires() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), JobProcess.class.getName(), dir.toString(), t.namespace, "records",
        Long.toString(TwoEngines.TTL.toSeconds())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("job ")) {
        // Skips anything a library prints first.
      }
      assertTrue(line != null, "the child process reached its job's commit");
      UUID job = UUID.fromString(line.substring(4));
      assertEquals(JobState.RUNNING, t.b.job(job).orElseThrow().state(), "running in the child, as its record says");
      p.destroyForcibly();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      Job reported = t.b.awaitJob(job, LONG);
      assertEquals(JobState.FAILURE, reported.state(), "reported failed once the dead process's lease expired");
      assertEquals(ErrorCode.CANCELLED.code(), reported.code());
      assertTrue(reported.message().contains("stopped before the job ended"), reported.message());
      assertFalse(t.b.cluster().volume(reported.resourceUuid()).isPresent(), "nothing of the job was applied");
    } finally {
      p.destroyForcibly();
    }
  }
}
