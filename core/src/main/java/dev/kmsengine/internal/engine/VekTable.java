package dev.kmsengine.internal.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.UUID;

/**
 * A node's unwrapped VEKs by volume: the 32 key bytes of each volume, packed.
 *
 * <h2>Design note</h2>
 * A node holds a key for every encrypted volume, millions in a big simulated cluster, and a restore reinstalls all
 * of them at once. As a {@code HashMap<UUID, byte[]>} each entry cost about 112 bytes of heap (a map node, a
 * {@code UUID}, a 32-byte array and their headers) and the restore's time went mostly to allocating and rehashing
 * them. Here each entry is 48 bytes in a page (the volume's two longs, then its 32 key bytes), entries dense in
 * the order they came, and an open-addressing index of {@code int}s (linear probing, at most three-quarters full)
 * points into them: 48 bytes an entry plus 5-11 of index, and no object per entry. A removal moves the last entry
 * into the hole and shifts the probe run back, so the entries stay dense and no tombstones build up.
 *
 * <p>Each index slot holds, beside the entry's number, 6 bits of the volume's hash. Why: a probe that reads an
 * entry is a cache miss into hundreds of megabytes of pages, and an install (a restore makes millions) probes
 * until a free slot; with the tag, only 1 in 64 of the slots it passes costs a read of their entry.
 *
 * <p>Why pages: as three arrays grown by half, a table held up to a third of its size as room (73 bytes an entry
 * at a million, for 56 of data); only the last page grows here, so the room is at most half a page. A full page's
 * array is just under 32 MiB with its header, a whole number of G1 regions at any region size, and the index's
 * length is a power of two less 4 {@code int}s for the same reason: a humongous array's last region is
 * otherwise nearly empty.
 *
 * <p>Key bytes are zeroised wherever they stop being part of the table: a removed or replaced entry's bytes, the
 * old last page after a growth copy, and every page on {@link #wipe()}. The table never hands out its own arrays;
 * {@link #copy} returns a fresh one.
 *
 * <p>Not thread-safe: its {@link Node} guards it with the node's lock.
 */
final class VekTable {
  /** Key bytes per entry. */
  static final int KEY_LENGTH = 32;
  private static final int ID = 16;
  private static final int ENTRY = ID + KEY_LENGTH;
  /** Entries of a full page: 48 bytes each, the array with its header within 32 MiB. */
  static final int PAGE_ENTRIES = ((1 << 25) - 32) / ENTRY;
  private static final int MIN_PAGE_ENTRIES = 16;
  private static final int MIN_INDEX_BITS = 5;
  /** A slot's low bits: the entry's number plus one (0 for a free slot); the rest: its hash tag. */
  private static final int ENTRY_BITS = 26;
  private static final int ENTRY_MASK = (1 << ENTRY_BITS) - 1;
  /** The most entries the table holds: their numbers plus one fit a slot's entry bits. */
  static final int MAX_ENTRIES = ENTRY_MASK - 1;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** Full pages of {@link #PAGE_ENTRIES}, then the last page, which may be shorter. */
  private byte[][] pages = new byte[0][];
  /** Per slot: hash tag, then the entry's number + 1; 0 for an empty slot. Length {@code (1 << indexBits) - 4}. */
  private int[] slots = new int[indexLength(MIN_INDEX_BITS)];
  private int indexBits = MIN_INDEX_BITS;
  private int size;

  private static int indexLength(int bits) {
    return (1 << bits) - 4;
  }

  private static int indexLimit(int bits) {
    return indexLength(bits) / 4 * 3;
  }

  int size() {
    return size;
  }

  boolean contains(UUID volume) {
    return slots[find(volume.getMostSignificantBits(), volume.getLeastSignificantBits())] != 0;
  }

  /** The entry number in a slot's value, -1 for a free slot. */
  private static int entry(int slot) {
    return (slot & ENTRY_MASK) - 1;
  }

  private static int tag(int hash) {
    return hash & ((1 << (Integer.SIZE - ENTRY_BITS)) - 1);
  }

  /** A copy of the volume's key bytes, which the caller zeroises when done; null when absent. */
  byte[] copy(UUID volume) {
    int e = entry(slots[find(volume.getMostSignificantBits(), volume.getLeastSignificantBits())]);
    if (e < 0) {
      return null;
    }
    int at = offset(e) + ID;
    return Arrays.copyOfRange(page(e), at, at + KEY_LENGTH);
  }

  /** Copies {@code key} (32 bytes) in as the volume's VEK, overwriting (and so erasing) any it had. */
  void put(UUID volume, byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("a VEK is " + KEY_LENGTH + " bytes, not " + key.length);
    }
    put(volume.getMostSignificantBits(), volume.getLeastSignificantBits(), key, 0);
  }

  /** Copies the 32 bytes of {@code keys} from {@code from} in as the VEK of the volume {@code (msb, lsb)}. */
  private void put(long msb, long lsb, byte[] keys, int from) {
    int slot = find(msb, lsb);
    int e = entry(slots[slot]);
    if (e < 0) {
      if (size == MAX_ENTRIES) {
        throw new IllegalStateException("a node's VEK table holds at most " + MAX_ENTRIES + " keys");
      }
      if (size + 1 > indexLimit(indexBits)) {
        reindex(indexBits + 1);
        slot = find(msb, lsb);
      }
      e = size;
      makeRoom(e, 1);
      size++;
      LONGS.set(page(e), offset(e), msb);
      LONGS.set(page(e), offset(e) + 8, lsb);
      slots[slot] = (tag(hash(msb, lsb)) << ENTRY_BITS) | (e + 1);
    }
    System.arraycopy(keys, from, page(e), offset(e) + ID, KEY_LENGTH);
  }

