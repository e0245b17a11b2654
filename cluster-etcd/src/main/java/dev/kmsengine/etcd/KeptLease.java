package dev.kmsengine.etcd;

import dev.kmsengine.store.StoreException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An etcd lease kept alive by jetcd's keep-alive stream, and the holder's view of whether it still exists: it is
 * taken as lost once a renewal reports it gone or fails, or once its time to live has run out since the last
 * renewal this process saw (etcd may then have expired it, and this process cannot tell a slow network from a
 * partition). Lost is final: a lost lease is never taken as alive again. Thread-safe.
 */
final class KeptLease implements AutoCloseable {
  /** How often the holder checks the deadline; a lease is reported lost at most this much late. */
  private static final long CHECK_MILLIS = 200;

  private final Client client;
  private final long id;
  private final long ttlNanos;
  private final CloseableClient keepAlive;
  private final ScheduledFuture<?> check;
  private final AtomicBoolean lost = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Runnable> onLost = new CopyOnWriteArrayList<>();
  private volatile long deadline;

  /**
   * Grants a lease of {@code ttlSeconds} and starts renewing it.
   *
   * @throws StoreException naming {@code what} if etcd does not grant it within {@code timeoutMillis}
   */
  KeptLease(Client client, long ttlSeconds, ScheduledExecutorService timer, long timeoutMillis, String what) {
    this.client = client;
    this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
    long start = System.nanoTime();
    try {
      this.id = client.getLeaseClient().grant(ttlSeconds).get(timeoutMillis, TimeUnit.MILLISECONDS).getID();
    } catch (ExecutionException e) {
      throw new StoreException(what + ": etcd did not grant a lease: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new StoreException(what + ": etcd did not grant a lease within " + timeoutMillis
          + " ms (is a quorum of members up?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(what + ": interrupted", e);
    }
    this.deadline = start + ttlNanos;
    this.keepAlive = client.getLeaseClient().keepAlive(id, new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse r) {
        if (r.getTTL() <= 0) {
          lose();
        } else if (!lost.get()) {
          // Counted from when the answer arrived, less the time a renewal may have been under way.
          deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(r.getTTL()) - ttlNanos / 3;
        }
      }

      @Override
      public void onError(Throwable t) {
        lose();
      }

      @Override
      public void onCompleted() {
        lose();
      }
    });
    this.check = timer.scheduleWithFixedDelay(() -> {
      if (System.nanoTime() - deadline > 0) {
        lose();
      }
    }, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  long id() {
    return id;
  }

  /** Whether the lease still exists as far as this process can tell. */
  boolean alive() {
    return !lost.get() && !closed.get() && System.nanoTime() - deadline < 0;
  }

  /** Runs {@code action} once when the lease is lost (at once if it was); never after {@link #close}. */
  void onLost(Runnable action) {
    onLost.add(action);
    if (lost.get() && onLost.remove(action)) {
      action.run();
    }
  }

  private void lose() {
    if (closed.get() || !lost.compareAndSet(false, true)) {
      return;
    }
    check.cancel(false);
    for (Runnable r : onLost) {
      if (onLost.remove(r)) {
        try {
          r.run();
        } catch (RuntimeException e) {
          // One listener's failure must not keep the others from learning of the loss.
        }
      }
    }
  }

  /** Stops renewing and revokes the lease, which deletes every key attached to it. Best effort. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    check.cancel(false);
    keepAlive.close();
    onLost.clear();
    try {
      client.getLeaseClient().revoke(id).get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Its time to live expires it all the same.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
