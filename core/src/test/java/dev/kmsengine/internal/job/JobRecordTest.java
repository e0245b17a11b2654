package dev.kmsengine.internal.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.job.Job.Operation;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobRecordTest {
  @Test
  void aFailedJobWithNodeResultsReadsBackAsWritten() {
    Job job = new Job(UUID.randomUUID(), Operation.RESTORE, JobState.FAILURE, ErrorCode.RESTORE_FAILED.code(),
        "Restore failed. Node: n2.", Instant.parse("2026-12-01T10:00:00.123456789Z"),
        Instant.parse("2026-12-01T10:00:05Z"),
        Optional.of(new Job.JobError(ErrorCode.RESTORE_FAILED, "Restore failed. Node: n2.", "uuid")),
        UUID.randomUUID(), UUID.randomUUID(),
        List.of(NodeStatus.success("n1"), NodeStatus.failure("n2", ErrorCode.UNREACHABLE, "down")));
    UUID owner = UUID.randomUUID();
    Instant written = Instant.parse("2026-12-01T10:00:05.5Z");
    assertEquals(new JobRecord(job, owner, written), JobRecord.decode(new JobRecord(job, owner, written).encode()));
  }

  @Test
  void aQueuedJobOfNoSvmReadsBackWithItsAbsentFields() {
    Job job = new Job(UUID.randomUUID(), Operation.CREATE_VOLUME, JobState.QUEUED, 0, "Queued", null, null,
        Optional.empty(), null, null, List.of());
    JobRecord r = new JobRecord(job, UUID.randomUUID(), Instant.EPOCH);
    assertEquals(r, JobRecord.decode(r.encode()));
  }

  @Test
  void anotherVersionIsRefusedNamingIt() {
    byte[] b = new JobRecord(new Job(UUID.randomUUID(), Operation.RESTORE, JobState.QUEUED, 0, "Queued", null, null,
        Optional.empty(), null, null, List.of()), UUID.randomUUID(), Instant.EPOCH).encode();
    b[0] = 9;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobRecord.decode(b));
    assertTrue(e.getMessage().contains("version 9"), e.getMessage());
  }
}
