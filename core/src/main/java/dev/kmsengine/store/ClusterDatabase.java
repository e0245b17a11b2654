package dev.kmsengine.store;

import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;

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

  /** Releases the database. */
  @Override
  void close();
}
