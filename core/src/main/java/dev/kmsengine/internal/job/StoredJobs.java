package dev.kmsengine.internal.job;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The job records of a multi-process cluster: each process writes its own jobs to a bucket of its own,
 * {@code jobs/<process uuid>}, when a job is submitted, starts and ends, and reads the other processes' buckets to
 * show their jobs. Why a bucket per process: a store may refuse a commit that races another process's commit on
 * the same bucket (etcd does), and every process writes records all the time; alone on its bucket, a process's
 * writes never race.
 *
 * <p>The process is announced live ({@link ClusterDatabase.Coordination#announceProcess}) while this is open. A job
 * that a record shows queued or running, of a process that is no longer live (it died; its lease expired after the
 * time to live), is reported failed ({@link ErrorCode#CANCELLED}, saying the process stopped). Records are kept
 * for the queue's retention period after they end; a dead process's bucket is dropped once all of it is that old.
 *
 * <p>Thread-safe.
 */
final class StoredJobs implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StoredJobs.class.getName());
  static final String PREFIX = "jobs/";

  private final ClusterDatabase db;
  private final ClusterDatabase.Coordination coordination;
  private final Clock clock;
  private final Duration retention;
  private final UUID process = UUID.randomUUID();
  private final String bucket = PREFIX + process;
  private final ClusterDatabase.Coordination.Presence presence;

  StoredJobs(ClusterDatabase db, Clock clock, Duration retention) {
    this.db = db;
    this.coordination = db.coordination();
    this.clock = clock;
    this.retention = retention;
    this.presence = coordination.announceProcess(process);
  }

  /**
   * Writes {@code job}'s record.
   *
   * @throws StoreException if the store failed
   */
  void write(Job job) {
    db.commit(new WriteBatch().put(bucket, job.uuid(), new JobRecord(job, process, clock.instant()).encode()));
  }

  /** Writes {@code job}'s record; a failure is logged: the job itself is not affected, only how others see it. */
  void writeQuietly(Job job) {
    try {
      write(job);
    } catch (StoreException e) {
      LOG.log(Level.WARNING, "job " + job.uuid() + ": its record could not be written; other processes see it"
          + " as it was last written", e);
    }
  }

  /** Deletes the records of purged jobs of this process; best effort. */
  void delete(Collection<UUID> jobs) {
    if (jobs.isEmpty()) {
      return;
    }
    WriteBatch b = new WriteBatch();
    jobs.forEach(j -> b.delete(bucket, j));
    try {
      db.commit(b);
    } catch (StoreException e) {
      LOG.log(Level.FINE, "purged job records not deleted yet", e);
    }
  }

  /**
   * The job {@code uuid} of another process, as its record shows it now.
   *
   * @throws StoreException if the store failed
   */
  Optional<Job> find(UUID uuid) {
    Set<UUID> live = null;
    for (String b : otherBuckets()) {
      byte[] v = db.get(b, uuid);
      if (v != null) {
        if (live == null) {
          live = coordination.liveProcesses();
        }
        return Optional.ofNullable(shown(JobRecord.decode(v), live, clock.instant().minus(retention)));
      }
    }
    return Optional.empty();
  }

  /**
   * The retained jobs of every other process; drops the buckets of dead processes that hold nothing retained.
   *
   * @throws StoreException if the store failed
   */
  List<Job> others() {
    List<Job> out = new ArrayList<>();
    Set<UUID> live = coordination.liveProcesses();
    Instant cutoff = clock.instant().minus(retention);
    for (String b : otherBuckets()) {
      List<JobRecord> records = new ArrayList<>();
      db.forEach(b, (k, v) -> records.add(JobRecord.decode(v)));
      boolean any = false;
      for (JobRecord r : records) {
        Job j = shown(r, live, cutoff);
        if (j != null) {
          out.add(j);
          any = true;
        }
      }
      if (!any && !records.isEmpty() && !live.contains(records.get(0).owner())) {
        dropQuietly(b);
      }
    }
    return out;
  }

  private List<String> otherBuckets() {
    List<String> out = new ArrayList<>(db.buckets(PREFIX));
    out.remove(bucket);
    return out;
  }

  /** How a record is shown: as written, failed if its process died before it ended, or null once past retention. */
  private static Job shown(JobRecord r, Set<UUID> live, Instant cutoff) {
    Job j = r.job();
    if (!j.state().isTerminal() && !live.contains(r.owner())) {
      String detail = "The process that ran the job (" + r.owner() + ") stopped before the job ended; what the job"
          + " had not committed was not applied.";
      j = new Job(j.uuid(), j.operation(), JobState.FAILURE, ErrorCode.CANCELLED.code(),
          ErrorCode.CANCELLED.message() + " " + detail, j.startTime(), r.written(),
          Optional.of(new Job.JobError(ErrorCode.CANCELLED, ErrorCode.CANCELLED.message() + " " + detail, "")),
          j.svmUuid(), j.resourceUuid(), j.nodes());
    }
    if (j.endTime() != null && j.endTime().isBefore(cutoff)) {
      return null;
    }
    return j;
  }

  private void dropQuietly(String b) {
    try {
      db.commit(new WriteBatch().drop(b));
    } catch (StoreException e) {
      LOG.log(Level.FINE, "job records of a stopped process not dropped yet", e);
    }
  }

  /** Withdraws this process: its unfinished jobs show as failed to the others from now on. */
  @Override
  public void close() {
    try {
      presence.close();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "the process's presence was not withdrawn; it expires with its lease", e);
    }
  }
}
