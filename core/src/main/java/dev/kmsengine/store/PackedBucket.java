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
 * line: the key's two halves, then the value's offset in {@code slab} (high 32 bits) and length plus one (low 32
 * bits), so that 0 marks a free slot and a new table is free without a pass over it (at a million entries that
 * pass wrote 48 MB under the database's lock). Values are appended to the slab; a replaced or deleted value
 * becomes garbage, and the slab is compacted when garbage outweighs live bytes. Deletion shifts the following
 * probe run back (no tombstones).
 *
 * <p>Not thread-safe: the database guards every bucket with its lock.
 */
final class PackedBucket {
  private static final int MIN_CAPACITY = 16;
  /** The largest slab an array can hold; a single bucket above it is far beyond any SVM the engine targets. */
  private static final int MAX_SLAB = Integer.MAX_VALUE - 8;
  /** Longs per slot: key most significant bits, key least significant bits, value offset and length. */
  private static final int STRIDE = 3;
  private static final long FREE = 0L;

  private long[] table;
  private int mask;
  private int size;
  private byte[] slab = new byte[0];
  private int slabUsed;
  private long garbage;
  /** Entries announced by {@link #reserve} and not yet put; sizes the slab at the first value that outgrows it. */
  private int expected;

  PackedBucket() {
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    table = new long[STRIDE * capacity];
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
    return ((long) offset << 32) | (length + 1L);
  }

  private int offset(int s) {
    return (int) (table[STRIDE * s + 2] >>> 32);
  }

  private int length(int s) {
    return (int) table[STRIDE * s + 2] - 1;
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

  /** The slab's length in bytes, live values and garbage and room: for tests of its growth. */
  int slabCapacity() {
    return slab.length;
  }

  /** A copy of the value under {@code key}, or null. */
  byte[] get(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    return s < 0 ? null : Arrays.copyOfRange(slab, offset(s), offset(s) + length(s));
  }

  /** Stores a copy of {@code value} under {@code key}. */
  void put(UUID key, byte[] value) {
    put(key.getMostSignificantBits(), key.getLeastSignificantBits(), value, 0, value.length);
  }

  /**
   * Stores copies of {@code count} values of {@code length} bytes, back to back in {@code values} from
   * {@code offset}, under the keys in {@code keys} from pair {@code keyIndex} on (see {@link WriteBatch#putAll}).
   */
  void putAll(long[] keys, int keyIndex, byte[] values, int offset, int length, int count) {
    reserve(size + count);
    for (int j = 0; j < count; j++) {
      int k = 2 * (keyIndex + j);
      put(keys[k], keys[k + 1], values, offset + j * length, length);
    }
  }

  private void put(long msb, long lsb, byte[] value, int from, int length) {
    if (expected > 0) {
      expected--;
    }
    int s = find(msb, lsb);
    if (s >= 0 && length <= length(s)) {
      garbage += length(s) - length;
      System.arraycopy(value, from, slab, offset(s), length);
      table[STRIDE * s + 2] = meta(offset(s), length);
      return;
    }
    int at = append(value, from, length);
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
    table[STRIDE * s + 2] = meta(at, length);
  }

  /**
   * Grows the table so that {@code entries} entries fit without a rehash. Why it matters: {@link #forEach} yields
   * entries in slot order, that is sorted by hash, so copying one bucket into another inserts them in that order.
   * Into a table smaller than the source, a later stretch of the source lands on the same slots as an earlier
   * one; linear probing then walks runs of thousands of full slots (a commit of 65,536 puts took half a second
   * instead of 5 ms). At the source's size, every key lands where it lay in the source.
   *
   * <p>The slab is sized when the first value outgrows it, for all the entries still expected at that value's
   * length: the values of one bucket usually share a length (VEK blobs do), and growing the slab by half at a
   * time made some 30 copies adding up to twice its final size, under the database's lock.
   */
  void reserve(int entries) {
    expected = Math.max(expected, entries - size);
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

  /** Shows {@code visitor} every entry in place: no key object, no copy of the value. */
  void forEachEntry(ClusterDatabase.EntryVisitor visitor) {
    for (int s = 0; s <= mask; s++) {
      if (used(s)) {
        visitor.visit(table[STRIDE * s], table[STRIDE * s + 1], slab, offset(s), length(s));
      }
    }
  }

  private int append(byte[] value, int from, int length) {
    if (slab.length - slabUsed < length) {
      if (garbage > slabUsed / 2) {
        compact();
      }
      if (slab.length - slabUsed < length) {
        if ((long) slabUsed + length > MAX_SLAB) {
          throw new StoreException("an in-memory bucket cannot hold more than " + MAX_SLAB + " bytes");
        }
        long wanted = Math.max((long) slabUsed + (long) length * (expected + 1),
            Math.max((long) slabUsed + length, slab.length + (slab.length >> 1) + 64L));
        slab = Arrays.copyOf(slab, (int) Math.min(wanted, MAX_SLAB));
      }
    }
    int at = slabUsed;
    System.arraycopy(value, from, slab, at, length);
    slabUsed += length;
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
