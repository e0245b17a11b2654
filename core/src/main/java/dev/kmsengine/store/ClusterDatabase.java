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
  /** The value under {@code key} in {@code bucket}, or {@code null}. */
  byte[] get(String bucket, UUID key);

  /** Calls {@code action} for every entry of {@code bucket}, in no particular order. */
  void forEach(String bucket, BiConsumer<UUID, byte[]> action);

  /** The number of entries in {@code bucket}. */
  int count(String bucket);

  /** The names of the non-empty buckets starting with {@code prefix}. */
  List<String> buckets(String prefix);

  /**
   * Applies every mutation of {@code batch} atomically (and durably, for a durable store).
   *
   * @throws StoreException if nothing could be applied
   */
  void commit(WriteBatch batch);

  /** Releases the database. */
  @Override
  void close();
}
