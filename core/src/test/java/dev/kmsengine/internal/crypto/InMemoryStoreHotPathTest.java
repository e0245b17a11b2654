package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The packed buckets of {@link InMemoryClusterDatabase}, which hold the wrapped VEKs a rekey reads and stages,
 * behave exactly like a map of maps under random puts (single and packed), overwrites (shorter and longer),
 * deletes, drops and size reservations (which must change nothing visible), whether read by copy or in place.
 */
class InMemoryStoreHotPathTest {
  private static final List<String> BUCKETS = List.of("veks/a/1", "veks/a/2", "volumes/a");

  @Test
  void commit_randomMutations_readsMatchAReferenceMap() {
    SplittableRandom random = new SplittableRandom(20261130);
    Map<String, Map<UUID, byte[]>> model = new HashMap<>();
    List<UUID> keys = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      // Few distinct high bits, so many keys share hash neighbourhoods and probe runs get long.
      keys.add(new UUID(random.nextInt(4), random.nextLong()));
    }
    try (InMemoryClusterDatabase db = new InMemoryClusterDatabase()) {
      for (int round = 0; round < 60; round++) {
        WriteBatch batch = new WriteBatch();
        for (int m = 0; m < 500; m++) {
          String bucket = BUCKETS.get(random.nextInt(BUCKETS.size()));
          UUID key = keys.get(random.nextInt(keys.size()));
          int op = random.nextInt(100);
          if (op < 5) {
            int count = random.nextInt(40);
            int length = random.nextInt(70);
            long[] packedKeys = new long[2 * (count + 1)];
            byte[] values = new byte[length * count + 3];
            random.nextBytes(values);
            for (int j = 0; j < count; j++) {
              UUID k = keys.get(random.nextInt(keys.size()));
              packedKeys[2 * (j + 1)] = k.getMostSignificantBits();
              packedKeys[2 * (j + 1) + 1] = k.getLeastSignificantBits();
              model.computeIfAbsent(bucket, b -> new HashMap<>())
                  .put(k, Arrays.copyOfRange(values, 3 + j * length, 3 + (j + 1) * length));
            }
            batch.putAll(bucket, packedKeys, 1, values, 3, length, count);
          } else if (op < 65) {
            byte[] value = new byte[random.nextInt(90)];
            random.nextBytes(value);
            batch.put(bucket, key, value);
            model.computeIfAbsent(bucket, b -> new HashMap<>()).put(key, value.clone());
          } else if (op < 99) {
            batch.delete(bucket, key);
            Map<UUID, byte[]> b = model.get(bucket);
            if (b != null) {
              b.remove(key);
            }
          } else {
            batch.drop(bucket);
            model.remove(bucket);
          }
        }
        db.commit(batch);
        assertSame(model, db, keys);
        if (round % 7 == 3) {
          db.reserve(BUCKETS.get(random.nextInt(BUCKETS.size())), random.nextInt(20_000));
          assertSame(model, db, keys);
        }
      }
    }
  }

  @Test
  void bucketCopiedInItsOwnOrder_intoAReservedBucket_holdsEveryEntry() {
    // What a rekey does: read a large bucket in the order it yields entries (hash order) and put them, a page at a
    // time and pages out of order, into a bucket reserved for all of them.
    SplittableRandom random = new SplittableRandom(7);
    try (InMemoryClusterDatabase db = new InMemoryClusterDatabase()) {
      WriteBatch fill = new WriteBatch();
      for (int i = 0; i < 200_000; i++) {
        fill.put("veks/a/1", new UUID(random.nextLong(), random.nextLong()), new byte[] {(byte) i});
      }
      db.commit(fill);
      List<UUID> order = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      db.forEach("veks/a/1", (k, v) -> {
        order.add(k);
        values.add(v);
      });
      db.reserve("veks/a/2", order.size());
      assertEquals(List.of("veks/a/1"), db.buckets("veks/"), "a reserved bucket stays invisible while empty");
      assertEquals(0, db.count("veks/a/2"));
      int page = 65_536;
      for (int start : new int[] {0, 2 * page, page, 3 * page}) {
        WriteBatch b = new WriteBatch();
        for (int i = start; i < Math.min(order.size(), start + page); i++) {
          b.put("veks/a/2", order.get(i), values.get(i));
        }
        db.commit(b);
      }
      assertEquals(order.size(), db.count("veks/a/2"));
      for (int i = 0; i < order.size(); i++) {
        assertArrayEquals(values.get(i), db.get("veks/a/2", order.get(i)));
      }
    }
  }

  @Test
  void commit_thenCallerModifiesItsArrays_storedValueUnchanged() {
    try (InMemoryClusterDatabase db = new InMemoryClusterDatabase()) {
      UUID key = UUID.randomUUID();
      byte[] value = {1, 2, 3};
      db.commit(new WriteBatch().put("b", key, value));
      value[0] = 9;
      db.get("b", key)[1] = 9;
      assertArrayEquals(new byte[] {1, 2, 3}, db.get("b", key));
    }
  }

  private static void assertSame(Map<String, Map<UUID, byte[]>> model, InMemoryClusterDatabase db,
      List<UUID> keys) {
    List<String> nonEmpty = new ArrayList<>();
    for (String bucket : BUCKETS) {
      Map<UUID, byte[]> expected = model.getOrDefault(bucket, Map.of());
      if (!expected.isEmpty()) {
        nonEmpty.add(bucket);
      }
      assertEquals(expected.size(), db.count(bucket), bucket);
      Map<UUID, byte[]> seen = new TreeMap<>();
      db.forEach(bucket, seen::put);
      Map<UUID, byte[]> seenInPlace = new TreeMap<>();
      db.forEachEntry(bucket, (msb, lsb, value, offset, length) ->
          seenInPlace.put(new UUID(msb, lsb), Arrays.copyOfRange(value, offset, offset + length)));
      assertEquals(expected.keySet(), seen.keySet(), bucket);
      assertEquals(expected.keySet(), seenInPlace.keySet(), bucket);
      for (Map.Entry<UUID, byte[]> e : expected.entrySet()) {
        assertArrayEquals(e.getValue(), seen.get(e.getKey()));
        assertArrayEquals(e.getValue(), seenInPlace.get(e.getKey()));
        assertArrayEquals(e.getValue(), db.get(bucket, e.getKey()));
      }
      for (int i = 0; i < 50; i++) {
        UUID k = keys.get(i);
        if (!expected.containsKey(k)) {
          assertNull(db.get(bucket, k));
        }
      }
    }
    assertEquals(nonEmpty, db.buckets("veks/").isEmpty() && db.buckets("volumes/").isEmpty() ? List.of()
        : concat(db.buckets("veks/"), db.buckets("volumes/")));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
