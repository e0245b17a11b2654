package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;

/**
 * The store's share of a rekey of {@code N} VEKs (default 100,000), on etcd and on MVStore in the same run: stage
 * {@code N} 62-byte blobs under a new generation's bucket and drop the old one in one commit, then read the new
 * generation back. Prints the times and their ratio; asserts nothing (a measurement, not a test). Run with the
 * etcd of {@code etcd-up.sh} up, from the repository's root:
 * <pre>
 * mvn -B -q -o -pl core,cluster-etcd test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp "$(cat cluster-etcd/target/cp.txt):cluster-etcd/target/classes:cluster-etcd/target/test-classes" \
 *     dev.kmsengine.etcd.RekeyCommitMeasurement 100000
 * </pre>
 */
public final class RekeyCommitMeasurement {
  private RekeyCommitMeasurement() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Files.createTempDirectory("kms-rekey-measure");
    long mv;
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(dir.resolve("cluster.db"))) {
      mv = rekey(db, n);
    }
    long etcd;
    try (EtcdClusterDatabase db = EtcdTestCluster.open(dir)) {
      try {
        etcd = rekey(db, n);
      } finally {
        db.deleteNamespace();
      }
    }
    System.out.printf("%d-VEK rekey commit + read-back: MVStore %d ms, etcd (3 members, loopback) %d ms, ratio %.1f%n",
        n, mv / 1_000_000, etcd / 1_000_000, (double) etcd / mv);
  }

  /** Generation 1 written, then the timed part: generation 2 staged, generation 1 dropped, generation 2 read. */
  private static long rekey(ClusterDatabase db, int n) {
    long[] keys = new long[2 * n];
    for (int i = 0; i < n; i++) {
      UUID u = UUID.randomUUID();
      keys[2 * i] = u.getMostSignificantBits();
      keys[2 * i + 1] = u.getLeastSignificantBits();
    }
    byte[] blobs = new byte[62 * n];
    new Random(1).nextBytes(blobs);
    db.commit(new WriteBatch().putAll("veks/1", keys, 0, blobs, 0, 62, n));
    long t0 = System.nanoTime();
    db.commit(new WriteBatch().putAll("veks/2", keys, 0, blobs, 0, 62, n).drop("veks/1"));
    int[] seen = {0};
    db.forEachEntry("veks/2", (msb, lsb, v, off, len) -> seen[0]++);
    long t = System.nanoTime() - t0;
    if (seen[0] != n) {
      throw new IllegalStateException("read back " + seen[0] + " of " + n);
    }
    return t;
  }
}
