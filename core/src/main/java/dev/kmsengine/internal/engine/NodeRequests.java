package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.internal.engine.NodeRequest.Kind;
import dev.kmsengine.internal.error.CauseChain;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.store.WriteBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The part of a per-node fan-out (a restore, a reachability check) that concerns nodes other processes host. The
 * asking process writes one {@link NodeRequest} per live remote node in one commit; every process watches the
 * requests bucket, does the work for the requests that name its own nodes, and answers each with a result record
 * (deleting the request in the same commit); the asker waits for every answer, bounded by a timeout, reads them
 * and deletes them. A remote node that no live process hosts is reported down without a request, and one whose
 * process does not answer in time is reported as such: the per-node results keep the shape of a single process's.
 *
 * <p>In one process (every node local, or a single-process coordination) there are no remote nodes to ask:
 * nothing is written and nothing is watched.
 *
 * <p>Thread-safe.
 */
final class NodeRequests implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeRequests.class.getName());
  /** How often an asker reads the results bucket itself, should a watch event be late or lost. */
  private static final long POLL_MILLIS = 500;

  private final EngineState state;
  private final NodeDirectory directory;
  private final boolean multiProcess;
  private final Map<Kind, Duration> timeouts;
  private final Map<Kind, Function<NodeRequest, NodeStatus>> handlers = new EnumMap<>(Kind.class);
  private final Map<UUID, CompletableFuture<NodeStatus>> waiting = new ConcurrentHashMap<>();
  private final Set<UUID> serving = ConcurrentHashMap.newKeySet();
  private final ExecutorService workers;
  private final List<Coordination.Subscription> subscriptions = new ArrayList<>();

  NodeRequests(EngineState state, NodeDirectory directory, boolean multiProcess, Map<Kind, Duration> timeouts) {
    this.state = state;
    this.directory = directory;
    this.multiProcess = multiProcess;
    this.timeouts = Map.copyOf(timeouts);
    AtomicInteger n = new AtomicInteger();
    this.workers = multiProcess ? Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "kms-node-request-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }) : null;
  }

  /** Registers what this process does when asked {@code kind} for one of its nodes; before {@link #start}. */
  void serve(Kind kind, Function<NodeRequest, NodeStatus> handler) {
    handlers.put(kind, handler);
  }

  /** Starts watching for requests and answers, and serves the requests for local nodes already waiting. */
  void start(Coordination coordination) {
    if (!multiProcess) {
      return;
    }
    subscriptions.add(coordination.watch(Buckets.NODE_RESULTS, this::resultChanged));
    subscriptions.add(coordination.watch(Buckets.NODE_REQUESTS, this::requestChanged));
    List<UUID> pending = new ArrayList<>();
    state.db.forEach(Buckets.NODE_REQUESTS, (id, b) -> pending.add(id));
    pending.forEach(this::requestChanged);
  }

  /**
   * Asks every remote node to do {@code kind} for {@code cfg} and waits for the answers; the remote nodes'
   * statuses, in cluster order.
   */
  List<NodeStatus> askRemote(Kind kind, ConfigRecord cfg) {
    ErrorCode downCode = kind == Kind.RESTORE ? ErrorCode.RESTORE_FAILED : ErrorCode.UNREACHABLE;
    Map<String, NodeStatus> out = new LinkedHashMap<>();
    Map<String, UUID> asked = new LinkedHashMap<>();
    WriteBatch batch = new WriteBatch();
    if (multiProcess) {
      directory.refresh();
    }
    for (String node : directory.remoteNodes()) {
      if (!multiProcess || !directory.isLive(node)) {
        out.put(node, NodeStatus.failure(node, downCode, "Node is down: no running process hosts it."));
        continue;
      }
      UUID id = UUID.randomUUID();
      waiting.put(id, new CompletableFuture<>());
      asked.put(node, id);
      batch.put(Buckets.NODE_REQUESTS, id, new NodeRequest(id, node, kind, cfg.uuid()).encode());
      out.put(node, null);
    }
    if (asked.isEmpty()) {
      return List.copyOf(out.values());
    }
    try {
      SharedCommits.commit(state.db, batch);
      long deadline = System.nanoTime() + timeouts.get(kind).toNanos();
      for (Map.Entry<String, UUID> e : asked.entrySet()) {
        out.put(e.getKey(), await(e.getKey(), e.getValue(), kind, downCode, deadline));
      }
    } finally {
      WriteBatch cleanup = new WriteBatch();
      for (UUID id : asked.values()) {
        waiting.remove(id);
        cleanup.delete(Buckets.NODE_REQUESTS, id).delete(Buckets.NODE_RESULTS, id);
      }
      try {
        SharedCommits.commit(state.db, cleanup);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "deleting answered node requests failed: " + CauseChain.of(e));
      }
    }
    return List.copyOf(out.values());
  }

  private NodeStatus await(String node, UUID id, Kind kind, ErrorCode downCode, long deadline) {
    CompletableFuture<NodeStatus> f = waiting.get(id);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String where = directory.endpointOf(node).map(e -> " at " + e).orElse("");
        return NodeStatus.failure(node, downCode, "The process hosting the node" + where + " did not answer within "
            + timeouts.get(kind).toSeconds() + " s.");
      }
      try {
        return f.get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        resultChanged(id);
        if (!f.isDone() && !directory.isLive(node)) {
          return NodeStatus.failure(node, downCode, "Node is down: its process stopped before it answered.");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return NodeStatus.failure(node, ErrorCode.CANCELLED, "Interrupted while waiting for the node's process.");
      } catch (ExecutionException e) {
        throw new IllegalStateException("a node request's future failed", e.getCause());
      }
    }
  }

  /** The local and the remote statuses merged in cluster order. */
  List<NodeStatus> inClusterOrder(List<NodeStatus> local, List<NodeStatus> remote) {
    if (remote.isEmpty()) {
      return local;
    }
    Map<String, NodeStatus> byNode = new LinkedHashMap<>();
    local.forEach(s -> byNode.put(s.node(), s));
    remote.forEach(s -> byNode.put(s.node(), s));
    List<NodeStatus> out = new ArrayList<>();
    for (String n : state.spec.nodes()) {
      NodeStatus s = byNode.get(n);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private void resultChanged(UUID id) {
    CompletableFuture<NodeStatus> f = waiting.get(id);
    if (f == null || f.isDone()) {
      return;
    }
    byte[] b = state.db.get(Buckets.NODE_RESULTS, id);
    if (b != null) {
      f.complete(NodeRequest.decodeResult(b));
    }
  }

  private void requestChanged(UUID id) {
    byte[] b = state.db.get(Buckets.NODE_REQUESTS, id);
    if (b == null) {
      return;
    }
    NodeRequest r = NodeRequest.decode(id, b);
    if (!directory.isLocal(r.node()) || !serving.add(id)) {
      return;
    }
    try {
      workers.execute(() -> answer(r));
    } catch (RejectedExecutionException closing) {
      serving.remove(id);
    }
  }

  private void answer(NodeRequest r) {
    try {
      NodeStatus s;
      try {
        s = handlers.get(r.kind()).apply(r);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, r.kind() + " on node " + r.node() + " failed: " + CauseChain.of(e));
        s = NodeStatus.failure(r.node(), ErrorCode.INTERNAL_ERROR, ErrorCode.INTERNAL_ERROR.message());
      }
      // Only if the asker still waits: it deletes the request when it gives up, and an answer then is litter.
      if (state.db.get(Buckets.NODE_REQUESTS, r.id()) != null) {
        SharedCommits.commit(state.db, new WriteBatch().put(Buckets.NODE_RESULTS, r.id(), NodeRequest.encodeResult(s))
            .delete(Buckets.NODE_REQUESTS, r.id()));
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "answering " + r.kind() + " on node " + r.node() + " failed: " + CauseChain.of(e));
    } finally {
      serving.remove(r.id());
    }
  }

  @Override
  public void close() {
    subscriptions.forEach(Coordination.Subscription::close);
    if (workers != null) {
      workers.shutdownNow();
    }
  }
}
