package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SingleProcessCoordinationTest {
  private final InMemoryClusterDatabase db = new InMemoryClusterDatabase();
  private final ClusterDatabase.Coordination c = db.coordination();

  @Test
  void anSvmLockExcludesOtherHoldersUntilReleasedEvenFromAnotherThread() throws Exception {
    UUID svm = UUID.randomUUID();
    ClusterDatabase.Coordination.SvmLock held = c.lockSvm(svm, Duration.ofSeconds(1));
    StoreException e = assertThrows(StoreException.class, () -> c.lockSvm(svm, Duration.ofMillis(50)));
    assertTrue(e.getMessage().contains(svm.toString()), e.getMessage());
    CompletableFuture.runAsync(held::close).get(30, TimeUnit.SECONDS);
    assertFalse(held.held());
    assertThrows(StoreException.class, held::ensureHeld);
    try (ClusterDatabase.Coordination.SvmLock next = c.lockSvm(svm, Duration.ofSeconds(1))) {
      assertTrue(next.held());
      next.ensureHeld();
      assertNull(next.fence(), "nothing outside this process can take the lock, so there is nothing to fence");
    }
  }

  @Test
  void everyCallerOfOneDatabaseSharesItsLocks() {
    UUID svm = UUID.randomUUID();
    try (ClusterDatabase.Coordination.SvmLock held = c.lockSvm(svm, Duration.ofSeconds(1))) {
      assertTrue(held.held());
      assertThrows(StoreException.class, () -> db.coordination().lockSvm(svm, Duration.ofMillis(50)));
      try (ClusterDatabase.Coordination.SvmLock other = new InMemoryClusterDatabase().coordination()
          .lockSvm(svm, Duration.ofSeconds(1))) {
        assertTrue(other.held(), "another database's locks are its own");
      }
    }
  }

  @Test
  void announcedNodesAreLiveWithTheirEndpointUntilWithdrawn() {
    assertFalse(c.distributed());
    ClusterDatabase.Coordination.Presence p = c.announce(Set.of("n1", "n2"), "http://127.0.0.1:1");
    assertEquals(Map.of("n1", "http://127.0.0.1:1", "n2", "http://127.0.0.1:1"), c.liveNodes());
    ClusterDatabase.Coordination.Presence again = c.announce(Set.of("n2"), "http://127.0.0.1:2");
    assertEquals("http://127.0.0.1:2", c.liveNodes().get("n2"), "the newest announcement is reported");
    again.close();
    assertEquals("http://127.0.0.1:1", c.liveNodes().get("n2"), "withdrawing one leaves the other");
    p.close();
    assertEquals(Map.of(), c.liveNodes());
  }
}
