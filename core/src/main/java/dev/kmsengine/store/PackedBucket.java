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
 * An open-addressing table with linear probing, three longs per slot so that a probe usually touches one cache
 * line: the key's two halves, then the value's offset in {@code slab} (high 32 bits) and length (low 32 bits);
 * -1 marks a free slot. Values are appended to the slab; a replaced or deleted value becomes garbage, and the
 * slab is compacted when garbage outweighs live bytes. Deletion shifts the following probe run back (no
 * tombstones).
 *
 * <p>Not thread-safe: the database guards every bucket with its lock.
 */
final class PackedBucket {
  private static final int MIN_CAPACITY = 16;
  /** The largest slab an array can hold; a single bucket above it is far beyond any SVM the engine targets. */
  private static final int MAX_SLAB = Integer.MAX_VALUE - 8;
  /** Longs per slot: key most significant bits, key least significant bits, value offset and length. */
  private static final int STRIDE = 3;
  private static final long FREE = -1L;

  private long[] table;
  private int mask;
  private int size;
  private byte[] slab = new byte[0];
  private int slabUsed;
  private long garbage;

  PackedBucket() {
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    table = new long[STRIDE * capacity];
    for (int s = 0; s < capacity; s++) {
      table[STRIDE * s + 2] = FREE;
    }
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

  private static long meta(int offset, int length) {
    return ((long) offset << 32) | (length & 0xFFFF_FFFFL);
  }

  private int offset(int s) {
    return (int) (table[STRIDE * s + 2] >>> 32);
  }

  private int length(int s) {
    return (int) table[STRIDE * s + 2];
  }

  private boolean used(int s) {
    return table[STRIDE * s + 2] != FREE;
  }

  /** The slot holding the key, or the free slot where it would go (as {@code -slot - 1}). */
  private int find(long msb, long lsb) {
    int s = hash(msb, lsb) & mask;
    while (used(s)) {
      if (table[STRIDE * s] == msb && table[STRIDE * s + 1] == lsb) {
        return s;
      }
      s = (s + 1) & mask;
    }
    return -s - 1;
  }

  /** A copy of the value under {@code key}, or null. */
  byte[] get(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    return s < 0 ? null : Arrays.copyOfRange(slab, offset(s), offset(s) + length(s));
  }

  /** Stores a copy of {@code value} under {@code key}. */
  void put(UUID key, byte[] value) {
    long msb = key.getMostSignificantBits();
    long lsb = key.getLeastSignificantBits();
    int s = find(msb, lsb);
    if (s >= 0 && value.length <= length(s)) {
      garbage += length(s) - value.length;
      System.arraycopy(value, 0, slab, offset(s), value.length);
      table[STRIDE * s + 2] = meta(offset(s), value.length);
      return;
    }
    int at = append(value);
    if (s >= 0) {
      garbage += length(s);
    } else {
      if (size + 1 > (mask + 1) / 4 * 3) {
        rehash(2 * (mask + 1));
      }
      s = -find(msb, lsb) - 1;
      table[STRIDE * s] = msb;
      table[STRIDE * s + 1] = lsb;
      size++;
    }
    table[STRIDE * s + 2] = meta(at, value.length);
  }

  /**
   * Grows the table so that {@code entries} entries fit without a rehash. Why it matters: {@link #forEach} yields
   * entries in slot order, that is sorted by hash, so copying one bucket into another inserts them in that order.
   * Into a table smaller than the source, a later stretch of the source lands on the same slots as an earlier
   * one; linear probing then walks runs of thousands of full slots (a commit of 65,536 puts took half a second
   * instead of 5 ms). At the source's size, every key lands where it lay in the source.
   */
  void reserve(int entries) {
    int capacity = mask + 1;
    while ((long) entries > (long) capacity / 4 * 3 && capacity < (1 << 30)) {
      capacity *= 2;
    }
    if (capacity > mask + 1) {
      rehash(capacity);
    }
  }

  /** Removes {@code key} if present. */
  void remove(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    if (s < 0) {
      return;
    }
    garbage += length(s);
    size--;
    // Backward-shift deletion: move later members of the probe run into the hole so lookups never stop early.
    int hole = s;
    int next = (hole + 1) & mask;
    while (used(next)) {
      int home = hash(table[STRIDE * next], table[STRIDE * next + 1]) & mask;
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        System.arraycopy(table, STRIDE * next, table, STRIDE * hole, STRIDE);
        hole = next;
      }
      next = (next + 1) & mask;
    }
    table[STRIDE * hole + 2] = FREE;
    if (size == 0) {
      slab = new byte[0];
      slabUsed = 0;
      garbage = 0;
    }
  }

  /** Calls {@code action} with a fresh key and a copy of the value of every entry. */
  void forEach(BiConsumer<UUID, byte[]> action) {
    for (int s = 0; s <= mask; s++) {
      if (used(s)) {
        action.accept(new UUID(table[STRIDE * s], table[STRIDE * s + 1]),
            Arrays.copyOfRange(slab, offset(s), offset(s) + length(s)));
      }
    }
  }

  private int append(byte[] value) {
    if (slab.length - slabUsed < value.length) {
      if (garbage > slabUsed / 2) {
        compact();
      }
      if (slab.length - slabUsed < value.length) {
        if ((long) slabUsed + value.length > MAX_SLAB) {
          throw new StoreException("an in-memory bucket cannot hold more than " + MAX_SLAB + " bytes");
        }
        long wanted = Math.max((long) slabUsed + value.length, slab.length + (slab.length >> 1) + 64L);
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
    byte[] fresh = new byte[(int) Math.min(MAX_SLAB, (slabUsed - garbage) * 3 / 2 + 64)];
    int used = 0;
    for (int s = 0; s <= mask; s++) {
      if (used(s)) {
        System.arraycopy(slab, offset(s), fresh, used, length(s));
        table[STRIDE * s + 2] = meta(used, length(s));
        used += length(s);
      }
    }
    slab = fresh;
    slabUsed = used;
    garbage = 0;
  }

  private void rehash(int capacity) {
    long[] old = table;
    allocate(capacity);
    for (int s = 0; s < old.length; s += STRIDE) {
      if (old[s + 2] != FREE) {
        int t = -find(old[s], old[s + 1]) - 1;
        System.arraycopy(old, s, table, STRIDE * t, STRIDE);
      }
    }
  }
}
