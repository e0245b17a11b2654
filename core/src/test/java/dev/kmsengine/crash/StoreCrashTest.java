package dev.kmsengine.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.StoreException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The durable store itself under SIGKILL, and its file lock against a second process. */
class StoreCrashTest {
  @Test
  void sigkillDuringLargeCommits_everyBatchIsWholeOrAbsentAndEveryReturnedCommitSurvives(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("store.db");
    Random random = new Random(11);
    for (int run = 0; run < 8; run++) {
      ChildProcess child = ChildProcess.start(dir, StoreWorkload.class, file.toString());
      assertNotNull(child.await("READY", 60_000));
      child.await("COMMITTED", 30_000);
      Thread.sleep(random.nextInt(400));
      child.kill();
      String lastPrinted = child.last("COMMITTED ");
      try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file)) {
        long last = ByteBuffer.wrap(db.get("meta", StoreWorkload.LAST)).getLong();
        if (lastPrinted != null) {
          assertTrue(last >= Long.parseLong(lastPrinted.substring(10)), "a commit that returned was lost");
        }
        List<String> buckets = db.buckets("batch/");
        List<String> expected = new java.util.ArrayList<>();
        for (long n = Math.max(0, last - 2); n <= last; n++) {
          expected.add("batch/" + n);
        }
        expected.sort(null);
        assertEquals(expected, buckets, "exactly the last three batches, each with its drop applied");
        for (String b : buckets) {
          long n = Long.parseLong(b.substring(6));
          assertEquals(StoreWorkload.ENTRIES, db.count(b), "batch " + n + " is whole");
          byte[] v = ByteBuffer.allocate(62).putLong(n).array();
          db.forEach(b, (k, value) -> assertArrayEquals(v, value));
        }
      }
    }
  }

  @Test
  void open_whileAnotherProcessHoldsTheDatabase_failsAsLockedAndChangesNothing(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("held.db");
    MvStoreClusterDatabase.open(file).close();
    ChildProcess holder = ChildProcess.start(dir, StoreWorkload.class, file.toString(), "hold");
    try {
      assertNotNull(holder.await("OPEN", 60_000));
      byte[] before = Files.readAllBytes(file);
      StoreException e = assertThrows(StoreException.class, () -> MvStoreClusterDatabase.open(file));
      assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("locked"), e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(file));
    } finally {
      holder.kill();
    }
    MvStoreClusterDatabase.open(file).close();
  }
}
