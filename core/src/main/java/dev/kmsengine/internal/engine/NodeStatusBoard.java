package dev.kmsengine.internal.engine;

import dev.kmsengine.internal.error.CauseChain;
import dev.kmsengine.store.WriteBatch;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * In multi-process mode, what each process tells the others about its nodes' key tables: a
 * {@link NodeStatusRecord} per local node in bucket {@link Buckets#NODE_STATUS}, written when the engine starts
 * (every table empty: a restarted process's nodes say so at once) and again after every change of a node's
 * SVM-KEKs or up state. Writes are coalesced on one thread, so a rekey's or a restore's burst of changes costs one
 * commit, never a commit under a node's lock; another process therefore sees a change a moment after it happened.
 * In one process (every node local) nothing is written and nothing needs to be read.
 *
 * <p>Thread-safe.
 */
final class NodeStatusBoard implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeStatusBoard.class.getName());

  private final EngineState state;
  private final boolean publishing;
  /** Guarded by itself. */
  private final Set<Node> dirty = new LinkedHashSet<>();
  private final ExecutorService writer;

  NodeStatusBoard(EngineState state, boolean multiProcess) {
    this.state = state;
    this.publishing = multiProcess;
    this.writer = multiProcess ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kms-node-status");
      t.setDaemon(true);
      return t;
    }) : null;
    if (multiProcess) {
      WriteBatch batch = new WriteBatch();
      for (Node n : state.nodes) {
        n.onChange(() -> changed(n));
        batch.put(Buckets.NODE_STATUS, n.uuid, NodeStatusRecord.of(n).encode());
      }
      SharedCommits.commit(state.db, batch);
    }
  }

  /** Schedules a new record for {@code n}; does not block (nodes call it under their lock). */
  void changed(Node n) {
    if (!publishing) {
      return;
    }
    boolean schedule;
    synchronized (dirty) {
      schedule = dirty.isEmpty();
      dirty.add(n);
    }
    if (schedule) {
      try {
        writer.execute(this::flush);
      } catch (RejectedExecutionException closing) {
        // The engine is closing: its nodes are withdrawn anyway, and a restart publishes again.
      }
    }
  }

  /** Schedules a new record for every local node (after a restore filled their tables). */
  void changedAll() {
    state.nodes.forEach(this::changed);
  }

  private void flush() {
    Set<Node> batchOf;
    synchronized (dirty) {
      batchOf = Set.copyOf(dirty);
      dirty.clear();
    }
    WriteBatch batch = new WriteBatch();
    for (Node n : batchOf) {
      batch.put(Buckets.NODE_STATUS, n.uuid, NodeStatusRecord.of(n).encode());
    }
    try {
      SharedCommits.commit(state.db, batch);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "publishing the key-table status of nodes " + batchOf.stream().map(n -> n.name).toList()
          + " failed: " + CauseChain.of(e));
    }
  }

  /** What the process hosting {@code node} last published about it, or null if it never did. */
  NodeStatusRecord published(String node) {
    byte[] b = state.db.get(Buckets.NODE_STATUS, state.nodeUuid(node));
    return b == null ? null : NodeStatusRecord.decode(b);
  }

  @Override
  public void close() {
    if (writer != null) {
      writer.shutdown();
      try {
        writer.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
