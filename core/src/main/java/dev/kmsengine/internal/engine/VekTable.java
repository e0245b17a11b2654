package dev.kmsengine.internal.engine;

import java.util.Arrays;
import java.util.UUID;

/**
 * A node's unwrapped VEKs by volume: the 32 key bytes of each volume, packed.
 *
 * <h2>Design note</h2>
 * A node holds a key for every encrypted volume, millions in a big simulated cluster, and a restore reinstalls all
 * of them at once. As a {@code HashMap<UUID, byte[]>} each entry cost about 112 bytes of heap (a map node, a
 * {@code UUID}, a 32-byte array and their headers) and the restore's time went mostly to allocating and rehashing
 * them. Here the entries live in three dense arrays (the volume's two longs, its 32 key bytes), and an open-addressing
 * index of {@code int}s (linear probing, at most half full) points into them: about 56 bytes an entry plus growth
 * room, and no object per entry. A removal moves the last entry into the hole and shifts the probe run back, so the
 * arrays stay dense and no tombstones build up.
 *
 * <p>Key bytes are zeroised wherever they stop being part of the table: a removed or replaced entry's bytes, the
 * old array after a growth copy, and every entry on {@link #wipe()}. The table never hands out its own array;
 * {@link #copy} returns a fresh one.
 *
 * <p>Not thread-safe: its {@link Node} guards it with the node's lock.
 */
final class VekTable {
  /** Key bytes per entry. */
  static final int KEY_LENGTH = 32;
  private static final int INITIAL_ENTRIES = 16;
  /** The most entries whose key bytes fit one array. */
  static final int MAX_ENTRIES = Integer.MAX_VALUE / KEY_LENGTH;

  private long[] msbs = new long[INITIAL_ENTRIES];
  private long[] lsbs = new long[INITIAL_ENTRIES];
  private byte[] keys = new byte[INITIAL_ENTRIES * KEY_LENGTH];
  /** Dense index + 1 of the entry in each slot; 0 for an empty slot. Length a power of two. */
  private int[] slots = new int[2 * INITIAL_ENTRIES];
  private int size;

  int size() {
    return size;
  }

  boolean contains(UUID volume) {
    return slots[find(volume.getMostSignificantBits(), volume.getLeastSignificantBits())] != 0;
  }

  /** A copy of the volume's key bytes, which the caller zeroises when done; null when absent. */
  byte[] copy(UUID volume) {
    int e = slots[find(volume.getMostSignificantBits(), volume.getLeastSignificantBits())] - 1;
    return e < 0 ? null : Arrays.copyOfRange(keys, e * KEY_LENGTH, (e + 1) * KEY_LENGTH);
  }

  /** Copies {@code key} (32 bytes) in as the volume's VEK, overwriting (and so erasing) any it had. */
  void put(UUID volume, byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("a VEK is " + KEY_LENGTH + " bytes, not " + key.length);
    }
    long msb = volume.getMostSignificantBits();
    long lsb = volume.getLeastSignificantBits();
    int slot = find(msb, lsb);
    int e = slots[slot] - 1;
    if (e < 0) {
      if (size == msbs.length) {
        growEntries();
      }
      if (2 * (size + 1) > slots.length) {
        growSlots();
        slot = find(msb, lsb);
      }
      e = size++;
      msbs[e] = msb;
      lsbs[e] = lsb;
      slots[slot] = e + 1;
    }
    System.arraycopy(key, 0, keys, e * KEY_LENGTH, KEY_LENGTH);
  }

  /** Removes the volume's VEK, zeroising its bytes; returns whether there was one. */
  boolean remove(UUID volume) {
    int slot = find(volume.getMostSignificantBits(), volume.getLeastSignificantBits());
    int e = slots[slot] - 1;
    if (e < 0) {
      return false;
    }
    deleteSlot(slot);
    int last = --size;
    if (e != last) {
      // The last entry fills the hole; its slot is found while it still sits at its old index.
      slots[find(msbs[last], lsbs[last])] = e + 1;
      msbs[e] = msbs[last];
      lsbs[e] = lsbs[last];
      System.arraycopy(keys, last * KEY_LENGTH, keys, e * KEY_LENGTH, KEY_LENGTH);
    }
    Arrays.fill(keys, last * KEY_LENGTH, (last + 1) * KEY_LENGTH, (byte) 0);
    return true;
  }

  /** Zeroises every key and empties the table, giving back its memory. */
  void wipe() {
    Arrays.fill(keys, (byte) 0);
    msbs = new long[INITIAL_ENTRIES];
    lsbs = new long[INITIAL_ENTRIES];
    keys = new byte[INITIAL_ENTRIES * KEY_LENGTH];
    slots = new int[2 * INITIAL_ENTRIES];
    size = 0;
  }

  /** The slot holding the volume, or the empty slot where its probe run ends. */
  private int find(long msb, long lsb) {
    int mask = slots.length - 1;
    for (int i = hash(msb, lsb) & mask; ; i = (i + 1) & mask) {
      int e = slots[i] - 1;
      if (e < 0 || (msbs[e] == msb && lsbs[e] == lsb)) {
        return i;
      }
    }
  }

  /**
   * Empties {@code slot} and moves back the entries after it in its probe run that would otherwise no longer be
   * found (Knuth's deletion for linear probing), so lookups never need tombstones.
   */
  private void deleteSlot(int slot) {
    int mask = slots.length - 1;
    int hole = slot;
    for (int i = (hole + 1) & mask; slots[i] != 0; i = (i + 1) & mask) {
      int e = slots[i] - 1;
      int home = hash(msbs[e], lsbs[e]) & mask;
      // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
      boolean homeBetween = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!homeBetween) {
        slots[hole] = slots[i];
        hole = i;
      }
    }
    slots[hole] = 0;
  }

  private void growEntries() {
    if (msbs.length == MAX_ENTRIES) {
      // One more and the key array's length (32 bytes an entry) would overflow an int.
      throw new IllegalStateException("a node's VEK table holds at most " + MAX_ENTRIES + " keys");
    }
    int capacity = Math.min(MAX_ENTRIES, msbs.length + (msbs.length >> 1));
    msbs = Arrays.copyOf(msbs, capacity);
    lsbs = Arrays.copyOf(lsbs, capacity);
    byte[] old = keys;
    keys = Arrays.copyOf(old, capacity * KEY_LENGTH);
    Arrays.fill(old, (byte) 0);
  }

  private void growSlots() {
    slots = new int[2 * slots.length];
    int mask = slots.length - 1;
    for (int e = 0; e < size; e++) {
      int i = hash(msbs[e], lsbs[e]) & mask;
      while (slots[i] != 0) {
        i = (i + 1) & mask;
      }
      slots[i] = e + 1;
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
