package dev.kmsengine.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The cluster database (ONTAP's replicated RDB): where configurations, wrapped SVM-KEKs and wrapped VEKs live.
 *
 * <p>Data is organised in named buckets of uuid-keyed byte values. The engine owns the encodings; a database
 * only stores bytes, so an implementation never sees a plaintext key.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #commit} is atomic: after it returns every mutation of the batch is visible, and a reader never
 *       sees some of a batch's mutations without the others. A durable implementation is durable on return.
 *   <li>A single read ({@link #get}, or one {@link #forEach} pass over one bucket) sees whole commits only.
 *   <li>Values handed out and taken in are not copied: callers must not modify them afterwards.
 *   <li>Implementations are thread-safe.
 * </ul>
 *
 * <p>Several engine processes may share one database if it says how they coordinate ({@link #coordination()}):
 * the in-memory and MVStore stores are for one process, the etcd store (module {@code dev.kmsengine.etcd}) for
 * several.
 */
public interface ClusterDatabase extends AutoCloseable {
  /**
   * The value under {@code key} in {@code bucket}, or {@code null}.
   *
   * @param bucket the bucket's name
   * @param key the entry's key
   * @return the value, or {@code null} if absent
   */
  byte[] get(String bucket, UUID key);

  /**
   * Calls {@code action} for every entry of {@code bucket}, in no particular order.
   *
   * @param bucket the bucket's name
   * @param action called with each key and value
   */
  void forEach(String bucket, BiConsumer<UUID, byte[]> action);

  /**
   * Shows {@code visitor} every entry of {@code bucket}, in no particular order, as one read like
   * {@link #forEach}, but without a key object or a value array of its own per entry: the value is the range
   * {@code [offset, offset + length)} of an array that may be the implementation's own, valid only during the
   * call. The visitor must copy what it keeps and must not write to the array. The default delegates to
   * {@link #forEach}.
   *
   * <p>Why: a rekey reads every VEK blob of an SVM into its own packed pages. Through {@link #forEach} a million
   * blobs are a million keys and value copies (over 100 MB of garbage) made while the read holds the store's
   * lock; an in-memory store can show its packed arrays in place.
   *
   * @param bucket the bucket's name
   * @param visitor called with each key and value
   */
  default void forEachEntry(String bucket, EntryVisitor visitor) {
    forEach(bucket, (key, value) -> visitor.visit(key.getMostSignificantBits(), key.getLeastSignificantBits(),
        value, 0, value.length));
  }

  /** Receives the entries of {@link #forEachEntry}. */
  @FunctionalInterface
  interface EntryVisitor {
    /**
     * One entry.
     *
     * @param keyMostSignificantBits the key's {@link UUID#getMostSignificantBits()}
     * @param keyLeastSignificantBits the key's {@link UUID#getLeastSignificantBits()}
     * @param value holds the value; read only, and only during this call
     * @param offset where the value starts in {@code value}
     * @param length the value's length in bytes
     */
    void visit(long keyMostSignificantBits, long keyLeastSignificantBits, byte[] value, int offset, int length);
  }

  /**
   * The number of entries in {@code bucket}.
   *
   * @param bucket the bucket's name
   * @return the entry count, 0 for an unknown bucket
   */
  int count(String bucket);

  /**
   * The names of the non-empty buckets starting with {@code prefix}.
   *
   * @param prefix the start of the names, e.g. {@code "volumes/"}
   * @return the matching bucket names
   */
  List<String> buckets(String prefix);

  /**
   * Applies every mutation of {@code batch} atomically (and durably, for a durable store).
   *
   * @param batch the mutations, applied in order
   * @throws StoreException if nothing could be applied
   */
  void commit(WriteBatch batch);

  /**
   * A hint that {@code bucket} is about to receive about {@code entries} entries, so that an implementation can
   * size it once instead of growing it batch by batch. It changes nothing visible: an empty bucket stays absent
   * from {@link #buckets} and counts 0. The default ignores it.
   *
   * <p>Why: a rekey copies a whole generation of VEK blobs into a new bucket in the order the old bucket yields
   * them. {@code InMemoryClusterDatabase} yields entries in hash order, and feeding a small, growing hash table in
   * hash order piles later keys onto the runs of earlier ones; sized for the whole generation, each key lands
   * where it lay in the old bucket.
   *
   * @param bucket the bucket's name
   * @param entries how many entries it will hold
   */
  default void reserve(String bucket, int entries) {}

  /**
   * The key that seals configuration secrets before they are stored here; it is kept outside this database (see
   * {@link ConfigProtectionKey}), and the database destroys it on {@link #close()}.
   *
   * @return this database's configuration-protection key
   */
  ConfigProtectionKey configProtectionKey();

  /**
   * Rewrites the database's files so that no earlier version of any value remains in them, e.g. after secrets
   * stored in plain text by an older engine were sealed. The default does nothing: a store that keeps no earlier
   * versions (one in memory) has nothing to purge.
   *
   * @throws StoreException if the rewrite fails; the database is then as it was, or closed if it could not be
   *     reopened
   */
  default void purgeHistory() {}

  /**
   * How the engine processes that share this database coordinate: SVM locks, node liveness, watches. The default is
   * a single-process coordination, one per database instance (so every caller in this JVM shares its locks):
   * locks within this JVM, every announced node live until withdrawn, watches that never fire. A store that
   * several processes open at once (etcd) returns one built on its own primitives, whose
   * {@link Coordination#distributed()} is {@code true}. The coordination lives as long as the database: closing the
   * database releases its locks and presences and stops its watches.
   *
   * @return this database's coordination
   */
  default Coordination coordination() {
    return SingleProcessCoordination.of(this);
  }

  /** Releases the database. */
  @Override
  void close();

  /**
   * What several engine processes sharing one {@link ClusterDatabase} must agree on beyond the data itself: who runs
   * a job on an SVM, which process hosts which node, and when another process changed a record this one caches.
   *
   * <h2>Contract</h2>
   * <ul>
   *   <li><b>SVM locks</b> ({@link #lockSvm}): at most one holder per SVM across every process, held through a
   *       lease that dies with its process. A holder that cannot renew the lease in time loses the lock; it learns
   *       so from {@link SvmLock#held()} and {@link SvmLock#onLost}, and must not make a commit that needs the lock
   *       after that ({@link SvmLock#ensureHeld()} just before the commit; a store that can also fences the commit
   *       itself, see {@link WriteBatch#fence}).
   *   <li><b>Node liveness</b> ({@link #announce}, {@link #liveNodes()}): a node a process announces is live while
   *       the process renews its lease, and no two live processes host the same node; a process that dies (or loses
   *       the store) has its nodes reported down once the lease's time to live has passed.
   *   <li><b>Watches</b> ({@link #watch}): a listener learns which entries of a bucket changed, at least once per
   *       change and possibly more often (changes made by this process included), so it must be idempotent: read
   *       the entry and compare with what it holds.
   * </ul>
   *
   * <p>Implementations are thread-safe.
   */
  interface Coordination {
    /**
     * Whether other processes may share the database: {@code false} for the single-process coordination, whose
     * locks only exclude this JVM's callers and whose watches never fire. The engine keeps job records in the store
     * and watches it only when this is {@code true}.
     *
     * @return whether this coordinates several processes
     */
    boolean distributed();

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
     * Announces nodes as hosted by this process, live for as long as the returned presence is open and this
     * process renews it.
     *
     * @param nodes the names of the nodes this process hosts
     * @param endpoint where other processes reach this one for those nodes (e.g. its REST URL); not a secret
     * @return the presence; close it to withdraw the nodes at once
     * @throws StoreException if another live process hosts one of the nodes (the message names them and their
     *     endpoints; nothing is announced then) or the coordination service is unreachable
     */
    Presence announce(Set<String> nodes, String endpoint);

    /**
     * The nodes announced by live processes, as the coordination service sees them now.
     *
     * @return each live node's name and the endpoint its process announced
     * @throws StoreException if the coordination service is unreachable
     */
    Map<String, String> liveNodes();

    /**
     * Announces one engine process as live under {@code process}, for as long as the returned presence is open
     * and this process renews it, so that other processes can tell whether the process that wrote a record (a job
     * it runs) still runs ({@link #liveProcesses()}). It announces no node: its {@link Presence#nodes()} is empty.
     *
     * @param process a uuid naming this process, unique to it
     * @return the presence; close it to withdraw the process
     * @throws StoreException if the coordination service is unreachable
     */
    Presence announceProcess(UUID process);

    /**
     * The processes announced by {@link #announceProcess} that are live, as the coordination service sees them now:
     * one that died is gone once its lease's time to live has passed.
     *
     * @return the live processes' uuids
     * @throws StoreException if the coordination service is unreachable
     */
    Set<UUID> liveProcesses();

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

    /**
     * One SVM's lock, held until closed or lost. Thread-safe; it may be released by a thread other than the taker.
     */
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
       * @throws StoreException naming the SVM if the lock was lost or released
       */
      void ensureHeld();

      /**
       * Runs {@code action} once, on a thread of the implementation, when the lock is lost (not when it is
       * released); at once if it already was.
       *
       * @param action what to do, e.g. cancel the job that holds the lock
       */
      void onLost(Runnable action);

      /**
       * What a commit made under this lock carries so that the store itself refuses it once another process holds
       * the lock, even if this holder has not noticed the loss yet ({@link WriteBatch#fence}). The single-process
       * lock has none: nothing outside this process can take it.
       *
       * @return the fence, or {@code null} if the store cannot check one
       */
      default WriteBatch.Fence fence() {
        return null;
      }

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
}
