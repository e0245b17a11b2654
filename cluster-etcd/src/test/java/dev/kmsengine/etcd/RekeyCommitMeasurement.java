package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

/**
 * The store's share of a rekey of {@code N} VEKs (default 1,000,000), on MVStore and on etcd in the same run, with
 * the engine's access pattern ({@code core}'s {@code Rekey} and {@code ParallelRewrap}): count and read every blob
 * of generation g; clear the staging bucket; stage generation g+1 as commits of 65,536 62-byte blobs; count it;
 * commit the small svm-keys record that makes it current; drop generation g. Each round rekeys both stores once,
 * alternating which goes first; prints each phase's time per store and the ratio of the totals, and the median
 * ratio at the end. Asserts nothing (a measurement, not a test). Run with an etcd up (the env file of
 * {@code etcd-up.sh}), from the repository's root:
 * <pre>
 * mvn -B -q -o -pl core,cluster-etcd test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx3g -cp "$(cat cluster-etcd/target/cp.txt):cluster-etcd/target/classes:cluster-etcd/target/test-classes" \
 *     dev.kmsengine.etcd.RekeyCommitMeasurement 1000000 3
 * </pre>
 */
public final class RekeyCommitMeasurement {
  /** The engine's staging page ({@code ParallelRewrap.STAGE_BATCH}). */
  private static final int PAGE = 65_536;
  private static final int BLOB = 62;
  private static final UUID SVM = new UUID(1, 1);

  private RekeyCommitMeasurement() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("kms-rekey-measure");
    long[] keys = new long[2 * n];
    Random r = new Random(1);
    for (int i = 0; i < 2 * n; i++) {
      keys[i] = r.nextLong();
    }
    byte[] blobs = new byte[BLOB * n];
    r.nextBytes(blobs);
    double[] ratios = new double[rounds];
    try (MvStoreClusterDatabase mv = MvStoreClusterDatabase.open(dir.resolve("cluster.db"));
        EtcdClusterDatabase etcd = EtcdTestCluster.open(dir)) {
      try {
        stage(mv, 1, keys, blobs, n);
        stage(etcd, 1, keys, blobs, n);
        for (int round = 0; round < rounds; round++) {
          long[] a;
          long[] b;
          if (round % 2 == 0) {
            a = rekey(mv, round + 1, keys, blobs, n);
            b = rekey(etcd, round + 1, keys, blobs, n);
          } else {
            b = rekey(etcd, round + 1, keys, blobs, n);
            a = rekey(mv, round + 1, keys, blobs, n);
          }
          ratios[round] = (double) b[3] / a[3];
          System.out.printf("round %d, %d VEKs: MVStore read %d ms, stage %d ms, switch %d ms, total %d ms;"
              + " etcd read %d ms, stage %d ms, switch %d ms, total %d ms; etcd/MVStore %.2f%n", round + 1, n,
              a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], ratios[round]);
        }
      } finally {
        etcd.deleteNamespace();
      }
    }
    Arrays.sort(ratios);
    System.out.printf("median etcd/MVStore over %d rounds: %.2f%n", rounds, ratios[rounds / 2]);
  }

  private static String veks(long generation) {
    return "veks/" + SVM + "/" + generation;
  }

  /** Generation {@code g} as the engine stages it, page by page; the key table is as the engine's. */
  private static void stage(ClusterDatabase db, long g, long[] keys, byte[] blobs, int n) {
    db.commit(new WriteBatch().drop(veks(g)));
    for (int lo = 0; lo < n; lo += PAGE) {
      int count = Math.min(PAGE, n - lo);
      db.commit(new WriteBatch().putAll(veks(g), keys, lo, blobs, BLOB * lo, BLOB, count));
    }
  }

  /** Rekeys generation {@code from} to {@code from + 1}; returns the phases' and the total milliseconds. */
  private static long[] rekey(ClusterDatabase db, long from, long[] keys, byte[] blobs, int n) {
    long t0 = System.nanoTime();
    int total = db.count(veks(from));
    long[] read = new long[2 * total];
    byte[] old = new byte[BLOB * total];
    int[] i = {0};
    db.forEachEntry(veks(from), (msb, lsb, v, off, len) -> {
      read[2 * i[0]] = msb;
      read[2 * i[0] + 1] = lsb;
      System.arraycopy(v, off, old, BLOB * i[0], len);
      i[0]++;
    });
    if (i[0] != n || total != n) {
      throw new IllegalStateException("read " + i[0] + " (count " + total + ") of " + n);
    }
    long t1 = System.nanoTime();
    stage(db, from + 1, read, blobs, n);
    if (db.count(veks(from + 1)) != n) {
      throw new IllegalStateException("staged " + db.count(veks(from + 1)) + " of " + n);
    }
    long t2 = System.nanoTime();
    db.commit(new WriteBatch().put("svm-keys", SVM, new byte[200]));
    db.commit(new WriteBatch().drop(veks(from)));
    long t3 = System.nanoTime();
    return new long[] {ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t3 - t0)};
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
