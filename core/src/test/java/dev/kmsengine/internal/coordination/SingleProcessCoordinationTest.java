package dev.kmsengine.internal.coordination;

import dev.kmsengine.store.StoreException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SingleProcessCoordinationTest {
  private final ClusterCoordination c = ClusterCoordination.singleProcess();

  @Test
  void anSvmLockExcludesOtherHoldersUntilReleasedEvenFromAnotherThread() throws Exception {
    UUID svm = UUID.randomUUID();
    ClusterCoordination.SvmLock held = c.lockSvm(svm, Duration.ofSeconds(1));
    StoreException e = assertThrows(StoreException.class, () -> c.lockSvm(svm, Duration.ofMillis(50)));
    assertTrue(e.getMessage().contains(svm.toString()), e.getMessage());
    CompletableFuture.runAsync(held::close).get(30, TimeUnit.SECONDS);
    assertFalse(held.held());
    assertThrows(StoreException.class, held::ensureHeld);
    try (ClusterCoordination.SvmLock next = c.lockSvm(svm, Duration.ofSeconds(1))) {
      assertTrue(next.held());
      next.ensureHeld();
    }
  }

  @Test
  void announcedNodesAreLiveUntilWithdrawn() {
    ClusterCoordination.Presence p = c.announce(Set.of("n1", "n2"));
    assertEquals(Set.of("n1", "n2"), c.liveNodes());
    p.close();
    assertEquals(Set.of(), c.liveNodes());
  }
}
