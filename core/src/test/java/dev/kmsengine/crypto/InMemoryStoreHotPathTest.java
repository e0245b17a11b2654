package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The packed buckets of {@link InMemoryClusterDatabase}, which hold the wrapped VEKs a rekey reads and stages,
 * behave exactly like a map of maps under random puts, overwrites (shorter and longer), deletes and drops.
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
          if (op < 65) {
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
      assertEquals(expected.keySet(), seen.keySet(), bucket);
      for (Map.Entry<UUID, byte[]> e : expected.entrySet()) {
        assertArrayEquals(e.getValue(), seen.get(e.getKey()));
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
