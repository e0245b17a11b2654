package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The fan-out of one action to every node at once, and the engine's two worker pools: node I/O, and the CPU
 * threads of a rekey's rewrap.
 *
 * <p>Thread-safe.
 */
final class ClusterNodes implements AutoCloseable {
  private final List<Node> nodes;
  /** Node fetches wait on the network, not the CPU: one thread per node in flight, so restore scales with nodes. */
  private final ExecutorService io;
  final ExecutorService cpu;

  ClusterNodes(List<Node> nodes, int parallelism) {
    this.nodes = nodes;
    AtomicInteger n = new AtomicInteger();
    this.cpu = Executors.newFixedThreadPool(parallelism, r -> daemon(r, "kms-rewrap-" + n.incrementAndGet()));
    AtomicInteger m = new AtomicInteger();
    this.io = Executors.newCachedThreadPool(r -> daemon(r, "kms-node-io-" + m.incrementAndGet()));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Runs {@code action} for every node of this process in parallel; results in node order. */
  List<NodeStatus> perNode(Function<Node, NodeStatus> action) {
    return perNode(nodes, action);
  }

  /** Runs {@code action} for each of {@code targets} in parallel; results in their order. */
  List<NodeStatus> perNode(List<Node> targets, Function<Node, NodeStatus> action) {
    List<Future<NodeStatus>> futures = new ArrayList<>();
    for (Node n : targets) {
      futures.add(io.submit(() -> action.apply(n)));
    }
    List<NodeStatus> out = new ArrayList<>();
    for (Future<NodeStatus> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  /** The result of {@code f}, its failure rethrown as it was. */
  static <T> T join(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KmsException(ErrorCode.CANCELLED, "", "", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KmsException k) {
        throw k;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("a node task failed", e.getCause());
    }
  }

  @Override
  public void close() {
    cpu.shutdownNow();
    io.shutdownNow();
  }
}
