package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code ClusterDatabase} contract on the 3-member etcd of {@code etcd-up.sh}. */
class EtcdClusterDatabaseTest {
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private EtcdClusterDatabase db;

  @BeforeEach
  void open() {
    db = EtcdTestCluster.builder(dir, namespace).open();
  }

  @AfterEach
  void close() {
    if (db != null) {
      db.deleteNamespace();
      db.close();
    }
  }

  private static byte[] value(int i) {
    return ("value-" + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void committedPutsDeletesAndDropsAreReadBack() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    db.commit(new WriteBatch().put("veks/1", a, value(1)).put("veks/1", b, value(2)).put("svms", a, value(3)));
    assertArrayEquals(value(1), db.get("veks/1", a));
    assertEquals(2, db.count("veks/1"));
    assertEquals(List.of("veks/1"), db.buckets("veks/"));

    db.commit(new WriteBatch().delete("veks/1", a).put("veks/1", b, value(4)));
    assertNull(db.get("veks/1", a));
    assertArrayEquals(value(4), db.get("veks/1", b));

    db.commit(new WriteBatch().drop("veks/1").put("veks/2", a, value(5)));
    assertEquals(0, db.count("veks/1"));
    assertNull(db.get("veks/1", b));
    assertEquals(List.of("veks/2"), db.buckets("veks/"));
  }

  @Test
  void aBucketWhoseEntriesWereAllDeletedIsNoLongerListed() {
    UUID a = UUID.randomUUID();
    db.commit(new WriteBatch().put("veks/1", a, value(1)));
    db.commit(new WriteBatch().delete("veks/1", a));
    assertEquals(List.of(), db.buckets("veks/"));
  }

  @Test
  void aDropFollowedByPutsInOneBatchLeavesOnlyTheNewEntries() {
    UUID old = UUID.randomUUID();
    UUID fresh = UUID.randomUUID();
    db.commit(new WriteBatch().put("b", old, value(1)));
    db.commit(new WriteBatch().drop("b").put("b", fresh, value(2)));
    assertNull(db.get("b", old));
    assertArrayEquals(value(2), db.get("b", fresh));
    assertEquals(1, db.count("b"));
  }

  /** Far beyond etcd's 128 operations and 1.5 MiB per transaction: staged, then flipped in one transaction. */
  @Test
  void aBatchBeyondEtcdsTransactionLimitsIsAppliedWhole() {
    UUID keep = UUID.randomUUID();
    db.commit(new WriteBatch().put("veks/1", keep, value(0)).put("svms", keep, value(0)));
    int n = 3_000;
    byte[] big = new byte[1024];
    Map<UUID, Integer> written = new HashMap<>();
    WriteBatch batch = new WriteBatch().drop("veks/1").put("svms", keep, value(1));
    for (int i = 0; i < n; i++) {
      UUID k = UUID.randomUUID();
      written.put(k, i);
      big[0] = (byte) i;
      batch.put("veks/2", k, big.clone());
    }
    db.commit(batch);
    assertEquals(n, db.count("veks/2"));
    assertEquals(0, db.count("veks/1"));
    assertArrayEquals(value(1), db.get("svms", keep));
    Set<UUID> seen = new HashSet<>();
    db.forEach("veks/2", (k, v) -> {
      assertEquals((byte) (int) written.get(k), v[0]);
      seen.add(k);
    });
    assertEquals(written.keySet(), seen);
    assertEquals(List.of("veks/2"), db.buckets("veks/"));
  }

  /** A large batch onto a bucket that keeps its entries: the new generation is the old one plus the batch. */
  @Test
  void aLargeBatchOntoAFullBucketKeepsTheEntriesItDoesNotTouch() {
    UUID kept = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    db.commit(new WriteBatch().put("b", kept, value(1)).put("b", deleted, value(2)));
    WriteBatch batch = new WriteBatch().delete("b", deleted);
    for (int i = 0; i < 500; i++) {
      batch.put("b", UUID.randomUUID(), value(i));
    }
    db.commit(batch);
    assertEquals(501, db.count("b"));
    assertArrayEquals(value(1), db.get("b", kept));
    assertNull(db.get("b", deleted));
  }

  /**
   * The engine's staging pattern and more: large commits appended as segments past the point where they are merged,
   * with small commits, deletes and replacements between them, against a map that applies the same batches.
   */
  @Test
  void manyLargeAndSmallCommitsOntoOneBucketReadBackAsTheirSum() {
    Map<UUID, Integer> expected = new HashMap<>();
    Random r = new Random(7);
    List<UUID> keys = new ArrayList<>();
    for (int round = 0; round < EtcdClusterDatabase.MAX_SEGMENTS + 4; round++) {
      WriteBatch large = new WriteBatch();
      for (int i = 0; i < 150; i++) {
        UUID k = new UUID(r.nextLong(), r.nextLong());
        keys.add(k);
        large.put("veks", k, value(round * 1000 + i));
        expected.put(k, round * 1000 + i);
      }
      UUID gone = keys.get(r.nextInt(keys.size()));
      large.delete("veks", gone);
      expected.remove(gone);
      db.commit(large);
      UUID replaced = keys.get(r.nextInt(keys.size()));
      UUID deleted = keys.get(r.nextInt(keys.size()));
      db.commit(new WriteBatch().put("veks", replaced, value(-round)).delete("veks", deleted));
      expected.put(replaced, -round);
      expected.remove(deleted);
      if (deleted.equals(replaced)) {
        expected.remove(replaced);
      }
    }
    assertEquals(expected.size(), db.count("veks"));
    Map<UUID, String> seen = new HashMap<>();
    db.forEach("veks", (k, v) -> assertNull(seen.put(k, new String(v, StandardCharsets.UTF_8)), "twice: " + k));
    Map<UUID, String> want = new HashMap<>();
    expected.forEach((k, v) -> want.put(k, new String(value(v), StandardCharsets.UTF_8)));
    assertEquals(want, seen);
    for (int i = 0; i < 50; i++) {
      UUID k = keys.get(r.nextInt(keys.size()));
      Integer v = expected.get(k);
      if (v == null) {
        assertNull(db.get("veks", k), "deleted " + k);
      } else {
        assertArrayEquals(value(v), db.get("veks", k), "entry " + k);
      }
    }
    assertEquals(List.of("veks"), db.buckets("v"));
  }

  @Test
  void aBucketWhoseLargeCommitDeletedEverythingIsNoLongerListed() {
    WriteBatch fill = new WriteBatch();
    WriteBatch empty = new WriteBatch();
    for (int i = 0; i < 200; i++) {
      fill.put("b", new UUID(1, i), value(i));
      empty.delete("b", new UUID(1, i));
    }
    db.commit(fill);
    db.commit(new WriteBatch().put("b", new UUID(2, 0), value(0)));
    db.commit(empty);
    assertEquals(1, db.count("b"));
    db.commit(new WriteBatch().delete("b", new UUID(2, 0)));
    assertEquals(0, db.count("b"));
    assertEquals(List.of(), db.buckets("b"));
    assertNull(db.get("b", new UUID(1, 5)));
  }

  /** Readers during a stream of large commits see the old generation or the new one whole, never a mix. */
  @Test
  void aReaderNeverSeesPartOfALargeCommit() throws Exception {
    int n = 1_000;
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> bad = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      while (!done.get()) {
        Set<Integer> generations = new HashSet<>();
        int[] entries = {0};
        db.forEach("veks", (k, v) -> {
          generations.add((int) v[0]);
          entries[0]++;
        });
        if (generations.size() > 1 || (entries[0] != 0 && entries[0] != n)) {
          bad.set("saw " + entries[0] + " entries of generations " + generations);
        }
      }
    });
    reader.start();
    try {
      for (int g = 1; g <= 4; g++) {
        WriteBatch batch = new WriteBatch().drop("veks");
        for (int i = 0; i < n; i++) {
          batch.put("veks", UUID.randomUUID(), new byte[] {(byte) g, 1, 2, 3});
        }
        db.commit(batch);
      }
    } finally {
      done.set(true);
      reader.join(TimeUnit.SECONDS.toMillis(60));
    }
    assertNull(bad.get());
    assertEquals(n, db.count("veks"));
  }

  /** A writer that died while staging leaves the old generation current; the next open deletes its staging. */
  @Test
  void whatADeadWriterStagedIsInvisibleAndSweptOnOpen() throws Exception {
    UUID k = UUID.randomUUID();
    db.commit(new WriteBatch().put("b", k, value(1)));
    String orphan = "00000000deadbeef";
    try (Client c = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      c.getKVClient().put(bs(namespace + "g/" + orphan), bs("b")).get(30, TimeUnit.SECONDS);
      c.getKVClient().put(bs(namespace + "d/" + orphan + "/0123456789abcdef"), bs("x")).get(30, TimeUnit.SECONDS);
      assertEquals(1, db.count("b"));
      try (EtcdClusterDatabase reopened = EtcdTestCluster.builder(dir, namespace).open()) {
        assertArrayEquals(value(1), reopened.get("b", k));
      }
      assertEquals(0, c.getKVClient().get(bs(namespace + "d/" + orphan + "/0123456789abcdef")).get(30,
          TimeUnit.SECONDS).getCount());
      assertEquals(0, c.getKVClient().get(bs(namespace + "g/" + orphan)).get(30, TimeUnit.SECONDS).getCount());
    }
  }

  @Test
  void aStoreOfANewerFormatIsRefused() throws Exception {
    try (Client c = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      c.getKVClient().put(bs(namespace + "format"), bs(Integer.toString(EtcdClusterDatabase.FORMAT_VERSION + 1)))
          .get(30, TimeUnit.SECONDS);
    }
    StoreException e = assertThrows(StoreException.class, () -> EtcdTestCluster.builder(dir, namespace).open());
    assertTrue(e.getMessage().contains("newer than this engine supports"), e.getMessage());
  }

  @Test
  void aStoreOfTheFirstFormatIsRefusedWithWhatToDo() throws Exception {
    try (Client c = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      c.getKVClient().put(bs(namespace + "format"), bs("1")).get(30, TimeUnit.SECONDS);
    }
    StoreException e = assertThrows(StoreException.class, () -> EtcdTestCluster.builder(dir, namespace).open());
    assertTrue(e.getMessage().contains("format version 1") && e.getMessage().contains("new namespace"),
        e.getMessage());
  }

  @Test
  void anUnreachableClusterFailsNamingTheEndpoint() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI nowhere = URI.create("http://127.0.0.1:" + port);
    StoreException e = assertThrows(StoreException.class, () -> EtcdClusterDatabase.builder(List.of(nowhere))
        .configProtectionKeyFile(dir.resolve("k")).timeout(Duration.ofSeconds(3)).open());
    assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
  }

  @Test
  void theConfigProtectionKeyLivesInTheLocalFileNotInEtcd() throws Exception {
    Path file = dir.resolve("etcd.config-protection-key");
    byte[] sealed = db.configProtectionKey().seal(value(7), value(8));
    assertTrue(Files.isRegularFile(file));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(file)));
    try (EtcdClusterDatabase again = EtcdTestCluster.builder(dir, namespace).open()) {
      assertArrayEquals(value(7), again.configProtectionKey().open(sealed, value(8)));
    }
  }

  @Test
  void purgeHistoryLeavesTheCurrentValuesReadable() {
    UUID k = UUID.randomUUID();
    db.commit(new WriteBatch().put("b", k, value(1)));
    db.commit(new WriteBatch().put("b", k, value(2)));
    db.purgeHistory();
    assertArrayEquals(value(2), db.get("b", k));
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
