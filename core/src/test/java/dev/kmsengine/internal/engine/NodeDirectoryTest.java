package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Where nodes run, over the single-process coordination with another "process" announcing on it directly. */
class NodeDirectoryTest {
  private final InMemoryClusterDatabase db = new InMemoryClusterDatabase();
  private final CountingCoordination coordination = new CountingCoordination(db.coordination());
  private final AtomicLong now = new AtomicLong();

  @Test
  void liveNodes_areFetchedOncePerSecond_notOncePerQuestion() {
    Coordination.Presence other = coordination.announce(Set.of("n2"), "b:1");
    try (NodeDirectory d = directory()) {
      assertTrue(d.isLive("n2"));
      assertEquals(Optional.of("b:1"), d.endpointOf("n2"));
      assertFalse(d.isLive("n3"));
      assertEquals(1, coordination.lists.get(), "one fetch within the second");

      other.close();
      assertTrue(d.isLive("n2"), "still the cached list");
      now.addAndGet(NodeDirectory.LIVE_NODES_TTL_NANOS);
      assertFalse(d.isLive("n2"), "fetched again after a second");
      assertEquals(2, coordination.lists.get());
    }
  }

  @Test
  void refresh_makesTheNextQuestionFetch() {
    try (NodeDirectory d = directory()) {
      d.isLive("n2");
      d.refresh();
      d.isLive("n2");
      assertEquals(2, coordination.lists.get());
    }
  }

  @Test
  void requireLocal_namesTheRemoteNodesProcess() {
    try (NodeDirectory d = directory(); Coordination.Presence other = coordination.announce(Set.of("n2"), "b:1")) {
      assertEquals(Set.of("n2"), other.nodes());
      d.requireLocal("n1");
      KmsException e = assertThrows(KmsException.class, () -> d.requireLocal("n2"));
      assertEquals(ErrorCode.REMOTE_NODE, e.errorCode());
      assertTrue(e.getMessage().contains("n2") && e.getMessage().contains("b:1"), e.getMessage());
      assertEquals(ErrorCode.ENTRY_NOT_FOUND,
          assertThrows(KmsException.class, () -> d.requireLocal("n9")).errorCode());
      assertEquals(List.of("n2", "n3"), d.remoteNodes());
    }
  }

  @Test
  void close_withdrawsTheLocalNodes() {
    NodeDirectory d = directory();
    assertTrue(coordination.liveNodes().containsKey("n1"));
    d.close();
    assertFalse(coordination.liveNodes().containsKey("n1"));
  }

  private NodeDirectory directory() {
    return new NodeDirectory(List.of("n1", "n2", "n3"), Set.of("n1"), "a:1", coordination, now::get);
  }

  /** Counts the lists of live nodes asked for; everything else as the coordination it wraps. */
  private static final class CountingCoordination implements Coordination {
    final AtomicInteger lists = new AtomicInteger();
    private final Coordination inner;

    CountingCoordination(Coordination inner) {
      this.inner = inner;
    }

    @Override
    public boolean distributed() {
      return inner.distributed();
    }

    @Override
    public SvmLock lockSvm(UUID svm, Duration wait) {
      return inner.lockSvm(svm, wait);
    }

    @Override
    public Presence announce(Set<String> nodes, String endpoint) {
      return inner.announce(nodes, endpoint);
    }

    @Override
    public Presence announceProcess(UUID process) {
      return inner.announceProcess(process);
    }

    @Override
    public Set<UUID> liveProcesses() {
      return inner.liveProcesses();
    }

    @Override
    public Map<String, String> liveNodes() {
      lists.incrementAndGet();
      return inner.liveNodes();
    }

    @Override
    public Subscription watch(String bucket, Consumer<UUID> listener) {
      return inner.watch(bucket, listener);
    }
  }
}
