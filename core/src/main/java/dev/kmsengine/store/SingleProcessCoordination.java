package dev.kmsengine.store;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@link ClusterDatabase#coordination()} for a database only one process opens: an SVM lock is a semaphore in this
 * JVM (never lost), the live nodes and processes are the announced ones, and a watch never fires. Thread-safe.
 */
final class SingleProcessCoordination implements ClusterDatabase.Coordination {
  /**
   * One per database instance, so that every caller's locks exclude each other; weak, so that a closed and
   * forgotten database takes its coordination with it.
   */
  private static final Map<ClusterDatabase, SingleProcessCoordination> BY_DATABASE = new WeakHashMap<>();

  private final Map<UUID, Semaphore> locks = new ConcurrentHashMap<>();
  /** Announced node -> its open announcements' endpoints, oldest first. Guarded by itself. */
  private final Map<String, LinkedHashMap<Object, String>> announced = new HashMap<>();
  private final Set<UUID> processes = ConcurrentHashMap.newKeySet();

  static SingleProcessCoordination of(ClusterDatabase db) {
    synchronized (BY_DATABASE) {
      return BY_DATABASE.computeIfAbsent(db, k -> new SingleProcessCoordination());
    }
  }

  @Override
  public boolean distributed() {
    return false;
  }

  @Override
  public SvmLock lockSvm(UUID svm, Duration wait) {
    Semaphore s = locks.computeIfAbsent(svm, k -> new Semaphore(1));
    try {
      if (!s.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new StoreException("the lock of SVM " + svm + " is held by another operation; not obtained within "
            + wait.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the lock of SVM " + svm, e);
    }
    return new Held(svm, s, new AtomicBoolean(true));
  }

  private record Held(UUID svm, Semaphore semaphore, AtomicBoolean open) implements SvmLock {
    @Override
    public boolean held() {
      return open.get();
    }

    @Override
    public void ensureHeld() {
      if (!open.get()) {
        throw new StoreException("the lock of SVM " + svm + " was released");
      }
    }

    @Override
    public void onLost(Runnable action) {
      // Never lost: nothing outside this process can take it.
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        semaphore.release();
      }
    }
  }

  /**
   * Never refused: within one process the engine that announced a node may have been abandoned without closing
   * (a simulated crash) before the next one announces it again; the newest announcement's endpoint is reported.
   */
  @Override
  public Presence announce(Set<String> nodes, String endpoint) {
    Set<String> copy = Set.copyOf(nodes);
    Object token = new Object();
    synchronized (announced) {
      copy.forEach(n -> announced.computeIfAbsent(n, k -> new LinkedHashMap<>()).put(token, endpoint));
    }
    AtomicBoolean open = new AtomicBoolean(true);
    return new Presence() {
      @Override
      public Set<String> nodes() {
        return copy;
      }

      @Override
      public void close() {
        if (open.compareAndSet(true, false)) {
          synchronized (announced) {
            copy.forEach(n -> announced.computeIfPresent(n, (k, byToken) -> {
              byToken.remove(token);
              return byToken.isEmpty() ? null : byToken;
            }));
          }
        }
      }
    };
  }

  @Override
  public Map<String, String> liveNodes() {
    Map<String, String> out = new HashMap<>();
    synchronized (announced) {
      announced.forEach((n, byToken) -> {
        String newest = null;
        for (String e : byToken.values()) {
          newest = e;
        }
        out.put(n, newest);
      });
    }
    return Map.copyOf(out);
  }

  @Override
  public Presence announceProcess(UUID process) {
    processes.add(process);
    AtomicBoolean open = new AtomicBoolean(true);
    return new Presence() {
      @Override
      public Set<String> nodes() {
        return Set.of();
      }

      @Override
      public void close() {
        if (open.compareAndSet(true, false)) {
          processes.remove(process);
        }
      }
    };
  }

  @Override
  public Set<UUID> liveProcesses() {
    return Set.copyOf(processes);
  }

  @Override
  public Subscription watch(String bucket, Consumer<UUID> listener) {
    return () -> { };
  }

  @Override
  public String toString() {
    return "SingleProcessCoordination";
  }
}
