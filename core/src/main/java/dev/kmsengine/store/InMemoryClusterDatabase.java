package dev.kmsengine.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A cluster database in the heap, for tests, benchmarks and simulators that need no durability.
 *
 * <p>A read-write lock gives the atomicity {@link ClusterDatabase} promises: a commit holds the write lock, each
 * read holds the read lock. Each bucket packs its entries into a few large arrays (see {@code PackedBucket}):
 * an SVM with a million encrypted volumes costs a few hundred bytes of heap per volume and almost nothing to the
 * garbage collector. Values are copied in and out, so callers may even modify what they pass or receive; only
 * {@link #forEachEntry} shows them in place, read-only. Its {@link ConfigProtectionKey} is held in memory too.
 */
public final class InMemoryClusterDatabase implements ClusterDatabase {
  private final Map<String, PackedBucket> buckets = new HashMap<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final ConfigProtectionKey configKey = ConfigProtectionKey.inMemory();

  /** An empty database with a fresh in-memory configuration-protection key. */
  public InMemoryClusterDatabase() {}

  @Override
  public byte[] get(String bucket, UUID key) {
    return read(bucket, b -> b.get(key), null);
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    read(bucket, b -> {
      b.forEach(action);
      return null;
    }, null);
  }

  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    read(bucket, b -> {
      b.forEachEntry(visitor);
      return null;
    }, null);
  }

  @Override
  public int count(String bucket) {
    return read(bucket, PackedBucket::size, 0);
  }

  /** {@code reader} applied to {@code bucket} under the read lock, or {@code absent} if there is no such bucket. */
  private <T> T read(String bucket, Function<PackedBucket, T> reader, T absent) {
    lock.readLock().lock();
    try {
      PackedBucket b = buckets.get(bucket);
      return b == null ? absent : reader.apply(b);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public List<String> buckets(String prefix) {
    lock.readLock().lock();
    try {
      List<String> out = new ArrayList<>();
      for (Map.Entry<String, PackedBucket> e : buckets.entrySet()) {
        if (e.getKey().startsWith(prefix) && e.getValue().size() > 0) {
          out.add(e.getKey());
        }
      }
      out.sort(null);
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void commit(WriteBatch batch) {
    lock.writeLock().lock();
    try {
      for (Object step : batch.steps()) {
        if (step instanceof WriteBatch.PackedPuts p) {
          buckets.computeIfAbsent(p.bucket(), k -> new PackedBucket())
              .putAll(p.keys(), p.keyIndex(), p.values(), p.offset(), p.length(), p.count());
          continue;
        }
        WriteBatch.Mutation m = (WriteBatch.Mutation) step;
        if (m.key() == null) {
          buckets.remove(m.bucket());
        } else if (m.value() == null) {
          PackedBucket b = buckets.get(m.bucket());
          if (b != null) {
            b.remove(m.key());
          }
        } else {
          buckets.computeIfAbsent(m.bucket(), k -> new PackedBucket()).put(m.key(), m.value());
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public void reserve(String bucket, int entries) {
    lock.writeLock().lock();
    try {
      buckets.computeIfAbsent(bucket, k -> new PackedBucket()).reserve(entries);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public ConfigProtectionKey configProtectionKey() {
    return configKey;
  }

  @Override
  public void close() {
    // The data goes with the object; the key is zeroised now rather than left to the garbage collector.
    configKey.destroy();
  }
}
