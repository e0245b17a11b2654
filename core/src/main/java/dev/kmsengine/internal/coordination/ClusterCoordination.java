package dev.kmsengine.internal.coordination;

import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.ClusterDatabase;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What several engine processes sharing one {@link ClusterDatabase} must agree on beyond the data itself: who runs a
 * job on an SVM, which nodes are up, and when another process changed a record this one caches. One process alone
 * needs none of it ({@link #singleProcess()}); a replicated store supplies an implementation built on its own
 * primitives (cluster-etcd's {@code EtcdClusterCoordination}: etcd leases, locks and watches).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>SVM locks</b> ({@link #lockSvm}): at most one holder per SVM across every process, held through a lease
 *       that dies with its process. A holder that cannot renew the lease in time loses the lock; it learns so
 *       from {@link SvmLock#held()} and {@link SvmLock#onLost}, and must not make a commit that needs the lock
 *       after that ({@link SvmLock#ensureHeld()} just before the commit).
 *   <li><b>Node liveness</b> ({@link #announce}, {@link #liveNodes()}): a node a process announces is live while
 *       the process renews its lease; a process that dies (or loses the store) has its nodes reported down once the
 *       lease's time to live has passed.
 *   <li><b>Watches</b> ({@link #watch}): a listener learns which entries of a bucket changed, at least once per
 *       change and possibly more often (changes made by this process included), so it must be idempotent: read
 *       the entry and compare with what it holds.
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface ClusterCoordination extends AutoCloseable {
  /**
   * Takes the lock of one SVM, waiting up to {@code wait} for another holder to release it (or to die).
   *
   * @param svm the SVM
   * @param wait how long to wait for the lock
   * @return the held lock; close it to release
   * @throws StoreException if the lock was not obtained in time (the message names the SVM) or the coordination
   *     service is unreachable
   */
  SvmLock lockSvm(UUID svm, Duration wait);

  /**
   * Announces nodes as live for as long as the returned presence is open and this process renews it.
   *
   * @param nodes the names of the nodes this process hosts
   * @return the presence; close it to withdraw the nodes at once
   * @throws StoreException if the coordination service is unreachable
   */
  Presence announce(Set<String> nodes);

  /**
   * The nodes announced by live processes, as the coordination service sees them now.
   *
   * @return the live nodes' names
   * @throws StoreException if the coordination service is unreachable
   */
  Set<String> liveNodes();

  /**
   * Tells {@code listener} the key of every entry of {@code bucket} that changed (put, replaced or deleted) from
   * now on, in no particular order, on a thread of the implementation. The engine watches the SVM key records, so
   * that a node learns of an SVM-KEK generation another process committed.
   *
   * @param bucket the bucket
   * @param listener called with each changed entry's key; must not block for long
   * @return the subscription; close it to stop
   * @throws StoreException if the coordination service is unreachable
   */
  Subscription watch(String bucket, Consumer<UUID> listener);

  /** Releases every lock and presence this instance holds and stops its watches. */
  @Override
  void close();

  /**
   * Coordination for an engine that is the only process on its database: locks within this JVM, every announced
   * node live until withdrawn, and watches that never fire (every change is made, and seen, in this process).
   *
   * @return a new single-process coordination
   */
  static ClusterCoordination singleProcess() {
    return new SingleProcessCoordination();
  }

  /** One SVM's lock, held until closed or lost. Thread-safe; it may be released by a thread other than the taker. */
  interface SvmLock extends AutoCloseable {
    /**
     * The SVM this lock is for.
     *
     * @return the SVM's uuid
     */
    UUID svm();

    /**
     * Whether the lock is still held: {@code false} once released, or once its lease may have expired.
     *
     * @return whether the lock is held
     */
    boolean held();

    /**
     * Throws unless the lock is held; called just before a commit that needs it.
     *
     * @throws StoreException naming the SVM if the lock was lost
     */
    void ensureHeld();

    /**
     * Runs {@code action} once, on a thread of the implementation, when the lock is lost (not when it is released);
     * at once if it already was.
     *
     * @param action what to do, e.g. cancel the job that holds the lock
     */
    void onLost(Runnable action);

    /** Releases the lock; does nothing if it was already released or lost. */
    @Override
    void close();
  }

  /** Announced nodes, live until closed or until the process stops renewing them. Thread-safe. */
  interface Presence extends AutoCloseable {
    /**
     * The announced nodes.
     *
     * @return their names
     */
    Set<String> nodes();

    /** Withdraws the nodes: they are reported down at once. */
    @Override
    void close();
  }

  /** A running {@link #watch}. Thread-safe. */
  interface Subscription extends AutoCloseable {
    /** Stops the watch; the listener is not called after this returns. */
    @Override
    void close();
  }
}
