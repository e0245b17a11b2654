package dev.kmsengine.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Mutations to commit together: puts, deletes and whole-bucket drops, applied in the order they were added.
 * Not thread-safe; hand it to {@link ClusterDatabase#commit} once complete.
 */
public final class WriteBatch {
  /** One mutation. {@code value} is null for a delete; {@code key} and {@code value} are null for a drop. */
  public record Mutation(String bucket, UUID key, byte[] value) {}

  /**
   * Puts of {@code count} values of {@code length} bytes, packed as {@link #putAll} takes them; a
   * {@link Mutation} per entry only when {@link #mutations()} is asked for.
   */
  record PackedPuts(String bucket, long[] keys, int keyIndex, byte[] values, int offset, int length, int count) {
    void expandInto(List<Mutation> out) {
      for (int j = 0; j < count; j++) {
        int k = 2 * (keyIndex + j);
        int from = offset + j * length;
        out.add(new Mutation(bucket, new UUID(keys[k], keys[k + 1]),
            Arrays.copyOfRange(values, from, from + length)));
      }
    }
  }

  /**
   * A lock the commit is made under, as the store that issued it can check it: the commit applies nothing unless
   * the lock is still held by the same holder when the commit is made current. Immutable.
   *
   * @param svm the SVM whose lock it is, for the error message
   * @param key the store's key of the holder's lock (for etcd, the key etcd's lock service created)
   * @param revision the store's revision that key was created at: a later holder's key is another key or was
   *     created later
   */
  public record Fence(UUID svm, String key, long revision) {
    /**
     * A fence.
     *
     * @param svm the SVM whose lock it is
     * @param key the lock's key
     * @param revision the key's create revision
     */
    public Fence {
      Objects.requireNonNull(svm);
      Objects.requireNonNull(key);
    }
  }

  /** {@link Mutation}s and {@link PackedPuts}, in order. */
  private final List<Object> steps = new ArrayList<>();
  private int size;
  private Fence fence;

  /** An empty batch. */
  public WriteBatch() {}

  /**
   * Puts {@code value} under {@code key}.
   *
   * @param bucket the bucket's name
   * @param key the entry's key
   * @param value the entry's value; not copied, so the caller must not change it before the commit
   * @return this batch
   */
  public WriteBatch put(String bucket, UUID key, byte[] value) {
    return add(new Mutation(Objects.requireNonNull(bucket), Objects.requireNonNull(key),
        Objects.requireNonNull(value)));
  }

  /**
   * Puts {@code count} values of {@code length} bytes each, stored back to back in {@code values} from
   * {@code offset}, under {@code count} keys stored in {@code keys} as pairs of (most, least) significant bits
   * from pair {@code keyIndex}: entry {@code j} is the key {@code (keys[2 * (keyIndex + j)], keys[2 * (keyIndex +
   * j) + 1])} and the value {@code values[offset + j * length, offset + (j + 1) * length)}. The same as
   * {@code count} calls of {@link #put}.
   *
   * <p>Why: a rekey stages a million rewrapped VEK blobs from a few packed arrays. As single puts that is a key
   * object, a value array and a mutation per blob, some 140 MB of garbage per million, and a store that packs its
   * buckets (the in-memory one) copies each value once more; packed, it copies straight from these arrays.
   *
   * @param bucket the bucket's name
   * @param keys the keys, as (most, least significant bits) pairs; not copied
   * @param keyIndex the pair of the first entry's key
   * @param values the values, back to back; not copied, so the caller must not change them before the commit
   * @param offset where the first value starts in {@code values}
   * @param length the length of every value
   * @param count how many entries
   * @return this batch
   * @throws IndexOutOfBoundsException if the arrays do not hold {@code count} keys and values from there
   */
  public WriteBatch putAll(String bucket, long[] keys, int keyIndex, byte[] values, int offset, int length,
      int count) {
    Objects.requireNonNull(bucket);
    if (length < 0 || count < 0) {
      throw new IndexOutOfBoundsException("negative length " + length + " or count " + count);
    }
    Objects.checkFromIndexSize(2L * keyIndex, 2L * count, keys.length);
    Objects.checkFromIndexSize((long) offset, (long) length * count, values.length);
    return add(new PackedPuts(bucket, keys, keyIndex, values, offset, length, count), count);
  }

  /**
   * Deletes {@code key} (no-op if absent).
   *
   * @param bucket the bucket's name
   * @param key the entry's key
   * @return this batch
   */
  public WriteBatch delete(String bucket, UUID key) {
    return add(new Mutation(Objects.requireNonNull(bucket), Objects.requireNonNull(key), null));
  }

  /**
   * Deletes every entry of {@code bucket}.
   *
   * @param bucket the bucket's name
   * @return this batch
   */
  public WriteBatch drop(String bucket) {
    return add(new Mutation(Objects.requireNonNull(bucket), null, null));
  }

  /**
   * Makes the commit conditional on a lock: a store that issued {@code lockFence} (the etcd store) applies
   * nothing and throws {@link StoreException} ("lock of SVM ... lost") if another holder has taken the lock since;
   * other stores ignore it. Why: a holder can lose its lock (its lease expired while it was paused or cut off)
   * and not notice before it commits; the store's own compare closes that window.
   *
   * @param lockFence the fence of the lock this batch is committed under ({@link
   *     ClusterDatabase.Coordination.SvmLock#fence()}), or {@code null} for none
   * @return this batch
   */
  public WriteBatch fence(Fence lockFence) {
    this.fence = lockFence;
    return this;
  }

  /**
   * The lock this batch is committed under.
   *
   * @return the fence, or {@code null} if none was set
   */
  public Fence fence() {
    return fence;
  }

  private WriteBatch add(Mutation m) {
    return add(m, 1);
  }

  private WriteBatch add(Object step, int mutations) {
    steps.add(step);
    size += mutations;
    return this;
  }

  /**
   * The mutations, in order, the entries of each {@link #putAll} as single puts.
   *
   * @return a read-only list of the mutations
   */
  public List<Mutation> mutations() {
    List<Mutation> out = new ArrayList<>(size);
    for (Object step : steps) {
      if (step instanceof PackedPuts p) {
        p.expandInto(out);
      } else {
        out.add((Mutation) step);
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The {@link Mutation}s and {@link PackedPuts}, in order, for a store that applies packed puts as they are. */
  List<Object> steps() {
    return Collections.unmodifiableList(steps);
  }

  /**
   * How many mutations: each entry of a {@link #putAll} counts as one.
   *
   * @return the number of mutations
   */
  public int size() {
    return size;
  }

  /**
   * Whether there is nothing to commit.
   *
   * @return {@code true} if the batch holds no mutation
   */
  public boolean isEmpty() {
    return size == 0;
  }
}
