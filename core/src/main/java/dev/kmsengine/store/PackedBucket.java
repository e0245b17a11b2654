package dev.kmsengine.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * Entries live in a {@link Slab} (pages of up to 32 MiB), back to back: the key's two halves (16 bytes), the
 * value's length as a varint (one byte up to 127) and the value. An open-addressing table with linear probing
 * holds, per slot, the entry's offset in the slab plus one, so that 0 marks a free slot and a new table is free
 * without a pass over it (at a million entries that pass wrote megabytes under the database's lock). Why the key
 * is in the slab rather than in the table: a table is kept at most three-quarters full and doubles, so at a
 * million entries it has two million slots; at 24 bytes a slot (key and offset) that was 48 bytes per entry,
 * three buckets per volume, a third of an in-memory volume's heap. At 4 bytes a slot it is 8 bytes per entry,
 * and the key costs its 16 bytes once, in the slab. A lookup reads the slab for each slot it probes; at that
 * load a probe run is short.
 *
 * <p>The table's length is a power of two less 4, and a hash picks its home slot by multiplying into that range
 * (high bits, not a mask). Why: an {@code int[1 << n]} is 16 bytes of header over a power of two, and G1 gives a
 * humongous array a whole number of regions, so at ten million entries each such table took a further, nearly
 * empty 8 MiB region; {@code (1 << n) - 4} ints with their header are exactly {@code 1 << (n + 2)} bytes.
 *
 * <p>A replaced or deleted entry becomes garbage, and the slab is compacted when garbage outweighs live bytes.
 * Deletion shifts the following probe run back (no tombstones).
 *
 * <p>Not thread-safe: the database guards every bucket with its lock.
 */
final class PackedBucket {
  /** Table lengths are {@code (1 << bits) - 4}; see the class note. */
  private static final int MIN_TABLE_BITS = 4;
  private static final int MAX_TABLE_BITS = 30;
  /** Bytes of an entry before its length: the key's most and least significant bits. */
  private static final int KEY = 16;
  private static final int FREE = 0;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** Per slot: the offset of its entry in {@link #slab} plus one, or {@link #FREE}. */
  private int[] table;
  private int tableBits;
  private int size;
  private Slab slab = new Slab();
  private long garbage;
  /** Entries announced by {@link #reserve} and not yet put; sizes the slab at the first value that outgrows it. */
  private int expected;

  PackedBucket() {
    tableBits = MIN_TABLE_BITS;
    table = new int[tableLength(tableBits)];
  }

  private static int tableLength(int bits) {
    return (1 << bits) - 4;
  }

  /** The entries a table of {@code 1 << bits} slots (less 4) holds before it grows: three quarters. */
  private static int tableLimit(int bits) {
    return tableLength(bits) / 4 * 3;
  }

  /** The home slot of a hash: its unsigned value scaled to the table's length. */
  private int home(int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * table.length) >>> 32);
  }

  private int next(int slot) {
    return slot + 1 == table.length ? 0 : slot + 1;
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

  /** The bytes an entry with a value of {@code length} bytes takes in the slab. */
  private static int entrySize(int length) {
    return KEY + varIntSize(length) + length;
  }

  private static int varIntSize(int v) {
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  private long msbAt(int entry) {
    return (long) LONGS.get(slab.page(entry), Slab.at(entry));
  }

  private long lsbAt(int entry) {
    return (long) LONGS.get(slab.page(entry), Slab.at(entry) + 8);
  }

  /** The value's length of the entry at {@code entry}. */
  private int lengthAt(int entry) {
    byte[] page = slab.page(entry);
    int at = Slab.at(entry) + KEY;
    int v = 0;
    for (int shift = 0; ; shift += 7) {
      int b = page[at++];
      v |= (b & 0x7f) << shift;
      if (b >= 0) {
        return v;
      }
    }
  }

  /** Where the value of the entry at {@code entry}, of {@code length} bytes, starts within its page. */
  private static int valueAt(int entry, int length) {
    return Slab.at(entry) + KEY + varIntSize(length);
  }

  /** Writes an entry at slab offset {@code entry}. */
  private void writeEntry(int entry, long msb, long lsb, byte[] value, int from, int length) {
    byte[] page = slab.page(entry);
    int at = Slab.at(entry);
    LONGS.set(page, at, msb);
    LONGS.set(page, at + 8, lsb);
    int p = at + KEY;
    int v = length;
    while ((v & ~0x7f) != 0) {
      page[p++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    page[p++] = (byte) v;
    System.arraycopy(value, from, page, p, length);
  }

  /** The slot holding the key, or the free slot where it would go (as {@code -slot - 1}). */
  private int find(long msb, long lsb) {
    int s = home(hash(msb, lsb));
    for (int t = table[s]; t != FREE; t = table[s]) {
      if (msbAt(t - 1) == msb && lsbAt(t - 1) == lsb) {
        return s;
      }
      s = next(s);
    }
    return -s - 1;
  }

  /** The bytes of the slab's pages, live entries and garbage and room: for tests of its growth. */
  long slabCapacity() {
    return slab.capacity();
  }

  /** A copy of the value under {@code key}, or null. */
  byte[] get(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    if (s < 0) {
      return null;
    }
    int entry = table[s] - 1;
    int length = lengthAt(entry);
    int at = valueAt(entry, length);
    return Arrays.copyOfRange(slab.page(entry), at, at + length);
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
    int size = entrySize(length);
    if (s >= 0) {
      int entry = table[s] - 1;
      int old = entrySize(lengthAt(entry));
      if (size <= old) {
        // In place: a shorter length never takes more bytes as a varint, so the entry fits where it was.
        writeEntry(entry, msb, lsb, value, from, length);
        garbage += old - size;
        return;
      }
      // Appended before the old entry counts as garbage: a compaction on the way still copies it as live.
      int at = append(msb, lsb, value, from, length);
      garbage += old;
      table[s] = at + 1;
      return;
    }
    if (this.size + 1 > tableLimit(tableBits) && tableBits < MAX_TABLE_BITS) {
      rehash(tableBits + 1);
    }
    int at = append(msb, lsb, value, from, length);
    table[-find(msb, lsb) - 1] = at + 1;
    this.size++;
  }

  /**
   * Grows the table so that {@code entries} entries fit without a rehash. Why it matters: {@link #forEach} yields
   * entries in slot order, that is sorted by hash, so copying one bucket into another inserts them in that order.
   * Into a table that keeps growing on the way, linear probing walked runs of thousands of full slots (a commit of
   * 65,536 puts took half a second instead of 5 ms, with the table indexed by a hash's low bits); sized once,
   * every key lands near where it lay in the source.
   *
   * <p>The slab's last page is sized when the first value outgrows it, for all the entries still expected at that
   * value's length (up to a full page; each later page likewise): the values of one bucket usually share a length
   * (VEK blobs do), and growing by half at a time made some 30 copies adding up to twice the final size, under
   * the database's lock.
   */
  void reserve(int entries) {
    expected = Math.max(expected, entries - size);
    int bits = tableBits;
    while (entries > tableLimit(bits) && bits < MAX_TABLE_BITS) {
      bits++;
    }
    if (bits > tableBits) {
      rehash(bits);
    }
  }

  /** Removes {@code key} if present. */
  void remove(UUID key) {
    int s = find(key.getMostSignificantBits(), key.getLeastSignificantBits());
    if (s < 0) {
      return;
    }
    garbage += entrySize(lengthAt(table[s] - 1));
    size--;
    // Backward-shift deletion: move later members of the probe run into the hole so lookups never stop early.
    int hole = s;
    int next = next(hole);
    while (table[next] != FREE) {
      int entry = table[next] - 1;
      int home = home(hash(msbAt(entry), lsbAt(entry)));
      if (distance(home, next) >= distance(hole, next)) {
        table[hole] = table[next];
        hole = next;
      }
      next = next(next);
    }
    table[hole] = FREE;
    if (size == 0) {
      slab = new Slab();
      garbage = 0;
    }
  }

  /** Slots from {@code from} forward to {@code to}, wrapping at the table's end. */
  private int distance(int from, int to) {
    return to >= from ? to - from : to - from + table.length;
  }

  /** Calls {@code action} with a fresh key and a copy of the value of every entry. */
  void forEach(BiConsumer<UUID, byte[]> action) {
    for (int t : table) {
      if (t != FREE) {
        int entry = t - 1;
        int length = lengthAt(entry);
        int at = valueAt(entry, length);
        action.accept(new UUID(msbAt(entry), lsbAt(entry)), Arrays.copyOfRange(slab.page(entry), at, at + length));
      }
    }
  }

  /** Shows {@code visitor} every entry in place: no key object, no copy of the value. */
  void forEachEntry(ClusterDatabase.EntryVisitor visitor) {
    for (int t : table) {
      if (t != FREE) {
        int entry = t - 1;
        int length = lengthAt(entry);
        visitor.visit(msbAt(entry), lsbAt(entry), slab.page(entry), valueAt(entry, length), length);
      }
    }
  }

  /** Appends an entry to the slab, compacting it first if garbage outweighs live bytes; returns its offset. */
  private int append(long msb, long lsb, byte[] value, int from, int length) {
    int size = entrySize(length);
    if (garbage > slab.used() / 2 && !slab.fits(size)) {
      compact();
    }
    int at = slab.allocate(size, (long) size * expected);
    writeEntry(at, msb, lsb, value, from, length);
    return at;
  }

  /** Rewrites the slab with live entries only, in slot order, with room for half as many again. */
  private void compact() {
    Slab fresh = new Slab();
    long room = (slab.used() - garbage) * 3 / 2;
    for (int s = 0; s < table.length; s++) {
      if (table[s] != FREE) {
        int entry = table[s] - 1;
        int n = entrySize(lengthAt(entry));
        int to = fresh.allocate(n, room);
        System.arraycopy(slab.page(entry), Slab.at(entry), fresh.page(to), Slab.at(to), n);
        table[s] = to + 1;
        room = Math.max(0, room - n);
      }
    }
    slab = fresh;
    garbage = 0;
  }

  private void rehash(int bits) {
    int[] old = table;
    tableBits = bits;
    table = new int[tableLength(bits)];
    for (int t : old) {
      if (t != FREE) {
        table[-find(msbAt(t - 1), lsbAt(t - 1)) - 1] = t;
      }
    }
  }
}
