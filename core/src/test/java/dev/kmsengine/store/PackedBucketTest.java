package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PackedBucketTest {
  @Test
  void emptyValueAtTheSlabsStart_isAnEntryNotAFreeSlot() {
    // Offset 0 and length 0: the one value whose slot metadata would read as free without the length's +1.
    PackedBucket b = new PackedBucket();
    UUID empty = new UUID(1, 1);
    b.put(empty, new byte[0]);
    b.put(new UUID(2, 2), new byte[] {5});
    assertEquals(2, b.size());
    assertArrayEquals(new byte[0], b.get(empty));
    List<UUID> seen = new ArrayList<>();
    b.forEach((k, v) -> seen.add(k));
    assertEquals(2, seen.size());
    b.remove(empty);
    assertNull(b.get(empty));
    assertArrayEquals(new byte[] {5}, b.get(new UUID(2, 2)));
  }

  @Test
  void reserve_thenValuesOfOneLength_slabIsSizedOnceForAllOfThem() {
    PackedBucket b = new PackedBucket();
    b.reserve(10_000);
    b.put(new UUID(0, 0), new byte[62]);
    long sized = b.slabCapacity();
    assertEquals(10_000 * (16 + 1 + 62), sized, "key, length and value of every entry");
    for (int i = 1; i < 10_000; i++) {
      b.put(new UUID(0, i), new byte[62]);
    }
    assertEquals(sized, b.slabCapacity(), "the slab never grew");
  }

  @Test
  void putAll_batchesWithoutReserve_slabGrowsGeometrically() {
    // A bucket fed batch after batch without a reservation must not grow its slab by one batch at a time, which
    // would copy it once per batch.
    PackedBucket b = new PackedBucket();
    int batch = 1000;
    long[] keys = new long[2 * batch];
    byte[] values = new byte[batch * 62];
    int grown = 0;
    long capacity = b.slabCapacity();
    for (int round = 0; round < 64; round++) {
      for (int j = 0; j < batch; j++) {
        keys[2 * j] = round;
        keys[2 * j + 1] = j;
      }
      b.putAll(keys, 0, values, 0, 62, batch);
      if (b.slabCapacity() != capacity) {
        grown++;
        capacity = b.slabCapacity();
      }
    }
    assertEquals(64 * batch, b.size());
    assertTrue(grown <= 16, "slab grew " + grown + " times for 64 batches");
  }

  @Test
  void putAll_overExistingKeys_replacesTheirValues() {
    PackedBucket b = new PackedBucket();
    b.put(new UUID(0, 1), new byte[] {1, 1, 1});
    b.put(new UUID(0, 2), new byte[] {2});
    b.putAll(new long[] {0, 1, 0, 2, 0, 3}, 0, new byte[] {7, 7, 8, 8, 9, 9}, 0, 2, 3);
    assertEquals(3, b.size());
    assertArrayEquals(new byte[] {7, 7}, b.get(new UUID(0, 1)));
    assertArrayEquals(new byte[] {8, 8}, b.get(new UUID(0, 2)));
    assertArrayEquals(new byte[] {9, 9}, b.get(new UUID(0, 3)));
  }

  @Test
  void randomPutsReplacesAndRemoves_ofShortAndLongValues_readBackLikeAHashMap() {
    // Lengths either side of 127 (one or two length bytes), replacements longer and shorter than the value they
    // replace (appended, or rewritten in place), and removals enough to compact the slab several times.
    PackedBucket b = new PackedBucket();
    Map<UUID, byte[]> model = new HashMap<>();
    SplittableRandom r = new SplittableRandom(16);
    for (int step = 0; step < 200_000; step++) {
      UUID key = new UUID(r.nextInt(64), r.nextInt(3000));
      if (r.nextInt(4) == 0) {
        b.remove(key);
        model.remove(key);
      } else {
        byte[] value = new byte[r.nextInt(4) == 0 ? 120 + r.nextInt(300) : r.nextInt(70)];
        r.nextBytes(value);
        b.put(key, value);
        model.put(key, value);
      }
    }
    assertEquals(model.size(), b.size());
    for (Map.Entry<UUID, byte[]> e : model.entrySet()) {
      assertArrayEquals(e.getValue(), b.get(e.getKey()), "value of " + e.getKey());
    }
    Map<UUID, byte[]> seen = new HashMap<>();
    b.forEachEntry((msb, lsb, slab, offset, length) ->
        seen.put(new UUID(msb, lsb), Arrays.copyOfRange(slab, offset, offset + length)));
    assertEquals(model.keySet(), seen.keySet());
    for (Map.Entry<UUID, byte[]> e : model.entrySet()) {
      assertArrayEquals(e.getValue(), seen.get(e.getKey()), "value shown in place for " + e.getKey());
    }
    assertNull(b.get(new UUID(99, 99)));
  }

  @Test
  void bucketLargerThanOnePage_keepsEveryEntryWholeAndGrowsOnlyItsLastPage() {
    // 79-byte entries do not divide a page: the one that does not fit starts the next page instead of straddling.
    PackedBucket b = new PackedBucket();
    int count = Slab.PAGE_BYTES / 79 + 20_000;
    byte[] value = new byte[62];
    for (int i = 0; i < count; i++) {
      Arrays.fill(value, (byte) i);
      b.put(new UUID(7, i), value);
    }
    assertEquals(count, b.size());
    long live = (long) count * 79;
    assertTrue(b.slabCapacity() - live < Slab.PAGE_BYTES / 2 + 79,
        "room beyond the live bytes is at most half a page: " + (b.slabCapacity() - live));
    int[] seen = {0};
    b.forEachEntry((msb, lsb, page, offset, length) -> {
      assertEquals(62, length);
      if (page[offset] != (byte) lsb || page[offset + length - 1] != (byte) lsb) {
        throw new AssertionError("value of entry " + lsb + " is not where its offset says");
      }
      seen[0]++;
    });
    assertEquals(count, seen[0]);
    for (int i = 0; i < count; i += 997) {
      Arrays.fill(value, (byte) i);
      assertArrayEquals(value, b.get(new UUID(7, i)));
    }
  }

  @Test
  void reserveBeyondOnePage_sizesEachPageOnceForTheEntriesExpected() {
    PackedBucket b = new PackedBucket();
    int count = Slab.PAGE_BYTES / 79 + 1_000;
    b.reserve(count);
    long[] keys = new long[2 * count];
    for (int i = 0; i < count; i++) {
      keys[2 * i + 1] = i;
    }
    b.putAll(keys, 0, new byte[count * 62], 0, 62, count);
    assertEquals(count, b.size());
    assertTrue(b.slabCapacity() <= (long) count * 79 + 79, "no room left over: " + b.slabCapacity());
  }
}