  /**
   * Makes room for {@code entries} entries in all, so that installing them grows nothing on the way: a restore
   * knows how many VEKs it installs.
   */
  void reserve(int entries) {
    int wanted = Math.min(entries, MAX_ENTRIES);
    if (wanted <= size) {
      return;
    }
    int bits = indexBits;
    while (wanted > indexLimit(bits)) {
      bits++;
    }
    if (bits > indexBits) {
      reindex(bits);
    }
    makeRoom(size, wanted - size);
  }

  /** Removes the volume's VEK, zeroising its bytes; returns whether there was one. */
  boolean remove(UUID volume) {
    int slot = find(volume.getMostSignificantBits(), volume.getLeastSignificantBits());
    int e = entry(slots[slot]);
    if (e < 0) {
      return false;
    }
    deleteSlot(slot);
    int last = --size;
    if (e != last) {
      // The last entry fills the hole; its slot is found while it still sits at its old index.
      int moved = find(msbAt(last), lsbAt(last));
      slots[moved] = (slots[moved] & ~ENTRY_MASK) | (e + 1);
      System.arraycopy(page(last), offset(last), page(e), offset(e), ENTRY);
    }
    Arrays.fill(page(last), offset(last), offset(last) + ENTRY, (byte) 0);
    return true;
  }

  /** Zeroises every key and empties the table, giving back its memory. */
  void wipe() {
    for (byte[] p : pages) {
      Arrays.fill(p, (byte) 0);
    }
    pages = new byte[0][];
    indexBits = MIN_INDEX_BITS;
    slots = new int[indexLength(indexBits)];
    size = 0;
  }

  private byte[] page(int e) {
    return pages[e / PAGE_ENTRIES];
  }

  private static int offset(int e) {
    return (e % PAGE_ENTRIES) * ENTRY;
  }

  private long msbAt(int e) {
    return (long) LONGS.get(page(e), offset(e));
  }

  private long lsbAt(int e) {
    return (long) LONGS.get(page(e), offset(e) + 8);
  }

  /**
   * Makes the pages hold entries {@code first} to {@code first + count - 1}: the last page grows (by half at
   * least, to a full page at most) and full pages follow it; the old last page's bytes are zeroised after the
   * copy.
   */
  private void makeRoom(int first, int count) {
    long end = (long) first + count;
    int lastPage = pages.length - 1;
    if (lastPage >= 0 && (long) lastPage * PAGE_ENTRIES + pages[lastPage].length / ENTRY >= end) {
      return;
    }
    if (lastPage >= 0 && pages[lastPage].length < PAGE_ENTRIES * ENTRY) {
      byte[] old = pages[lastPage];
      int held = old.length / ENTRY;
      long wanted = Math.max(end - (long) lastPage * PAGE_ENTRIES, held + (held >> 1));
      pages[lastPage] = Arrays.copyOf(old, (int) Math.min(PAGE_ENTRIES, wanted) * ENTRY);
      Arrays.fill(old, (byte) 0);
    }
    while ((long) pages.length * PAGE_ENTRIES < end) {
      int p = pages.length;
      long wanted = Math.max(end - (long) p * PAGE_ENTRIES, MIN_PAGE_ENTRIES);
      pages = Arrays.copyOf(pages, p + 1);
      pages[p] = new byte[(int) Math.min(PAGE_ENTRIES, wanted) * ENTRY];
    }
  }

  /** The home slot of a hash: its unsigned value scaled to the index's length (its high bits, not the tag's). */
  private int home(int hash) {
    return (int) (((hash & 0xFFFF_FFFFL) * slots.length) >>> 32);
  }

  private int next(int slot) {
    return slot + 1 == slots.length ? 0 : slot + 1;
  }

  /** The slot holding the volume, or the empty slot where its probe run ends. */
  private int find(long msb, long lsb) {
    int hash = hash(msb, lsb);
    int tag = tag(hash);
    for (int i = home(hash); ; i = next(i)) {
      int s = slots[i];
      if (s == 0) {
        return i;
      }
      if (s >>> ENTRY_BITS == tag) {
        int e = entry(s);
        if (msbAt(e) == msb && lsbAt(e) == lsb) {
          return i;
        }
      }
    }
  }

  /**
   * Empties {@code slot} and moves back the entries after it in its probe run that would otherwise no longer be
   * found (Knuth's deletion for linear probing), so lookups never need tombstones.
   */
  private void deleteSlot(int slot) {
    int hole = slot;
    for (int i = next(hole); slots[i] != 0; i = next(i)) {
      int e = entry(slots[i]);
      int home = home(hash(msbAt(e), lsbAt(e)));
      // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
      boolean homeBetween = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!homeBetween) {
        slots[hole] = slots[i];
        hole = i;
      }
    }
    slots[hole] = 0;
  }

  private void reindex(int bits) {
    indexBits = bits;
    slots = new int[indexLength(bits)];
    for (int e = 0; e < size; e++) {
      int hash = hash(msbAt(e), lsbAt(e));
      int i = home(hash);
      while (slots[i] != 0) {
        i = next(i);
      }
      slots[i] = (tag(hash) << ENTRY_BITS) | (e + 1);
    }
  }

  /** Spreads the bits: volume ids are random, but tests and benchmarks also use small sequential ones. */
  private static int hash(long msb, long lsb) {
    long h = (msb ^ Long.rotateLeft(lsb, 32)) * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 29));
  }

  @Override
  public String toString() {
    return "VekTable[" + size + " keys, redacted]";
  }
}
