package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class MvStoreClusterDatabaseTest {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve("data").resolve("cluster.db");
  }

  private static byte[] value(int n) {
    return ByteBuffer.allocate(62).putInt(n).array();
  }

  /** A closed database with a few commits in it. */
  private Path populated() {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      for (int c = 0; c < 5; c++) {
        WriteBatch b = new WriteBatch();
        for (int i = 0; i < 2000; i++) {
          b.put("veks/s/" + c, new UUID(c, i), value(i));
        }
        db.commit(b);
      }
    }
    return file();
  }

  @Test
  void purgeHistory_overwrittenValueGoneFromTheFile_everyCurrentEntryKept_reopenAndCommitAgain() throws Exception {
    byte[] old = "overwritten-value-canary-7a1d".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    UUID k = UUID.randomUUID();
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(populated())) {
      db.commit(new WriteBatch().put("configs", k, old));
      db.commit(new WriteBatch().put("configs", k, value(1)).drop("veks/s/4"));
      assertTrue(contains(Files.readAllBytes(file()), old), "precondition: MVStore keeps the old chunk");
      db.purgeHistory();
      assertFalse(contains(Files.readAllBytes(file()), old), "the old value is still in the file");
      assertArrayEquals(value(1), db.get("configs", k));
      assertEquals(2000, db.count("veks/s/3"));
      assertEquals(0, db.count("veks/s/4"), "a dropped bucket stays dropped");
      db.commit(new WriteBatch().put("configs", k, value(2)));
    }
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(file())));
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertArrayEquals(value(2), db.get("configs", k), "the marker follows the rewritten file");
      assertEquals(2000, db.count("veks/s/0"));
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void commit_closeAndReopen_everyValueSurvives() {
    UUID k = UUID.randomUUID();
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(new WriteBatch().put("configs", k, value(7)).put("veks/a/1", k, value(8)));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertArrayEquals(value(7), db.get("configs", k));
      assertArrayEquals(value(8), db.get("veks/a/1", k));
      assertNull(db.get("configs", UUID.randomUUID()));
      assertNull(db.get("no-such-bucket", k));
      assertEquals(1, db.count("configs"));
      assertEquals(0, db.count("no-such-bucket"));
    }
  }

  @Test
  void batch_putsDeletesAndDropsInOneCommit_applyInOrderAndSurviveReopen() {
    UUID a = new UUID(0, 1);
    UUID b = new UUID(0, 2);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(new WriteBatch().put("x", a, value(1)).put("x", b, value(2)).put("old", a, value(3)));
      db.commit(new WriteBatch().delete("x", a).drop("old").put("new", a, value(4)).drop("x").put("x", b,
          value(5)).delete("absent", a).drop("absent"));
      assertNull(db.get("x", a));
      assertArrayEquals(value(5), db.get("x", b));
      assertEquals(0, db.count("old"));
      assertArrayEquals(value(4), db.get("new", a));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertEquals(List.of("new", "x"), db.buckets(""));
      assertEquals(1, db.count("x"));
    }
  }

  @Test
  void buckets_prefix_listsOnlyNonEmptyMatchingBucketsSorted() {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      UUID k = UUID.randomUUID();
      db.commit(new WriteBatch().put("veks/s1/2", k, value(1)).put("veks/s1/10", k, value(1))
          .put("veks/s2/1", k, value(1)).put("volumes/s1", k, value(1)).put("veks/s1/3", k, value(1)));
      db.commit(new WriteBatch().delete("veks/s1/3", k));
      assertEquals(List.of("veks/s1/10", "veks/s1/2"), db.buckets("veks/s1/"));
      assertEquals(List.of("veks/s1/10", "veks/s1/2", "veks/s2/1"), db.buckets("veks/"));
      assertEquals(List.of(), db.buckets("nothing/"));
    }
  }

  @Test
  void forEach_largeBucket_visitsEveryEntryOnceAndDropEmptiesIt() {
    int n = 100_000;
    Map<UUID, Integer> expected = new HashMap<>();
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      Random r = new Random(3);
      for (int lo = 0; lo < n; lo += 65_536) {
        WriteBatch b = new WriteBatch();
        for (int i = lo; i < Math.min(n, lo + 65_536); i++) {
          UUID k = new UUID(r.nextLong(), r.nextLong());
          expected.put(k, i);
          b.put("big", k, value(i));
        }
        db.commit(b);
      }
      assertEquals(n, db.count("big"));
      Map<UUID, Integer> seen = new HashMap<>();
      db.forEach("big", (k, v) -> assertNull(seen.put(k, ByteBuffer.wrap(v).getInt())));
      assertEquals(expected, seen);
      db.commit(new WriteBatch().drop("big").put("small", new UUID(1, 1), value(1)));
      assertEquals(0, db.count("big"));
      assertEquals(List.of("small"), db.buckets(""));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertEquals(0, db.count("big"));
      int[] visits = {0};
      db.forEach("big", (k, v) -> visits[0]++);
      assertEquals(0, visits[0]);
    }
  }

  /** Keys (7, i) for i in [0, n), as {@link WriteBatch#putAll} takes them. */
  private static long[] packedKeys(int n) {
    long[] keys = new long[2 * n];
    for (int i = 0; i < n; i++) {
      keys[2 * i] = 7;
      keys[2 * i + 1] = i;
    }
    return keys;
  }

  /** {@code n} values of 62 bytes back to back, value i being {@code value.apply(i)}. */
  private static byte[] packedValues(int n, java.util.function.IntFunction<byte[]> value) {
    byte[] values = new byte[62 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(value.apply(i), 0, values, 62 * i, 62);
    }
    return values;
  }

  @Test
  void putAll_packedEntries_surviveReopenAndReadInPlaceLikeForEach() {
    int n = 1000;
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(new WriteBatch().putAll("veks/a/2", packedKeys(n), 0, packedValues(n, i -> value(i)), 0, 62, n));
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      assertEquals(n, db.count("veks/a/2"));
      Map<UUID, Integer> inPlace = new HashMap<>();
      db.forEachEntry("veks/a/2", (msb, lsb, v, offset, length) -> {
        assertEquals(62, length);
        inPlace.put(new UUID(msb, lsb), ByteBuffer.wrap(v, offset, length).getInt());
      });
      Map<UUID, Integer> copied = new HashMap<>();
      db.forEach("veks/a/2", (k, v) -> copied.put(k, ByteBuffer.wrap(v).getInt()));
      assertEquals(n, inPlace.size());
      assertEquals(copied, inPlace);
      assertEquals(Integer.valueOf(999), inPlace.get(new UUID(7, 999)));
    }
  }

  /** {@code packed}: each batch as two packed puts in key order, which format 3 stores as pages. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void readers_duringCommits_neverSeePartOfABatch(boolean packed) throws Exception {
    int keys = 5_000;
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<String> problem = new AtomicReference<>();
      Runnable reader = () -> {
        while (!stop.get() && problem.get() == null) {
          int[] first = {-1};
          int[] count = {0};
          db.forEach("gen", (k, v) -> {
            int g = ByteBuffer.wrap(v).getInt();
            if (first[0] < 0) {
              first[0] = g;
            } else if (first[0] != g) {
              problem.compareAndSet(null, "one pass saw batches " + first[0] + " and " + g);
            }
            count[0]++;
          });
          if (count[0] != 0 && count[0] != keys) {
            problem.compareAndSet(null, "one pass saw " + count[0] + " of " + keys + " entries");
          }
        }
      };
      Thread[] readers = {new Thread(reader), new Thread(reader)};
      for (Thread t : readers) {
        t.start();
      }
      for (int batch = 0; batch < 30; batch++) {
        WriteBatch b = new WriteBatch().drop("gen");
        if (packed) {
          long[] ids = packedKeys(keys);
          int g = batch;
          byte[] values = packedValues(keys, i -> value(g));
          b.putAll("gen", ids, 0, values, 0, 62, keys / 2).putAll("gen", ids, keys / 2, values, 62 * (keys / 2), 62,
              keys - keys / 2);
        } else {
          for (int i = 0; i < keys; i++) {
            b.put("gen", new UUID(7, i), value(batch));
          }
        }
        db.commit(b);
      }
      stop.set(true);
      for (Thread t : readers) {
        t.join();
      }
      assertNull(problem.get());
    }
  }

  @Test
  void open_whileOpenInThisProcess_failsAsLockedAndFirstStaysUsable() throws Exception {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file())) {
      db.commit(new WriteBatch().put("a", new UUID(0, 1), value(1)));
      byte[] before = Files.readAllBytes(file());
      StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(file()));
      assertTrue(e.getMessage().contains(file().toString()) && e.getMessage().contains("locked"), e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(file()));
      db.commit(new WriteBatch().put("a", new UUID(0, 2), value(2)));
      assertEquals(2, db.count("a"));
    }
  }

  @Test
  void open_truncatedFile_failsNamingTheFileAndLeavesItUntouched() throws Exception {
    Path f = populated();
    byte[] all = Files.readAllBytes(f);
    for (int cut : new int[] {all.length / 2, all.length - 8192, 4096, 100}) {
      byte[] truncated = Arrays.copyOf(all, cut);
      Files.write(f, truncated);
      StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f),
          "truncated to " + cut);
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertArrayEquals(truncated, Files.readAllBytes(f), "a refused file is not written");
    }
  }

  @Test
  void open_emptyFile_isRefusedNotReset() throws Exception {
    Path f = populated();
    Files.write(f, new byte[0]);
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    assertEquals(0, Files.size(f));
  }

  @Test
  void open_corruptHeaderOrNewestChunk_failsAndLeavesTheFileUntouched() throws Exception {
    Path f = populated();
    byte[] good = Files.readAllBytes(f);
    Random r = new Random(5);
    byte[] headerGone = good.clone();
    byte[] noise = new byte[8192];
    r.nextBytes(noise);
    System.arraycopy(noise, 0, headerGone, 0, noise.length);
    byte[] tailGone = good.clone();
    byte[] tail = new byte[12_288];
    r.nextBytes(tail);
    System.arraycopy(tail, 0, tailGone, good.length - tail.length, tail.length);
    for (byte[] corrupt : List.of(headerGone, tailGone)) {
      Files.write(f, corrupt);
      StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertArrayEquals(corrupt, Files.readAllBytes(f));
    }
  }

  @Test
  void open_newerFormatVersion_isRefusedWithTheVersion() throws Exception {
    Path f = populated();
    MVStore raw = new MVStore.Builder().fileName(f.toString()).autoCommitDisabled().open();
    raw.setStoreVersion(MvStoreClusterDatabase.FORMAT_VERSION + 1);
    raw.commit();
    raw.close();
    byte[] before = Files.readAllBytes(f);
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("format version " + (MvStoreClusterDatabase.FORMAT_VERSION + 1)),
        e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(f));
  }

  @Test
  void open_formatOneFileWithoutChecksums_isMigratedAndServesTheSameValues() throws Exception {
    Path f = populated();
    // Rewrite it as format 1 wrote it: the same maps, values without their checksum frame.
    MVStore raw = new MVStore.Builder().fileName(f.toString()).autoCommitDisabled().open();
    for (String name : raw.getMapNames()) {
      if (name.startsWith("bucket:")) {
        org.h2.mvstore.MVMap<UUID, byte[]> map = raw.openMap(name, new org.h2.mvstore.MVMap.Builder<UUID, byte[]>()
            .keyType(UuidKeyType.INSTANCE).valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
        for (Map.Entry<UUID, byte[]> e : List.copyOf(map.entrySet())) {
          map.put(e.getKey(), Arrays.copyOf(e.getValue(), e.getValue().length - RecordChecksum.LENGTH));
        }
      }
    }
    raw.setStoreVersion(1);
    raw.commit();
    raw.close();

    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      for (int c = 0; c < 5; c++) {
        assertArrayEquals(value(7), db.get("veks/s/" + c, new UUID(c, 7)));
        assertEquals(2000, db.count("veks/s/" + c));
      }
    }
    MVStore check = new MVStore.Builder().fileName(f.toString()).readOnly().open();
    assertEquals(MvStoreClusterDatabase.FORMAT_VERSION, check.getStoreVersion());
    check.close();
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      assertArrayEquals(value(1999), db.get("veks/s/4", new UUID(4, 1999)), "checked as format 2 on the next open");
    }
  }

  @Test
  void open_foreignMvStoreFile_isRefused() throws Exception {
    Path f = populated();
    Files.delete(f);
    MVStore raw = new MVStore.Builder().fileName(f.toString()).open();
    raw.openMap("other").put("k", "v");
    raw.close();
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("not a kms-engine"), e.getMessage());
  }

  @Test
  void open_databaseDeletedButMarkerLeft_isRefusedNotRecreated() throws Exception {
    Path f = populated();
    Files.delete(f);
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
    assertFalse(Files.exists(f));
  }

  @Test
  void open_markerDeleted_isRefused() throws Exception {
    Path f = populated();
    Files.delete(f.resolveSibling(f.getFileName() + ".commit"));
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("Commit marker"), e.getMessage());
  }

  @Test
  void open_olderCopyOfTheFile_isRefusedAsLosingCommits() throws Exception {
    Path f = file();
    byte[] old;
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      db.commit(new WriteBatch().put("a", new UUID(0, 1), value(1)));
      old = Files.readAllBytes(f);
      db.commit(new WriteBatch().put("a", new UUID(0, 2), value(2)));
    }
    Files.write(f, old);
    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(f));
    assertTrue(e.getMessage().contains("was committed"), e.getMessage());
  }

  private static long storeVersion(Path f) {
    MVStore raw = new MVStore.Builder().fileName(f.toString()).readOnly().open();
    try {
      return raw.getCurrentVersion();
    } finally {
      raw.closeImmediately();
    }
  }

  @Test
  void commit_batchLargerThanMvStoresWriteBuffer_isWrittenAsOneStoreVersion() {
    Path f = populated();
    long before = storeVersion(f);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      WriteBatch b = new WriteBatch().drop("veks/s/0");
      for (int i = 0; i < 300_000; i++) {
        b.put("veks/s/big", new UUID(9, i), value(i));
      }
      db.commit(b);
    }
    assertEquals(before + 1, storeVersion(f), "a batch is one commit: nothing of it is written on its own");
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(f)) {
      assertEquals(300_000, db.count("veks/s/big"));
      assertEquals(0, db.count("veks/s/0"));
    }
  }

  @Test
  void commit_afterClose_throwsStoreException() {
    MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file());
    db.close();
    assertThrows(StoreException.class, () -> db.commit(new WriteBatch().put("a", new UUID(0, 1), value(1))));
    assertThrows(StoreException.class, () -> db.get("a", new UUID(0, 1)));
  }
}
