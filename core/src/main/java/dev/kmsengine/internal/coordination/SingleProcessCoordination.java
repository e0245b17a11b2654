package dev.kmsengine.internal.coordination;

import dev.kmsengine.store.StoreException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@link ClusterCoordination#singleProcess()}: an SVM lock is a semaphore in this JVM (never lost), the live nodes
 * are the announced ones, and a watch never fires. Thread-safe.
 */
final class SingleProcessCoordination implements ClusterCoordination {
  private final Map<UUID, Semaphore> locks = new ConcurrentHashMap<>();
  private final Map<String, Integer> announced = new ConcurrentHashMap<>();

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
    return new Held(svm, s);
  }

  private record Held(UUID svm, Semaphore semaphore, AtomicBoolean open) implements SvmLock {
    Held(UUID svm, Semaphore semaphore) {
      this(svm, semaphore, new AtomicBoolean(true));
    }

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

  @Override
  public Presence announce(Set<String> nodes) {
    Set<String> copy = Set.copyOf(nodes);
    copy.forEach(n -> announced.merge(n, 1, Integer::sum));
    AtomicBoolean open = new AtomicBoolean(true);
    return new Presence() {
      @Override
      public Set<String> nodes() {
        return copy;
      }

      @Override
      public void close() {
        if (open.compareAndSet(true, false)) {
          copy.forEach(n -> announced.computeIfPresent(n, (k, v) -> v == 1 ? null : v - 1));
        }
      }
    };
  }

  @Override
  public Set<String> liveNodes() {
    return Set.copyOf(announced.keySet());
  }

  @Override
  public Subscription watch(String bucket, Consumer<UUID> listener) {
    return () -> { };
  }

  @Override
  public void close() {
    announced.clear();
  }
}
