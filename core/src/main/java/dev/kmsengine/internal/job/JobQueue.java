package dev.kmsengine.internal.job;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.error.CauseChain;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.job.Job.Operation;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ClusterDatabase.Coordination.SvmLock;
import dev.kmsengine.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs jobs, one SVM at a time, and keeps them for inspection.
 *
 * <h2>Design</h2>
 * Every SVM (and the cluster, for jobs of no SVM) has a line: its jobs run one after the other in submission
 * order, on a daemon thread that the line holds while it has work, while different SVMs proceed in parallel. A
 * job waits in {@link JobState#QUEUED} until its turn. Why a line and not only a lock: job threads reaching a fair
 * lock do so in whatever order the scheduler starts them, so a rekey submitted after a restore could run first.
 * Each job also holds its SVM's fair lock while it runs, which synchronous operations that must not interleave
 * with jobs ({@link #exclusive}) take too. Threads come from a cached pool: jobs block on locks and on the
 * network, so a small fixed pool could starve.
 *
 * <h2>Across processes</h2>
 * Within the fair lock, a job (and an {@link #exclusive} operation) also takes its SVM's lock from the database's
 * {@link ClusterDatabase#coordination() coordination} ({@link JobLocks#CLUSTER} for the cluster-wide line),
 * waiting up to the lock wait; a lock not obtained in time fails the job with a message naming the SVM. While the
 * body runs its thread works under that lock ({@link JobLocks}), so every commit through the engine's database
 * checks it first and carries its fence. If the lock is lost (its lease expired: another process may hold it now),
 * the job is cancelled: its next commit fails ({@link ErrorCode#DATABASE_FAILED}, the message naming the lost
 * lock) and applies nothing. With the single-process coordination this lock is never contended or lost.
 *
 * <p>When the coordination is distributed (several processes share the database), each job's record is also
 * written to the store when it is submitted, starts and ends ({@link StoredJobs}), so that {@link #get},
 * {@link #list} and {@link #await} show the jobs of the other processes too (await by polling the store). A job
 * runs in the process it was submitted to. With the single-process coordination nothing is written.
 *
 * <p>Finished jobs are kept for the retention period (ONTAP: 300 s) measured on the injected {@link Clock}, so
 * tests can age jobs without sleeping; they are purged lazily on access.
 *
 * <p>Thread-safe.
 */
public final class JobQueue implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobQueue.class.getName());
  /** ONTAP deletes finished jobs after 300 s. */
  public static final Duration DEFAULT_RETENTION = Duration.ofSeconds(300);
  /**
   * How long a job waits for its SVM's lock when another process holds it: longer than a typical rekey of a large
   * SVM's first steps, short enough that a stuck holder shows as a failed job rather than a hung one.
   */
  public static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(30);
  /** How often {@link #await} reads another process's job record again. */
  private static final long POLL_MILLIS = 200;

  private final Clock clock;
  private final Duration retention;
  private final ClusterDatabase.Coordination coordination;
  private final Duration lockWait;
  /** The job records in the store, or {@code null} for a database of one process. */
  private final StoredJobs stored;
  private final ExecutorService executor;
  private final Map<UUID, Entry> jobs = new ConcurrentHashMap<>();
  private final Map<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();
  private final ReentrantLock clusterLock = new ReentrantLock(true);
  private final Map<UUID, Line> lines = new ConcurrentHashMap<>();
  private final Line clusterLine = new Line();

  /**
   * A queue using {@code clock} for job times and retention, and {@code db}'s coordination for SVM locks.
   *
   * @param clock the clock for job times and retention
   * @param retention how long a finished job stays visible
   * @param db the cluster database, whose {@link ClusterDatabase#coordination()} gives the SVM locks
   * @param lockWait how long a job waits for its SVM's lock
   */
  public JobQueue(Clock clock, Duration retention, ClusterDatabase db, Duration lockWait) {
    this.clock = clock;
    this.retention = retention;
    this.coordination = db.coordination();
    this.lockWait = lockWait;
    this.stored = coordination.distributed() ? new StoredJobs(db, clock, retention) : null;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "kms-job-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Submits a job that runs {@code body} while holding {@code svm}'s lock ({@code null}: the cluster-wide lock).
   *
   * @param operation what the job does
   * @param svm the SVM whose lock the job holds, or {@code null} for the cluster-wide lock
   * @param resource the uuid of the resource the job creates or changes, or {@code null}
   * @param body the work
   * @return the job as queued
   * @throws StoreException if the job's record could not be written (several processes only); it is not run then
   */
  public Job submit(Operation operation, UUID svm, UUID resource, JobBody body) {
    Entry e = new Entry(UUID.randomUUID(), operation, svm, resource);
    if (stored != null) {
      stored.write(e.snapshot());
    }
    jobs.put(e.uuid, e);
    (svm == null ? clusterLine : lines.computeIfAbsent(svm, k -> new Line())).add(() -> run(e, body));
    return e.snapshot();
  }

  /** The jobs of one SVM, run one after the other in the order they were added. */
  private final class Line {
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private boolean draining;

    synchronized void add(Runnable job) {
      waiting.add(job);
      if (!draining) {
        draining = true;
        executor.execute(this::drain);
      }
    }

    private void drain() {
      boolean drained = false;
      try {
        for (Runnable job = next(); job != null; job = next()) {
          job.run();
        }
        drained = true;
      } finally {
        if (!drained) {
          // run() ends every job it starts, so this is a bug elsewhere; the jobs behind must still run.
          executor.execute(this::drain);
        }
      }
    }

    private synchronized Runnable next() {
      Runnable job = waiting.poll();
      draining = job != null;
      return job;
    }
  }

  private void run(Entry e, JobBody body) {
    ReentrantLock lock = lockFor(e.svm);
    lock.lock();
    try {
      e.start(clock.instant());
      if (stored != null) {
        stored.writeQuietly(e.snapshot());
      }
      try (JobLocks.Scope held = JobLocks.take(coordination, lockKey(e.svm), lockWait)) {
        e.held = held.lock;
        held.lock.onLost(e::lockLost);
        body.run(e);
      }
      e.finish(clock.instant(), null);
    } catch (KmsException ex) {
      LOG.info(() -> "job " + e.uuid + " (" + e.operation + ") failed: " + CauseChain.of(ex));
      e.finish(clock.instant(), ex);
    } catch (StoreException ex) {
      LOG.warning(() -> "job " + e.uuid + " (" + e.operation + ") failed: " + CauseChain.of(ex));
      e.finish(clock.instant(), ex.toKmsException());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      e.finish(clock.instant(), new KmsException(ErrorCode.CANCELLED, "", "", ex));
    } catch (Exception | Error ex) {
      // An engine bug must still end the job, or its waiters hang. The job shows only the generic internal error;
      // the log has the cause chain (messages and types only, never key material).
      LOG.log(Level.SEVERE, "job " + e.uuid + " (" + e.operation + ") failed unexpectedly: " + CauseChain.of(ex));
      e.finish(clock.instant(), new KmsException(ErrorCode.INTERNAL_ERROR, "", "", ex));
    } finally {
      e.held = null;
      lock.unlock();
      // Written before waiters here learn of the end, so that one who then asks another process sees it too.
      if (stored != null) {
        stored.writeQuietly(e.snapshot());
      }
      e.done.complete(null);
    }
  }

  private static UUID lockKey(UUID svm) {
    return svm == null ? JobLocks.CLUSTER : svm;
  }

  /**
   * Runs {@code action} while holding {@code svm}'s lock ({@code null}: the cluster-wide lock), in this process and
   * (through the coordination) across processes.
   *
   * @param <T> the action's result type
   * @param svm the SVM whose lock to hold, or {@code null} for the cluster-wide lock
   * @param action the work
   * @return what {@code action} returned
   * @throws StoreException if the lock was not obtained within the lock wait
   */
  public <T> T exclusive(UUID svm, Supplier<T> action) {
    ReentrantLock lock = lockFor(svm);
    lock.lock();
    try {
      JobLocks.Scope held = JobLocks.take(coordination, lockKey(svm), lockWait);
      try {
        return action.get();
      } finally {
        held.close();
      }
    } finally {
      lock.unlock();
    }
  }

  private ReentrantLock lockFor(UUID svm) {
    return svm == null ? clusterLock : locks.computeIfAbsent(svm, k -> new ReentrantLock(true));
  }

  /**
   * The job, unless unknown or purged.
   *
   * @param uuid the job's uuid
   * @return the job's latest state, or empty if unknown or purged
   */
  public Optional<Job> get(UUID uuid) {
    purge();
    Entry e = jobs.get(uuid);
    if (e != null) {
      return Optional.of(e.snapshot());
    }
    return stored == null ? Optional.empty() : stored.find(uuid);
  }

  /**
   * Every retained job, oldest first.
   *
   * @return a snapshot of the retained jobs
   */
  public List<Job> list() {
    purge();
    List<Job> out = new ArrayList<>();
    for (Entry e : jobs.values()) {
      out.add(e.snapshot());
    }
    if (stored != null) {
      out.addAll(stored.others());
    }
    out.sort(Comparator.comparing((Job j) -> j.startTime() == null ? Instant.MAX : j.startTime())
        .thenComparing(j -> j.uuid().toString()));
    return out;
  }

  /**
   * Waits up to {@code timeout} of real time for the job to finish.
   *
   * @param uuid the job's uuid
   * @param timeout the longest time to wait
   * @return the job's state when it finished or the time ran out
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} if the job is unknown
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Job await(UUID uuid, Duration timeout) throws InterruptedException {
    Entry e = jobs.get(uuid);
    if (e == null && stored != null) {
      return awaitStored(uuid, timeout);
    }
    if (e == null) {
      throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "uuid");
    }
    try {
      e.done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException ignored) {
      // Still running (or never completes exceptionally): report the current state.
    }
    return e.snapshot();
  }

  /** Another process's job: its record, read again every {@link #POLL_MILLIS} ms until it ends or time runs out. */
  private Job awaitStored(UUID uuid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Job j = stored.find(uuid).orElseThrow(() -> new KmsException(ErrorCode.ENTRY_NOT_FOUND, "uuid"));
    while (!j.state().isTerminal()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)));
      Optional<Job> now = stored.find(uuid);
      if (now.isEmpty()) {
        break;
      }
      j = now.get();
    }
    return j;
  }

  private void purge() {
    Instant cutoff = clock.instant().minus(retention);
    List<UUID> purged = new ArrayList<>();
    jobs.values().removeIf(e -> {
      boolean old = e.endTime != null && e.endTime.isBefore(cutoff);
      if (old) {
        purged.add(e.uuid);
      }
      return old;
    });
    if (stored != null) {
      stored.delete(purged);
    }
  }

  /** Stops the job threads (running jobs are interrupted) and withdraws this process's presence. */
  @Override
  public void close() {
    executor.shutdownNow();
    if (stored != null) {
      stored.close();
    }
  }

  private static final class Entry implements JobContext {
    final UUID uuid;
    final Operation operation;
    final UUID svm;
    final UUID resource;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile JobState state = JobState.QUEUED;
    volatile String message = "Queued";
    volatile Instant startTime;
    volatile Instant endTime;
    volatile KmsException error;
    volatile List<NodeStatus> nodes = List.of();
    /** The SVM lock the body runs under, while it runs. */
    volatile SvmLock held;

    Entry(UUID uuid, Operation operation, UUID svm, UUID resource) {
      this.uuid = uuid;
      this.operation = operation;
      this.svm = svm;
      this.resource = resource;
    }

    synchronized void start(Instant now) {
      startTime = now;
      message = "Running";
      state = JobState.RUNNING;
    }

    synchronized void finish(Instant now, KmsException failure) {
      endTime = now;
      error = failure;
      message = failure == null ? "success" : failure.getMessage();
      state = failure == null ? JobState.SUCCESS : JobState.FAILURE;
    }

    @Override
    public synchronized void progress(String m) {
      message = m;
    }

    @Override
    public void ensureHeld() {
      SvmLock l = held;
      if (l != null) {
        l.ensureHeld();
      }
    }

    /** The lock's lease expired: the job is cancelled, which its next commit (or {@link #ensureHeld}) enforces. */
    void lockLost() {
      LOG.warning(() -> "job " + uuid + " (" + operation + ") lost the lock of SVM " + lockKey(svm)
          + "; it is cancelled and commits nothing more");
      progress("Cancelling: the lock of SVM " + lockKey(svm) + " was lost, so another process may hold it.");
    }

    @Override
    public synchronized void nodes(List<NodeStatus> n) {
      nodes = List.copyOf(n);
    }

    synchronized Job snapshot() {
      KmsException err = error;
      Optional<Job.JobError> jobError = err == null
          ? Optional.empty()
          : Optional.of(new Job.JobError(err.errorCode(), err.getMessage(), err.target()));
      return new Job(uuid, operation, state, err == null ? 0 : err.code(), message, startTime, endTime, jobError,
          svm, resource, nodes);
    }
  }
}
