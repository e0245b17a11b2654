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
 * {@code state} (which nodes hold the SVM-KEK, and why the others do not).
 *
 * <p>Thread-safe.
 */
final class KekStatusReport {
  private static final String UNAVAILABLE_PREFIX =
      "Top-level internal key encryption key is unavailable on the following nodes with the associated reasons:";

  private final EngineState state;
  private final ClusterNodes fanOut;

  KekStatusReport(EngineState state, ClusterNodes fanOut) {
    this.state = state;
    this.fanOut = fanOut;
  }

  Reachability reachability(ConfigRecord cfg) {
    List<NodeStatus> statuses = fanOut.perNode(n -> {
      if (!n.isUp()) {
        return NodeStatus.failure(n.name, ErrorCode.UNREACHABLE, "Node is down.");
      }
      try {
        state.provider.checkReachability(n.name, cfg.connection());
        return NodeStatus.success(n.name);
      } catch (KekException e) {
        return NodeStatus.failure(n.name, KekFetcher.codeFor(e.failure()), e.getMessage());
      }
    });
    for (NodeStatus s : statuses) {
      if (!s.ok()) {
        return new Reachability(false, Optional.of(ErrorCode.UNREACHABLE),
            "Barbican KMS is not reachable from all nodes - Node: " + s.node() + ". Reason: " + s.message(),
            statuses);
      }
    }
    return new Reachability(true, Optional.empty(), "", statuses);
  }

  KekAvailability kekAvailability(ConfigRecord cfg) {
    SvmKeyState ks = state.keyState(cfg.svm());
    List<NodeStatus> statuses = new ArrayList<>();
    for (Node n : state.nodes) {
      long held = n.svmKekGeneration(cfg.svm());
      String reason;
      if (!cfg.uuid().equals(ks.enabled())) {
        reason = "The Barbican KMS configuration is not enabled.";
      } else if (ks.generation() == 0) {
        reason = "No volumes created yet for the SVM. Wrapped KEK status will be available after creating"
            + " encrypted volumes.";
      } else if (!n.isUp()) {
        reason = "Node is down.";
      } else if (held != ks.generation()) {
        reason = "The SVM-KEK is not in the node's key table. Restore it from Barbican.";
      } else {
        statuses.add(NodeStatus.success(n.name));
        continue;
      }
      statuses.add(NodeStatus.failure(n.name, ErrorCode.RESTORE_FAILED, reason));
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
}
