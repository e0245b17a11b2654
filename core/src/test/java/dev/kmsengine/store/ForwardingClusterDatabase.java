package dev.kmsengine.store;

import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * A cluster database that forwards every call to another, for tests that intercept a few of them (a pause at a
 * commit, a reboot in the middle of a read, a lost write) and must behave as the real store otherwise.
 * {@code forEachEntry} keeps its default, which reads through {@link #forEach}, so a wrapper that intercepts
 * {@code forEach} sees both kinds of read.
 */
public abstract class ForwardingClusterDatabase implements ClusterDatabase {
  /** The database every call goes to. */
  protected final ClusterDatabase delegate;

  protected ForwardingClusterDatabase(ClusterDatabase delegate) {
    this.delegate = delegate;
  }

  @Override
  public byte[] get(String bucket, UUID key) {
    return delegate.get(bucket, key);
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    delegate.forEach(bucket, action);
  }

  @Override
  public int count(String bucket) {
    return delegate.count(bucket);
  }

  @Override
  public List<String> buckets(String prefix) {
    return delegate.buckets(prefix);
  }

  @Override
  public ConfigProtectionKey configProtectionKey() {
    return delegate.configProtectionKey();
  }

  @Override
  public void purgeHistory() {
    delegate.purgeHistory();
  }

  @Override
  public void commit(WriteBatch batch) {
    delegate.commit(batch);
  }

  @Override
  public void reserve(String bucket, int entries) {
    delegate.reserve(bucket, entries);
  }

  @Override
  public Coordination coordination() {
    return delegate.coordination();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
