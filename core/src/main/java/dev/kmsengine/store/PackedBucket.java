package dev.kmsengine.store;

import java.util.Arrays;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * One bucket of {@link InMemoryClusterDatabase}: uuid-keyed byte values packed into a few large arrays, so that a
 * bucket of a million wrapped VEKs is a handful of objects instead of three million.
 *
 * <p>Why: every small object the heap holds is work for every young collection that has to copy or scan it. A
 * rekey of a million VEKs stages a million new blobs while the JCE produces gigabytes of short-lived garbage; as
 * {@code HashMap} entries they were copied by the collector at least once per rekey (over a second of pause per
 * million on a 2-core box), packed they are copied by {@code System.arraycopy} only.
 *
 * <h2>Layout</h2>
 * An open-addressing table with linear probing: slot {@code s} holds the key in {@code keys[2s], keys[2s+1]}, and
 * its value as {@code length[s]} bytes at {@code offset[s]} of {@code slab}; {@code length[s] == -1} marks a free
 * slot. Values are appended to the slab; a replaced or deleted value becomes garbage, and the slab is compacted
 * when garbage outweighs live bytes. Deletion shifts the following probe run back (no tombstones).
 *
 * <p>Not thread-safe: the database guards every bucket with its lock.
 */
final class PackedBucket {
  private static final int MIN_CAPACITY = 16;
  /** The largest slab an array can hold; a single bucket above it is far beyond any SVM the engine targets. */
  private static final int MAX_SLAB = Integer.MAX_VALUE - 8;

  private long[] keys;
  private int[] offset;
  private int[] length;
  private int mask;
  private int size;
  private byte[] slab = new byte[0];
  private int slabUsed;
  private long garbage;

  PackedBucket() {
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    keys = new long[2 * capacity];
    offset = new int[capacity];
    length = new int[capacity];
    Arrays.fill(length, -1);
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  private static int hash(long msb, long lsb) {
    long h = msb * 0x9E3779B97F4A7C15L ^ lsb;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return (int) h;
  }

  /** The slot holding the key, or the free slot where it would go (as {@code -slot - 1}). */
  private int find(long msb, long lsb) {
    int s = hash(msb, lsb) & mask;
    while (length[s] != -1) {
      if (keys[2 * s] == msb && keys[2 * s + 1] == lsb) {
        return s;
      }
      s = (s + 1) & mask;
    }
    return -s - 1;
  }

  /** A copy of the value under {@code key}, or null. */
  byte[] get(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    return s < 0 ? null : Arrays.copyOfRange(slab, offset[s], offset[s] + length[s]);
  }

  /** Stores a copy of {@code value} under {@code key}. */
  void put(UUID key, byte[] value) {
    long msb = key.getMostSignificantBits();
    long lsb = key.getLeastSignificantBits();
    int s = find(msb, lsb);
    if (s >= 0 && value.length <= length[s]) {
      garbage += length[s] - value.length;
      System.arraycopy(value, 0, slab, offset[s], value.length);
      length[s] = value.length;
      return;
    }
    int at = append(value);
    if (s >= 0) {
      garbage += length[s];
    } else {
      if (size + 1 > (mask + 1) / 4 * 3) {
        rehash(2 * (mask + 1));
      }
      s = -find(msb, lsb) - 1;
      keys[2 * s] = msb;
      keys[2 * s + 1] = lsb;
      size++;
    }
    offset[s] = at;
    length[s] = value.length;
  }

  /** Removes {@code key} if present. */
  void remove(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    if (s < 0) {
      return;
    }
    garbage += length[s];
    size--;
    // Backward-shift deletion: move later members of the probe run into the hole so lookups never stop early.
    int hole = s;
    int next = (hole + 1) & mask;
    while (length[next] != -1) {
      int home = hash(keys[2 * next], keys[2 * next + 1]) & mask;
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        keys[2 * hole] = keys[2 * next];
        keys[2 * hole + 1] = keys[2 * next + 1];
        offset[hole] = offset[next];
        length[hole] = length[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    length[hole] = -1;
    if (size == 0) {
      slab = new byte[0];
      slabUsed = 0;
      garbage = 0;
    }
  }

  /** Calls {@code action} with a fresh key and a copy of the value of every entry. */
  void forEach(BiConsumer<UUID, byte[]> action) {
    for (int s = 0; s <= mask; s++) {
      if (length[s] != -1) {
        action.accept(new UUID(keys[2 * s], keys[2 * s + 1]),
            Arrays.copyOfRange(slab, offset[s], offset[s] + length[s]));
      }
    }
  }

  private int append(byte[] value) {
    if (slab.length - slabUsed < value.length) {
      if (garbage > slabUsed / 2) {
        compact();
      }
      if (slab.length - slabUsed < value.length) {
        long wanted = Math.max((long) slabUsed + value.length, slab.length + (slab.length >> 1) + 64L);
        if ((long) slabUsed + value.length > MAX_SLAB) {
          throw new StoreException("an in-memory bucket cannot hold more than " + MAX_SLAB + " bytes");
        }
        slab = Arrays.copyOf(slab, (int) Math.min(wanted, MAX_SLAB));
      }
    }
    int at = slabUsed;
    System.arraycopy(value, 0, slab, at, value.length);
    slabUsed += value.length;
    return at;
  }

  /** Rewrites the slab with live values only, in slot order. */
  private void compact() {
    byte[] fresh = new byte[Math.max(64, (int) Math.min(MAX_SLAB, (slabUsed - garbage) * 3 / 2 + 64))];
    int used = 0;
    for (int s = 0; s <= mask; s++) {
      if (length[s] != -1) {
        System.arraycopy(slab, offset[s], fresh, used, length[s]);
        offset[s] = used;
        used += length[s];
      }
    }
    slab = fresh;
    slabUsed = used;
    garbage = 0;
  }

  private void rehash(int capacity) {
    long[] oldKeys = keys;
    int[] oldOffset = offset;
    int[] oldLength = length;
    allocate(capacity);
    for (int s = 0; s < oldLength.length; s++) {
      if (oldLength[s] != -1) {
        int t = -find(oldKeys[2 * s], oldKeys[2 * s + 1]) - 1;
        keys[2 * t] = oldKeys[2 * s];
        keys[2 * t + 1] = oldKeys[2 * s + 1];
        offset[t] = oldOffset[s];
        length[t] = oldLength[s];
      }
    }
  }
}
