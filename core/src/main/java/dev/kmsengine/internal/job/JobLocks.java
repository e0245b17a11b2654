package dev.kmsengine.internal.job;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ClusterDatabase.Coordination.SvmLock;
import dev.kmsengine.store.WriteBatch;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The SVM lock the calling thread works under, so that every commit made under it is checked and fenced without
 * the operation code passing the lock along: a job's thread holds its SVM's lock ({@link JobQueue}), the threads it
 * fans out to get it through {@link #bind}, and the engine's database checks it on each commit
 * ({@link #checkingCommits}).
 *
 * <p>Why a thread-local: the operations commit in many places, all through the engine's one database; the lock is
 * a property of the job running on the thread, not of any one commit.
 *
 * <p>Thread-safe (each thread sees its own lock).
 */
public final class JobLocks {
  /** The uuid whose lock stands for the whole cluster: jobs and operations of no SVM (creating an SVM) take it. */
  public static final UUID CLUSTER = new UUID(0, 0);

  private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

  private JobLocks() {}

  /**
   * The lock a thread works under while the scope is open; closing it releases the lock if this scope took it, and
   * restores what the thread worked under before.
   */
  static final class Scope implements AutoCloseable {
    final SvmLock lock;
    private final boolean owner;
    private final Scope outer;
    private final Thread thread;
    private boolean closed;

    private Scope(SvmLock lock, boolean owner, Scope outer) {
      this.lock = lock;
      this.owner = owner;
      this.outer = outer;
      this.thread = Thread.currentThread();
    }

    @Override
    public void close() {
      if (closed || Thread.currentThread() != thread) {
        throw new IllegalStateException("a lock scope is closed once, by the thread that opened it");
      }
      closed = true;
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
      if (owner) {
        lock.close();
      }
    }
  }

  /**
   * Takes {@code svm}'s lock for the calling thread, waiting up to {@code wait}; if the thread works under that
   * lock already (an operation that takes it, called from a job that holds it), uses that one.
   *
   * @throws dev.kmsengine.store.StoreException if the lock was not obtained in time
   */
  static Scope take(ClusterDatabase.Coordination coordination, UUID svm, Duration wait) {
    Scope outer = CURRENT.get();
    for (Scope s = outer; s != null; s = s.outer) {
      if (s.lock.svm().equals(svm)) {
        Scope inner = new Scope(s.lock, false, outer);
        CURRENT.set(inner);
        return inner;
      }
    }
    Scope taken = new Scope(coordination.lockSvm(svm, wait), true, outer);
    CURRENT.set(taken);
    return taken;
  }

  /**
   * The lock the calling thread works under, or {@code null}.
   *
   * @return the innermost lock, or {@code null} if the thread works under none
   */
  static SvmLock current() {
    Scope s = CURRENT.get();
    return s == null ? null : s.lock;
  }

  /**
   * Before a commit: unless the calling thread works under no lock, throws if that lock was lost, and makes the
   * batch carry the lock's fence so that a store that can check it refuses the commit once another process holds
   * the lock (even if this one has not noticed the loss yet).
   *
   * @param batch the batch about to be committed
   * @throws dev.kmsengine.store.StoreException naming the SVM if the lock was lost or released
   */
  public static void beforeCommit(WriteBatch batch) {
    Scope s = CURRENT.get();
    if (s == null) {
      return;
    }
    s.lock.ensureHeld();
    if (batch.fence() == null) {
      batch.fence(s.lock.fence());
    }
  }

  /**
   * {@code task} to run on another thread under the lock the calling thread works under now (if any), e.g. a
   * rekey's rewrap workers, which stage blobs with commits of their own.
   *
   * @param <T> the task's result type
   * @param task the task
   * @return the task, run under the caller's lock
   */
  public static <T> Callable<T> bind(Callable<T> task) {
    SvmLock lock = current();
    if (lock == null) {
      return task;
    }
    return () -> {
      Scope outer = CURRENT.get();
      Scope bound = new Scope(lock, false, outer);
      CURRENT.set(bound);
      try {
        return task.call();
      } finally {
        bound.close();
      }
    };
  }

  /**
   * {@code db} with every commit checked first ({@link #beforeCommit}); everything else as {@code db}.
   *
   * @param db the database
   * @return the checking database
   */
  public static ClusterDatabase checkingCommits(ClusterDatabase db) {
    return db instanceof LockCheckingDatabase ? db : new LockCheckingDatabase(db);
  }
}
