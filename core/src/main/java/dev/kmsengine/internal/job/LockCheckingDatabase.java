package dev.kmsengine.internal.job;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ConfigProtectionKey;
import dev.kmsengine.store.WriteBatch;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * {@link JobLocks#checkingCommits}: a database whose commits first check the SVM lock the committing thread works
 * under; every other call goes to the wrapped database as it is. Thread-safe as the wrapped database is.
 */
final class LockCheckingDatabase implements ClusterDatabase {
  private final ClusterDatabase db;

  LockCheckingDatabase(ClusterDatabase db) {
    this.db = db;
  }

  @Override
  public void commit(WriteBatch batch) {
    JobLocks.beforeCommit(batch);
    db.commit(batch);
  }

  @Override
  public byte[] get(String bucket, UUID key) {
    return db.get(bucket, key);
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    db.forEach(bucket, action);
  }

  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    db.forEachEntry(bucket, visitor);
  }

  @Override
  public int count(String bucket) {
    return db.count(bucket);
  }

  @Override
  public List<String> buckets(String prefix) {
    return db.buckets(prefix);
  }

  @Override
  public void reserve(String bucket, int entries) {
    db.reserve(bucket, entries);
  }

  @Override
  public ConfigProtectionKey configProtectionKey() {
    return db.configProtectionKey();
  }

  @Override
  public void purgeHistory() {
    db.purgeHistory();
  }

  @Override
  public Coordination coordination() {
    return db.coordination();
  }

  @Override
  public void close() {
    db.close();
  }

  @Override
  public String toString() {
    return db.toString();
  }
}
