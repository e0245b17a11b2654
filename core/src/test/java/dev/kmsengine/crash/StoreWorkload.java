package dev.kmsengine.crash;

import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The child process of {@link StoreCrashTest}: commits numbered batches to a {@link MvStoreClusterDatabase} without
 * end. Batch {@code n} fills bucket {@code batch/n} with {@link #ENTRIES} entries whose values all carry
 * {@code n} (as one packed put for an even {@code n}, stored as pages; as single puts for an odd one), drops bucket {@code batch/(n-3)}, and sets {@code last} to {@code n}; after {@code commit} returns it
 * prints {@code COMMITTED n}. With argument {@code hold} it opens the database, prints {@code OPEN} and waits.
 */
public final class StoreWorkload {
  static final int ENTRIES = 20_000;
  static final UUID LAST = new UUID(0, 0);

  private StoreWorkload() {}

  /** Entry point of the child JVM: {@code <database file> [hold]}. */
  public static void main(String[] args) throws Exception {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(Path.of(args[0]))) {
      if (args.length > 1 && args[1].equals("hold")) {
        CrashWorkload.say("OPEN");
        Thread.sleep(Long.MAX_VALUE);
      }
      byte[] last = db.get("meta", LAST);
      long n = last == null ? 0 : ByteBuffer.wrap(last).getLong() + 1;
      CrashWorkload.say("READY");
      while (true) {
        byte[] v = ByteBuffer.allocate(62).putLong(n).array();
        WriteBatch b = new WriteBatch();
        if (n % 2 == 0) {
          // Even batches as one packed put in key order, which the store keeps as pages (format 3).
          long[] keys = new long[2 * ENTRIES];
          byte[] values = new byte[ENTRIES * v.length];
          for (int i = 0; i < ENTRIES; i++) {
            keys[2 * i] = n;
            keys[2 * i + 1] = i;
            System.arraycopy(v, 0, values, i * v.length, v.length);
          }
          b.putAll("batch/" + n, keys, 0, values, 0, v.length, ENTRIES);
        } else {
          for (int i = 0; i < ENTRIES; i++) {
            b.put("batch/" + n, new UUID(n, i), v);
          }
        }
        b.drop("batch/" + (n - 3));
        b.put("meta", LAST, ByteBuffer.allocate(8).putLong(n).array());
        db.commit(b);
        CrashWorkload.say("COMMITTED " + n);
        n++;
      }
    }
  }
}
