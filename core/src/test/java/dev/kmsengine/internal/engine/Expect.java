package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import org.junit.jupiter.api.function.Executable;

/** Assertions on the engine's two ways of failing: a thrown {@link KmsException}, or a failed job. */
final class Expect {
  private Expect() {}

  static KmsException error(ErrorCode code, String target, Executable call) {
    KmsException e = assertThrows(KmsException.class, call);
    assertEquals(code, e.errorCode(), () -> "unexpected error: " + e.getMessage());
    assertEquals(target, e.target(), "target");
    assertTrue(e.getMessage().startsWith(code.message()), e::getMessage);
    return e;
  }

  static Job failedJob(ErrorCode code, Job finished) {
    assertEquals(JobState.FAILURE, finished.state(), () -> "job did not fail: " + finished);
    assertEquals(code.code(), finished.code(), () -> "unexpected job error: " + finished.message());
    assertEquals(code, finished.error().orElseThrow().errorCode());
    assertTrue(finished.message().startsWith(code.message()), finished::message);
    return finished;
  }
}
