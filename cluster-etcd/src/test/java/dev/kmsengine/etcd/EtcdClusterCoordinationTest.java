package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import io.etcd.jetcd.Client;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks, node liveness and watches on the 3-member etcd; "another process" is a second store instance with a
 * client of its own, or a real child process where the test kills it.
 */
class EtcdClusterCoordinationTest {
  private static final Duration TTL = Duration.ofSeconds(3);
  private static final Duration LONG = Duration.ofSeconds(60);
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private EtcdClusterDatabase dbA;
  private EtcdClusterDatabase dbB;
  private EtcdClusterCoordination a;
  private EtcdClusterCoordination b;

  @BeforeEach
  void open() {
    dbA = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    dbB = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    a = (EtcdClusterCoordination) dbA.coordination();
    b = (EtcdClusterCoordination) dbB.coordination();
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
    dbA.deleteNamespace();
    dbA.close();
    dbB.close();
  }

  @Test
  void anSvmLockIsHeldByOneProcessAtATime() throws Exception {
    UUID svm = UUID.randomUUID();
    Coordination.SvmLock held = a.lockSvm(svm, LONG);
    assertTrue(held.held());
    StoreException e = assertThrows(StoreException.class, () -> b.lockSvm(svm, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("SVM " + svm) && e.getMessage().contains("held by another process"),
        e.getMessage());
    try (Coordination.SvmLock other = b.lockSvm(UUID.randomUUID(), LONG)) {
      assertTrue(other.held(), "another SVM's lock is independent");
    }
    held.close();
    assertFalse(held.held());
    try (Coordination.SvmLock next = b.lockSvm(svm, LONG)) {
      assertTrue(next.held());
    }
  }

  @Test
  void aLockWhoseLeaseIsGoneIsLostAndSaysSo() throws Exception {
    UUID svm = UUID.randomUUID();
    Coordination.SvmLock held = a.lockSvm(svm, LONG);
    CountDownLatch lost = new CountDownLatch(1);
    held.onLost(lost::countDown);
    try (Client other = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      other.getLeaseClient().revoke(((EtcdClusterCoordination.EtcdLock) held).leaseId()).get(30, TimeUnit.SECONDS);
    }
    assertTrue(lost.await(30, TimeUnit.SECONDS), "the loss was reported");
    assertFalse(held.held());
    StoreException e = assertThrows(StoreException.class, held::ensureHeld);
    assertTrue(e.getMessage().contains("SVM " + svm) && e.getMessage().contains("was lost"), e.getMessage());
    try (Coordination.SvmLock next = b.lockSvm(svm, LONG)) {
      assertTrue(next.held(), "another process takes the lost lock");
    }
    held.close();
  }

  @Test
  void aHolderWhoseLeaseWasRevokedCannotCommitUnderItsFenceEvenBeforeItNotices() throws Exception {
    UUID svm = UUID.randomUUID();
    Coordination.SvmLock held = a.lockSvm(svm, LONG);
    WriteBatch.Fence fence = held.fence();
    UUID first = UUID.randomUUID();
    dbA.commit(new WriteBatch().put("fenced", first, new byte[] {1}).fence(fence));
    assertEquals(1, dbB.count("fenced"), "a commit under a held lock applies");
    try (Client other = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
      other.getLeaseClient().revoke(((EtcdClusterCoordination.EtcdLock) held).leaseId()).get(30, TimeUnit.SECONDS);
    }
    // The store checks the fence itself, whether or not the holder has seen the loss yet: the commits below would
    // apply if the transaction did not compare the lock's key.
    StoreException small = assertThrows(StoreException.class, () -> dbA.commit(
        new WriteBatch().put("fenced", UUID.randomUUID(), new byte[] {2}).delete("fenced", first).fence(fence)));
    assertTrue(small.getMessage().contains("lock of SVM " + svm + " lost"), small.getMessage());
    WriteBatch large = new WriteBatch().fence(fence);
    for (int i = 0; i < 3 * EtcdClusterDatabase.MAX_OPS; i++) {
      large.put("fenced", UUID.randomUUID(), new byte[] {3});
    }
    StoreException staged = assertThrows(StoreException.class, () -> dbA.commit(large));
    assertTrue(staged.getMessage().contains("lock of SVM " + svm + " lost"), staged.getMessage());
    assertEquals(1, dbB.count("fenced"), "nothing of either refused commit was applied");
    assertTrue(dbB.get("fenced", first) != null);
    try (Coordination.SvmLock next = b.lockSvm(svm, LONG)) {
      dbB.commit(new WriteBatch().put("fenced", UUID.randomUUID(), new byte[] {4}).fence(next.fence()));
      assertThrows(StoreException.class, () -> dbA.commit(
          new WriteBatch().put("fenced", UUID.randomUUID(), new byte[] {5}).fence(fence)),
          "the old holder's fence stays refused while another process holds the lock");
    }
    assertEquals(2, dbA.count("fenced"));
    dbA.commit(new WriteBatch().put("unfenced", first, new byte[] {6}));
    assertEquals(1, dbB.count("unfenced"), "a commit without a fence is not affected");
    held.close();
  }

  @Test
  void aKilledProcessFreesItsLockAndShowsItsNodeDownAfterTheTtl() throws Exception {
    UUID svm = UUID.randomUUID();
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), CoordinationProcess.class.getName(), dir.toString(), namespace,
        "node-7", svm.toString(), Long.toString(TTL.toSeconds())).redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.equals("ready")) {
        // Skips anything a library prints first.
      }
      assertEquals("ready", line, "the child process started");
      assertEquals("child@" + p.pid(), a.liveNodes().get("node-7"), "the node's value is its process's endpoint");
      assertThrows(StoreException.class, () -> a.lockSvm(svm, Duration.ofSeconds(1)));
      p.destroyForcibly();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      try (Coordination.SvmLock freed = a.lockSvm(svm, LONG)) {
        assertTrue(freed.held(), "the dead process's lock expired with its lease");
      }
      long deadline = System.nanoTime() + LONG.toNanos();
      while (a.liveNodes().containsKey("node-7") && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(200);
      }
      assertFalse(a.liveNodes().containsKey("node-7"), "the dead process's node is down");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aNodeIsHostedByOneLiveProcessAndWithdrawnAtOnce() {
    assertTrue(a.distributed());
    Coordination.Presence p = a.announce(Set.of("n1", "n2"), "http://127.0.0.1:1");
    assertEquals(Map.of("n1", "http://127.0.0.1:1", "n2", "http://127.0.0.1:1"), b.liveNodes());
    StoreException e = assertThrows(StoreException.class,
        () -> b.announce(Set.of("n2", "n3"), "http://127.0.0.1:2"));
    assertTrue(e.getMessage().contains("n2 (by http://127.0.0.1:1)"), e.getMessage());
    assertEquals(Set.of("n1", "n2"), b.liveNodes().keySet(), "a refused announcement announces nothing");
    p.close();
    assertEquals(Map.of(), b.liveNodes());
    try (Coordination.Presence q = b.announce(Set.of("n2", "n3"), "http://127.0.0.1:2")) {
      assertEquals(q.nodes(), a.liveNodes().keySet());
    }
  }

  @Test
  void aPresenceWhoseLeaseIsGoneAnnouncesItsNodesAgain() throws Exception {
    try (Coordination.Presence p = a.announce(Set.of("n9"), "http://127.0.0.1:9")) {
      long first = ((EtcdClusterCoordination.EtcdPresence) p).leaseId();
      try (Client other = Client.builder().endpoints(EtcdTestCluster.endpoints().toArray(URI[]::new)).build()) {
        other.getLeaseClient().revoke(first).get(30, TimeUnit.SECONDS);
      }
      long deadline = System.nanoTime() + LONG.toNanos();
      while (((EtcdClusterCoordination.EtcdPresence) p).leaseId() == first
          || !"http://127.0.0.1:9".equals(b.liveNodes().get("n9"))) {
        assertTrue(System.nanoTime() < deadline, "n9 was not announced again");
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }
    assertEquals(Map.of(), b.liveNodes(), "withdrawn on close");
  }

  @Test
  void aWatchReportsTheEntriesAnotherProcessCommitted() throws Exception {
    UUID svm = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    dbB.commit(new WriteBatch().put("svm-keys", svm, new byte[] {1}));
    LinkedBlockingQueue<UUID> changed = new LinkedBlockingQueue<>();
    Coordination.Subscription s = a.watch("svm-keys", changed::add);
    try {
      dbB.commit(new WriteBatch().put("svm-keys", svm, new byte[] {2}));
      assertEquals(svm, changed.poll(60, TimeUnit.SECONDS), "a replaced entry");
      dbB.commit(new WriteBatch().put("svm-keys", other, new byte[] {1}));
      assertEquals(other, changed.poll(60, TimeUnit.SECONDS), "a new entry, and the unchanged one not again");
      WriteBatch large = new WriteBatch().delete("svm-keys", svm);
      for (int i = 0; i < 500; i++) {
        large.put("svm-keys", new UUID(7, i), new byte[] {3});
      }
      dbB.commit(large);
      Set<UUID> seen = new HashSet<>();
      while (seen.size() < 501) {
        UUID k = changed.poll(60, TimeUnit.SECONDS);
        assertTrue(k != null, "only " + seen.size() + " of 501 changes of a staged commit reported");
        seen.add(k);
      }
      assertTrue(seen.contains(svm), "a deleted entry");
    } finally {
      s.close();
    }
  }
}
