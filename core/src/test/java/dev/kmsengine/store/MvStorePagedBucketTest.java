package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 3: large packed puts in key order stored as pages, mixed with single puts, deletes and drops, against a
 * model of what the bucket must hold.
 */
class MvStorePagedBucketTest {
  private static final Comparator ORDER = new Comparator();

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("cluster.db");
  }

  /** UUID order as the store keeps it (signed most, then least significant bits), as a comparator for the model. */
  private static final class Comparator implements java.util.Comparator<UUID> {
    @Override
    public int compare(UUID a, UUID b) {
      return UuidKeyType.INSTANCE.compare(a, b);
    }
  }

  private static byte[] value(long n) {
    return ByteBuffer.allocate(62).putLong(n).putLong(~n).array();
  }

  /** A packed put of {@code keys} (ascending), each with {@link #value} of {@code tag} plus its index. */
  private static WriteBatch putAll(WriteBatch b, String bucket, List<UUID> keys, long tag, Map<UUID, byte[]> model) {
    long[] packed = new long[2 * keys.size()];
    byte[] values = new byte[62 * keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      packed[2 * i] = keys.get(i).getMostSignificantBits();
      packed[2 * i + 1] = keys.get(i).getLeastSignificantBits();
      byte[] v = value(tag + i);
      System.arraycopy(v, 0, values, 62 * i, 62);
      if (model != null) {
        model.put(keys.get(i), v);
      }
    }
    return b.putAll(bucket, packed, 0, values, 0, 62, keys.size());
  }

  private static List<UUID> randomSortedKeys(Random r, int n) {
    List<UUID> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(new UUID(r.nextLong(), r.nextLong()));
    }
    keys.sort(ORDER);
    return keys;
  }

  /** Every way of reading the bucket agrees with {@code model}, and forEachEntry yields it in key order. */
  private static void assertHolds(MvStoreClusterDatabase db, String bucket, TreeMap<UUID, byte[]> model) {
    assertEquals(model.size(), db.count(bucket));
    List<UUID> order = new ArrayList<>();
    db.forEachEntry(bucket, (msb, lsb, v, offset, length) -> {
      UUID k = new UUID(msb, lsb);
      order.add(k);
      assertArrayEquals(model.get(k), Arrays.copyOfRange(v, offset, offset + length), "value of " + k);
    });
    assertEquals(new ArrayList<>(model.keySet()), order, "every key once, in key order");
    int[] seen = {0};
    db.forEach(bucket, (k, v) -> {
      assertArrayEquals(model.get(k), v);
      seen[0]++;
    });
    assertEquals(model.size(), seen[0]);
    Random r = new Random(model.size());
    int probes = 0;
    for (Map.Entry<UUID, byte[]> e : model.entrySet()) {
      if (probes++ % 7 == 0) {
        assertArrayEquals(e.getValue(), db.get(bucket, e.getKey()), "get " + e.getKey());
        UUID next = new UUID(e.getKey().getMostSignificantBits(), e.getKey().getLeastSignificantBits() + 1);
        if (!model.containsKey(next)) {
          assertNull(db.get(bucket, next), "a key beside a stored one is absent");
        }
      }
    }
    for (int i = 0; i < 200; i++) {
      UUID k = new UUID(r.nextLong(), r.nextLong());
      if (!model.containsKey(k)) {
        assertNull(db.get(bucket, k));
      }
    }
    assertEquals(!model.isEmpty(), db.buckets("").contains(bucket));
  }

  private static boolean hasPages(Path f, String bucket) {
    MVStore raw = new MVStore.Builder().fileName(f.toString()).readOnly().open();
    try {
      return raw.hasMap(MvStoreBuckets.pagesName(bucket)) && !MvStoreBuckets.open(raw, MvStoreBuckets.pagesName(bucket))
          .isEmpty();
    } finally {
      raw.closeImmediately();
    }
  }

  @Test
  void putAll_largeAscendingRun_isStoredAsPages_readsBackEveryWay_andIsOneStoreVersion() {
    Random r = new Random(1);
    TreeMap<UUID, byte[]> model = new TreeMap<>(ORDER);
    List<UUID> keys = randomSortedKeys(r, 70_000);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "veks/s/2", keys, 0, model));
      assertHolds(db, "veks/s/2", model);
    }
    assertTrue(hasPages(file(), "veks/s/2"));
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertHolds(db, "veks/s/2", model);
    }
  }

  @Test
  void singlePutsDeletesAndRunsOnAPagedBucket_matchTheModel_inOneBatchAndAcrossBatchesAndReopens() {
    Random r = new Random(2);
    String bucket = "veks/s/3";
    TreeMap<UUID, byte[]> model = new TreeMap<>(ORDER);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), bucket, randomSortedKeys(r, 5_000), 0, model));
    }
    assertTrue(hasPages(file(), bucket), "precondition: the bucket is paged");
    long tag = 1_000_000;
    for (int round = 0; round < 12; round++) {
      try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
        for (int c = 0; c < 4; c++) {
          WriteBatch b = new WriteBatch();
          List<UUID> present = new ArrayList<>(model.keySet());
          for (int op = 0; op < 40; op++) {
            int kind = r.nextInt(5);
            if (kind == 0 && !present.isEmpty()) {
              UUID k = present.get(r.nextInt(present.size()));
              b.delete(bucket, k);
              model.remove(k);
            } else if (kind == 1 && !present.isEmpty()) {
              UUID k = present.get(r.nextInt(present.size()));
              byte[] v = value(tag++);
              b.put(bucket, k, v);
              model.put(k, v);
            } else if (kind == 2) {
              UUID k = new UUID(r.nextLong(), r.nextLong());
              byte[] v = value(tag++);
              b.put(bucket, k, v);
              model.put(k, v);
            } else if (kind == 3) {
              // A run that may land between pages, inside one page's span, or over stored keys.
              List<UUID> run = randomSortedKeys(r, 64 + r.nextInt(200));
              if (r.nextBoolean() && !present.isEmpty()) {
                run.add(present.get(r.nextInt(present.size())));
                run.sort(ORDER);
                run = new ArrayList<>(new java.util.LinkedHashSet<>(run));
              }
              putAll(b, bucket, run, tag, model);
              tag += run.size();
            } else {
              b.delete(bucket, new UUID(r.nextLong(), r.nextLong()));
            }
          }
          db.commit(b);
        }
        assertHolds(db, bucket, model);
      }
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertHolds(db, bucket, model);
    }
  }

  @Test
  void deletingEveryRecordOfAPagedBucket_leavesItEmptyAndUnlisted() {
    Random r = new Random(3);
    List<UUID> keys = randomSortedKeys(r, 3_000);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "b", keys, 0, null));
      WriteBatch b = new WriteBatch();
      keys.forEach(k -> b.delete("b", k));
      db.commit(b);
      assertHolds(db, "b", new TreeMap<>(ORDER));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertHolds(db, "b", new TreeMap<>(ORDER));
      assertEquals(List.of(), db.buckets(""));
    }
  }

  @Test
  void drop_ofAPagedBucket_inTheBatchThatWroteIt_orLater_emptiesIt() {
    Random r = new Random(4);
    TreeMap<UUID, byte[]> kept = new TreeMap<>(ORDER);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "gone-later", randomSortedKeys(r, 2_000), 0, null));
      db.commit(putAll(new WriteBatch(), "gone-at-once", randomSortedKeys(r, 2_000), 0, null).drop("gone-at-once"));
      db.commit(new WriteBatch().drop("gone-later"));
      db.commit(putAll(new WriteBatch().drop("kept"), "kept", randomSortedKeys(r, 2_000), 0, kept));
      assertEquals(List.of("kept"), db.buckets(""));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertEquals(0, db.count("gone-later"));
      assertEquals(0, db.count("gone-at-once"));
      assertHolds(db, "kept", kept);
    }
  }

  @Test
  void rekeyLikeGenerations_stagedInPagesOutOfOrder_thenOldDropped_keepEveryBlob() {
    Random r = new Random(5);
    TreeMap<UUID, byte[]> model = new TreeMap<>(ORDER);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "veks/s/1", randomSortedKeys(r, 10_000), 0, model));
      for (int gen = 2; gen <= 4; gen++) {
        String staging = "veks/s/" + gen;
        List<UUID> all = new ArrayList<>();
        db.forEachEntry("veks/s/" + (gen - 1), (msb, lsb, v, o, l) -> all.add(new UUID(msb, lsb)));
        // Workers commit their pages in whatever order they finish.
        List<Integer> pages = new ArrayList<>(List.of(0, 1, 2, 3, 4));
        java.util.Collections.shuffle(pages, r);
        TreeMap<UUID, byte[]> next = new TreeMap<>(ORDER);
        for (int p : pages) {
          db.commit(putAll(new WriteBatch(), staging, all.subList(p * 2_000, (p + 1) * 2_000), gen * 100_000L
              + p * 2_000L, next));
        }
        db.commit(new WriteBatch().drop("veks/s/" + (gen - 1)));
        model = next;
        assertHolds(db, staging, model);
      }
    }
    assertTrue(hasPages(file(), "veks/s/4"));
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertEquals(List.of("veks/s/4"), db.buckets("veks/"));
      assertHolds(db, "veks/s/4", model);
    }
  }

  @Test
  void purgeHistory_keepsPagedBucketsAndTheirCounts() {
    Random r = new Random(6);
    TreeMap<UUID, byte[]> model = new TreeMap<>(ORDER);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "veks/s/1", randomSortedKeys(r, 3_000), 0, model));
      UUID single = new UUID(1, 1);
      db.commit(new WriteBatch().put("veks/s/1", single, value(5)));
      model.put(single, value(5));
      db.purgeHistory();
      assertHolds(db, "veks/s/1", model);
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertHolds(db, "veks/s/1", model);
    }
  }

  @Test
  void flippedBitInAPagedRecord_isRefusedAtOpen_namingTheRecord() throws Exception {
    List<UUID> keys = randomSortedKeys(new Random(7), 500);
    UUID victim = keys.get(321);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "veks/s/1", keys, 0, null));
    }
    byte[] bytes = Files.readAllBytes(file());
    // One char per byte, so that String.indexOf finds the record's bytes.
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    String v = new String(value(321), StandardCharsets.ISO_8859_1);
    int copies = 0;
    for (int at = text.indexOf(v); at >= 0; at = text.indexOf(v, at + 1)) {
      bytes[at + 30] ^= 0x10;
      copies++;
    }
    assertTrue(copies > 0, "the record's bytes are in the file");
    Files.write(file(), bytes);
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(file()).close());
    assertTrue(e.getMessage().contains("record " + victim + " in bucket veks/s/1"), e.getMessage());
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }

  @Test
  void open_countThatDisagreesWithThePages_isRefusedAsInconsistent() throws Exception {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(putAll(new WriteBatch(), "veks/s/1", randomSortedKeys(new Random(8), 500), 0, null));
    }
    MVStore raw = new MVStore.Builder().fileName(file().toString()).autoCommitDisabled().open();
    MvStoreBuckets.counts(raw).put("veks/s/1", 499L);
    raw.commit();
    raw.close();
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(file()).close());
    assertTrue(e.getMessage().contains("inconsistent in bucket veks/s/1"), e.getMessage());
  }

  @Test
  void open_formatTwoFile_isMigratedToThree_servesTheSameValues_andTakesPagesAfterwards() throws Exception {
    // Format 2 as its writer left it: framed records one per MVMap entry, store version 2, and no pages.
    Path f = file();
    TreeMap<UUID, byte[]> model = new TreeMap<>(ORDER);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      WriteBatch b = new WriteBatch();
      for (int i = 0; i < 2_000; i++) {
        UUID k = new UUID(3, i);
        b.put("veks/s/1", k, value(i));
        model.put(k, value(i));
      }
      db.commit(b);
    }
    MVStore raw = new MVStore.Builder().fileName(f.toString()).autoCommitDisabled().open();
    assertFalse(raw.getMapNames().stream().anyMatch(n -> !n.startsWith(MvStoreBuckets.ENTRIES)),
        "precondition: the file has format 2's layout");
    MVMap<UUID, byte[]> map = MvStoreBuckets.open(raw, MvStoreBuckets.entriesName("veks/s/1"));
    assertTrue(RecordChecksum.intact("veks/s/1", 3, 7, map.get(new UUID(3, 7))), "format 2's framed record");
    raw.setStoreVersion(2);
    raw.commit();
    raw.close();

    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      assertHolds(db, "veks/s/1", model);
      List<UUID> keys = new ArrayList<>(model.keySet());
      TreeMap<UUID, byte[]> next = new TreeMap<>(ORDER);
      db.commit(putAll(new WriteBatch(), "veks/s/2", keys, 50_000, next).drop("veks/s/1"));
      model = next;
    }
    MVStore check = new MVStore.Builder().fileName(f.toString()).readOnly().open();
    assertEquals(3, check.getStoreVersion());
    check.close();
    assertTrue(hasPages(f, "veks/s/2"));
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      assertHolds(db, "veks/s/2", model);
    }
  }
}
