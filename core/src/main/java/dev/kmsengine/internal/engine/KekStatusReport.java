package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.keystore.Keystore.Reachability;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The advanced properties of a configuration: {@code barbican_reachability} (every node asked, in parallel) and
 * {@code state} (which nodes hold the SVM-KEK, and why the others do not), over every node of the cluster,
 * including those that other processes host.
 *
 * <p>Thread-safe.
 */
final class KekStatusReport {
  private static final String UNAVAILABLE_PREFIX =
      "Top-level internal key encryption key is unavailable on the following nodes with the associated reasons:";
  private static final String NOT_IN_TABLE = "The SVM-KEK is not in the node's key table. Restore it from Barbican.";

  private final EngineState state;
  private final ClusterNodes fanOut;
  private final NodeDirectory directory;
  private final NodeStatusBoard board;
  private final NodeRequests requests;

  KekStatusReport(EngineState state, ClusterNodes fanOut, NodeDirectory directory, NodeStatusBoard board,
      NodeRequests requests) {
    this.state = state;
    this.fanOut = fanOut;
    this.directory = directory;
    this.board = board;
    this.requests = requests;
  }

  /**
   * Every node asked in parallel: the local ones here, each remote one by its own process (a request through the
   * database, see {@link NodeRequests}); a remote node that no live process hosts is down.
   */
  Reachability reachability(ConfigRecord cfg) {
    List<NodeStatus> statuses = requests.inClusterOrder(fanOut.perNode(n -> reachableFrom(n, cfg)),
        requests.askRemote(NodeRequest.Kind.REACHABILITY, cfg));
    for (NodeStatus s : statuses) {
      if (!s.ok()) {
        return new Reachability(false, Optional.of(ErrorCode.UNREACHABLE),
            "Barbican KMS is not reachable from all nodes - Node: " + s.node() + ". Reason: " + s.message(),
            statuses);
      }
    }
    return new Reachability(true, Optional.empty(), "", statuses);
  }

  private NodeStatus reachableFrom(Node n, ConfigRecord cfg) {
    if (!n.isUp()) {
      return NodeStatus.failure(n.name, ErrorCode.UNREACHABLE, "Node is down.");
    }
    try {
      state.provider.checkReachability(n.name, cfg.connection());
      return NodeStatus.success(n.name);
    } catch (KekException e) {
      return NodeStatus.failure(n.name, KekFetcher.codeFor(e.failure()), e.getMessage());
    }
  }

  /** Checks reachability through one local node for another process's report. */
  NodeStatus serve(NodeRequest r) {
    ConfigRecord cfg = state.configRecord(r.config());
    if (cfg == null) {
      return NodeStatus.failure(r.node(), ErrorCode.CONFIG_NOT_FOUND, ErrorCode.CONFIG_NOT_FOUND.message());
    }
    return reachableFrom(state.node(r.node()), cfg);
  }

  /**
   * Which nodes hold the current SVM-KEK. A remote node's answer is what its process last published
   * ({@link NodeStatusBoard}); one that no live process hosts is down.
   */
  KekAvailability kekAvailability(ConfigRecord cfg) {
    SvmKeyState ks = state.keyState(cfg.svm());
    List<NodeStatus> statuses = new ArrayList<>();
    for (String name : state.spec.nodes()) {
      String reason;
      if (!cfg.uuid().equals(ks.enabled())) {
        reason = "The Barbican KMS configuration is not enabled.";
      } else if (ks.generation() == 0) {
        reason = "No volumes created yet for the SVM. Wrapped KEK status will be available after creating"
            + " encrypted volumes.";
      } else {
        reason = directory.isLocal(name) ? missingOnLocal(state.node(name), ks) : missingOnRemote(name, ks);
      }
      statuses.add(reason == null ? NodeStatus.success(name)
          : NodeStatus.failure(name, ErrorCode.RESTORE_FAILED, reason));
    }
    StringBuilder message = new StringBuilder();
    for (NodeStatus s : statuses) {
      if (!s.ok()) {
        message.append(" Node: ").append(s.node()).append(". Reason: ").append(s.message());
      }
    }
    return message.length() == 0
        ? new KekAvailability(true, Optional.empty(), "", statuses)
        : new KekAvailability(false, Optional.of(ErrorCode.RESTORE_FAILED), UNAVAILABLE_PREFIX + message, statuses);
  }

  /** Why a local node lacks the current SVM-KEK, or null if it holds it. */
  private static String missingOnLocal(Node n, SvmKeyState ks) {
    if (!n.isUp()) {
      return "Node is down.";
    }
    long held = n.svmKekGeneration(ks.svm());
    if (held == ks.generation()) {
      return null;
    }
    String failure = n.installFailure(ks.svm());
    return failure == null ? NOT_IN_TABLE
        : "The node holds SVM-KEK generation " + held + ", not the current " + ks.generation() + ": installing it"
            + " failed (" + failure + "). Restore it from Barbican.";
  }

  /** Why a remote node lacks the current SVM-KEK, as its process published it, or null if it holds it. */
  private String missingOnRemote(String name, SvmKeyState ks) {
    if (!directory.isLive(name)) {
      return "Node is down: no running process hosts it.";
    }
    NodeStatusRecord published = board.published(name);
    if (published == null) {
      return "The process hosting the node has not published its key table yet.";
    }
    if (!published.up()) {
      return "Node is down.";
    }
    return published.generation(ks.svm()) == ks.generation() ? null : NOT_IN_TABLE;
  }
}
