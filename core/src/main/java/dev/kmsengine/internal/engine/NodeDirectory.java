package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Where each node of the cluster runs: in this process (a local node, with its key table here) or in another
 * process on the same database (a remote node, whose key table lives there). The local nodes are announced to the
 * database's coordination when the engine starts and withdrawn when it closes; a remote node is live exactly while
 * the coordination lists it.
 *
 * <p>The list of live nodes is cached for {@link #LIVE_NODES_TTL_NANOS} (one second): a listing of the nodes, a
 * status report or a fan-out asks about every node, and on etcd each fresh list is a round trip. A process that
 * died therefore shows as down up to a second after the coordination stopped listing it (which itself follows
 * the lease's time to live).
 *
 * <p>Thread-safe.
 */
final class NodeDirectory implements AutoCloseable {
  /** How long a fetched list of live nodes is used before it is fetched again. */
  static final long LIVE_NODES_TTL_NANOS = 1_000_000_000L;

  private record Snapshot(Map<String, String> live, long fetchedAt) {}

  private final List<String> order;
  private final Set<String> local;
  private final String endpoint;
  private final Coordination coordination;
  private final LongSupplier nanoTime;
  private final Coordination.Presence presence;
  private volatile Snapshot snapshot;

  /**
   * Announces {@code local} as hosted by this process.
   *
   * @throws dev.kmsengine.store.StoreException if the coordination refuses (another live process hosts one of
   *     them) or cannot be reached
   */
  NodeDirectory(List<String> order, Set<String> local, String endpoint, Coordination coordination,
      LongSupplier nanoTime) {
    this.order = List.copyOf(order);
    this.local = Set.copyOf(local);
    this.endpoint = endpoint;
    this.coordination = coordination;
    this.nanoTime = nanoTime;
    this.presence = coordination.announce(this.local, endpoint);
  }

  /** Whether every node of the cluster runs in this process. */
  boolean allLocal() {
    return local.size() == order.size();
  }

  boolean isLocal(String node) {
    return local.contains(node);
  }

  /** The endpoint this process announced for its nodes. */
  String endpoint() {
    return endpoint;
  }

  /** The endpoint of the process hosting {@code node} now, empty if no live process does. */
  Optional<String> endpointOf(String node) {
    if (local.contains(node)) {
      return Optional.of(endpoint);
    }
    return Optional.ofNullable(live().get(node));
  }

  /** Whether a remote node's process is live (a local node is live while this engine runs). */
  boolean isLive(String node) {
    return local.contains(node) || live().containsKey(node);
  }

  /** Forgets the cached list of live nodes, so that the next question fetches it: before a fan-out that waits. */
  void refresh() {
    snapshot = null;
  }

  /** The remote nodes, in cluster order. */
  List<String> remoteNodes() {
    return order.stream().filter(n -> !local.contains(n)).toList();
  }

  /**
   * Throws unless {@code node} is hosted here: {@link ErrorCode#REMOTE_NODE} naming the node and the endpoint of
   * the process that hosts it, so that a caller (the REST layer) can send the request there.
   */
  void requireLocal(String node) {
    if (local.contains(node)) {
      return;
    }
    if (!order.contains(node)) {
      throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "name", "Node \"" + node + "\" does not exist.");
    }
    String where = Optional.ofNullable(live().get(node)).map(e -> "the process at " + e)
        .orElse("another process, which is not running now");
    throw new KmsException(ErrorCode.REMOTE_NODE, "node", "Node " + node + " is hosted by " + where + ".");
  }

  private Map<String, String> live() {
    Snapshot s = snapshot;
    long now = nanoTime.getAsLong();
    if (s == null || now - s.fetchedAt() >= LIVE_NODES_TTL_NANOS) {
      s = new Snapshot(Map.copyOf(coordination.liveNodes()), now);
      snapshot = s;
    }
    return s.live();
  }

  /** Withdraws this process's nodes: other processes see them down at once. */
  @Override
  public void close() {
    presence.close();
  }
}
