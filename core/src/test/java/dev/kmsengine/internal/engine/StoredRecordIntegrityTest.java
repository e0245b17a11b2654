package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One bit flipped inside a live record of a closed cluster database, for each kind of record the engine stores:
 * the database refuses to open, naming the record's bucket and key, so the changed record is never served.
 * Why: MVStore checksums its chunk headers, not the values in its pages; a flipped bit in a volume's name used to
 * start the simulator with every volume silently renamed.
 */
class StoredRecordIntegrityTest {
  /** The engine's state after set-up: an SVM with a configuration, an encrypted volume and one block. */
  private record Cluster(UUID svm, UUID config, UUID volume) {}

  /** Each kind of record, and where it lives. */
  enum Kind {
    VOLUME(c -> Buckets.volumes(c.svm()), Cluster::volume),
    SVM(c -> Buckets.SVMS, Cluster::svm),
    CONFIGURATION(c -> Buckets.CONFIGS, Cluster::config),
    KEY_STATE(c -> Buckets.SVM_KEYS, Cluster::svm),
    VEK_BLOB(c -> Buckets.veks(c.svm(), 1), Cluster::volume),
    BLOCK(c -> VolumeBlocks.bucket(c.volume()), c -> new UUID(0, 0));

    final Function<Cluster, String> bucket;
    final Function<Cluster, UUID> key;

    Kind(Function<Cluster, String> bucket, Function<Cluster, UUID> key) {
      this.bucket = bucket;
      this.key = key;
    }
  }

  /** The cluster a database was populated with, and the stored value of the record under test. */
  private record Populated(Cluster cluster, byte[] value) {}

  /** Sets up the cluster in a new database at {@code file}, closes it, and returns the record of {@code kind}. */
  private static Populated populate(Path file, Kind kind) {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file);
        TestCluster t = new TestCluster(KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(2)
            .dataSvms("svm1").build()).database(db))) {
      UUID config = t.enabledConfig("svm1", "integrity", KEY_1);
      UUID volume = t.volume("svm1", "a-volume-with-a-long-enough-name");
      t.engine.cluster().writeBlock("node1", volume, 0, "a block".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Cluster c = new Cluster(t.svmUuid("svm1"), config, volume);
      return new Populated(c, db.get(kind.bucket.apply(c), kind.key.apply(c)));
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void flippedBitInALiveRecord_isRefusedAtOpen_namingTheRecord(Kind kind, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("cluster.mv");
    Populated p = populate(file, kind);
    assertNotNull(p.value(), kind.name());

    int flipped = flipBitInEveryCopy(file, p.value());
    assertTrue(flipped > 0, "the record's bytes are in the file");

    StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(file).close());
    String record = "record " + kind.key.apply(p.cluster()) + " in bucket " + kind.bucket.apply(p.cluster());
    assertTrue(e.getMessage().contains(record), () -> "names " + record + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"VOLUME", "VEK_BLOB"})
  void untouchedFile_opensAndServesTheRecordAsWritten(Kind kind, @TempDir Path dir) {
    Path file = dir.resolve("cluster.mv");
    Populated p = populate(file, kind);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file)) {
      assertArrayEquals(p.value(), db.get(kind.bucket.apply(p.cluster()), kind.key.apply(p.cluster())));
    }
  }

  /**
   * Flips one bit in the middle of every copy of {@code value} in the file (old chunks may hold older copies of the
   * page; the newest is the live record); returns how many copies it changed.
   */
  private static int flipBitInEveryCopy(Path file, byte[] value) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    int copies = 0;
    for (int at = indexOf(bytes, value, 0); at >= 0; at = indexOf(bytes, value, at + value.length)) {
      bytes[at + value.length / 2] ^= 0x10;
      copies++;
    }
    Files.write(file, bytes);
    return copies;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
