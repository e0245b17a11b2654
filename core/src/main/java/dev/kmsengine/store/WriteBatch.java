package dev.kmsengine.store;

import java.util.ArrayList;
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

  private final List<Mutation> mutations = new ArrayList<>();

  /**
   * Puts {@code value} under {@code key}.
   *
   * @param bucket the bucket's name
   * @param key the entry's key
   * @param value the entry's value; not copied, so the caller must not change it before the commit
   * @return this batch
   */
  public WriteBatch put(String bucket, UUID key, byte[] value) {
    mutations.add(new Mutation(Objects.requireNonNull(bucket), Objects.requireNonNull(key),
        Objects.requireNonNull(value)));
    return this;
  }

  /**
   * Deletes {@code key} (no-op if absent).
   *
   * @param bucket the bucket's name
   * @param key the entry's key
   * @return this batch
   */
  public WriteBatch delete(String bucket, UUID key) {
    mutations.add(new Mutation(Objects.requireNonNull(bucket), Objects.requireNonNull(key), null));
    return this;
  }

  /**
   * Deletes every entry of {@code bucket}.
   *
   * @param bucket the bucket's name
   * @return this batch
   */
  public WriteBatch drop(String bucket) {
    mutations.add(new Mutation(Objects.requireNonNull(bucket), null, null));
    return this;
  }

  /**
   * The mutations, in order.
   *
   * @return a read-only view of the mutations
   */
  public List<Mutation> mutations() {
    return Collections.unmodifiableList(mutations);
  }

  /**
   * How many mutations.
   *
   * @return the number of mutations
   */
  public int size() {
    return mutations.size();
  }

  /**
   * Whether there is nothing to commit.
   *
   * @return {@code true} if the batch holds no mutation
   */
  public boolean isEmpty() {
    return mutations.isEmpty();
  }
}
