package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members of the 3-member etcd killed (SIGKILL, by the PID files of {@code etcd-up.sh}) under a stream of commits,
 * and started again by {@code etcd-up.sh}, which starts only the members that are down.
 */
class EtcdMemberLossTest {
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";

  /** Whatever a test killed is started again, for the tests after it. */
  @AfterEach
  void restartMembers() throws Exception {
    if (Files.isRegularFile(EtcdTestCluster.ENV_FILE)) {
      startMissingMembers();
    }
  }

  private static void kill(String member) throws Exception {
    long pid = Long.parseLong(Files.readString(Path.of(EtcdTestCluster.env().get("KMS_IT_ETCD_" + member
        + "_PID_FILE"))).trim());
    ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("member " + member + " is down"));
    h.destroyForcibly();
    h.onExit().get(60, TimeUnit.SECONDS);
  }

  private static void startMissingMembers() throws Exception {
    Path script = Path.of("").toAbsolutePath().resolveSibling("scripts").resolve("integration/etcd-up.sh");
    Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "etcd-up.sh did not finish");
    assertEquals(0, p.exitValue(), "etcd-up.sh failed");
  }

  /** Every entry of a batch carries the batch's number: a half-applied batch shows as mixed numbers. */
  private static WriteBatch batch(int n) {
    WriteBatch b = new WriteBatch();
    for (int i = 0; i < 20; i++) {
      b.put("b", new UUID(0, i), ByteBuffer.allocate(4).putInt(n).array());
    }
    return b.put("last", new UUID(0, 0), ByteBuffer.allocate(4).putInt(n).array());
  }

  private static int committedBatch(EtcdClusterDatabase db) {
    int last = ByteBuffer.wrap(db.get("last", new UUID(0, 0))).getInt();
    db.forEach("b", (k, v) -> assertEquals(last, ByteBuffer.wrap(v).getInt(), "entry " + k + " of another batch"));
    return last;
  }

  @Test
  void commitsGoOnWhenOneMemberOfThreeIsKilled() throws Exception {
    try (EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).timeout(Duration.ofSeconds(30)).open()) {
      CountDownLatch twenty = new CountDownLatch(20);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread committer = new Thread(() -> {
        try {
          for (int n = 1; n <= 100; n++) {
            db.commit(batch(n));
            twenty.countDown();
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      committer.start();
      assertTrue(twenty.await(120, TimeUnit.SECONDS), "20 commits");
      kill("m2");
      committer.join(TimeUnit.MINUTES.toMillis(5));
      assertNull(failure.get(), () -> "a commit failed: " + failure.get());
      assertEquals(100, committedBatch(db));
      db.deleteNamespace();
    }
  }

  @Test
  void readsGoOnWhenOneMemberOfThreeIsKilled() throws Exception {
    try (EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).timeout(Duration.ofSeconds(30)).open()) {
      db.commit(batch(7));
      CountDownLatch twenty = new CountDownLatch(20);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread reader = new Thread(() -> {
        try {
          for (int n = 1; n <= 300; n++) {
            assertEquals(7, committedBatch(db));
            assertEquals(20, db.count("b"));
            twenty.countDown();
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      reader.start();
      assertTrue(twenty.await(120, TimeUnit.SECONDS), "20 reads");
      kill("m0");
      reader.join(TimeUnit.MINUTES.toMillis(5));
      assertNull(failure.get(), () -> "a read failed: " + failure.get());
      assertEquals(7, committedBatch(db));
      db.deleteNamespace();
    }
  }

  @Test
  void withTwoMembersKilledCommitsFailClearlyApplyNothingAndSucceedWhenTheyReturn() throws Exception {
    try (EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).timeout(Duration.ofSeconds(5)).open()) {
      db.commit(batch(1));
      kill("m1");
      kill("m2");
      StoreException e = assertThrows(StoreException.class, () -> db.commit(batch(2)));
      assertTrue(e.getMessage().contains("commit failed")
          && e.getMessage().contains(EtcdTestCluster.endpoints().get(0).toString()),
          e.getMessage());
      startMissingMembers();
      int after = committedBatch(db);
      assertTrue(after == 1 || after == 2, "batch " + after);
      db.commit(batch(3));
      assertEquals(3, committedBatch(db));
      db.deleteNamespace();
    }
  }
}
