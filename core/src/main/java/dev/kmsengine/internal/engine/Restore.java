package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.internal.job.JobContext;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * {@code POST .../restore}: every node fetches the top-level KEK through its own path, in parallel, unwraps the
 * SVM-KEK and gets every VEK of the current generation; the per-node outcome goes to the job, and a key that is
 * unusable on every node blocks the keystore.
 *
 * <p>Thread-safe; callers serialise operations per SVM.
 */
final class Restore {
  private static final Logger LOG = Logger.getLogger(Restore.class.getName());

  private final EngineState state;
  private final ClusterNodes fanOut;
  private final RemoteRestore remote;

  Restore(EngineState state, ClusterNodes fanOut, RemoteRestore remote) {
    this.state = state;
    this.fanOut = fanOut;
    this.remote = remote;
  }

  void run(UUID configUuid, JobContext ctx) {
    ConfigRecord cfg = state.requireConfig(configUuid, ErrorCode.CONFIG_NOT_FOUND);
    SvmKeyState ks = state.requireEnabled(cfg);
    int nodeCount = state.spec.nodes().size();
    ctx.progress("Fetching the top-level key on " + nodeCount + " nodes");
    LOG.info(() -> "restore of SVM " + ks.svm() + ": fetching the top-level KEK on " + nodeCount + " nodes");
    Map<String, ErrorCode> failureCodes = new ConcurrentHashMap<>();
    List<NodeStatus> statuses = remote.withRemote(restoreOn(state.nodes, cfg, ks, failureCodes, ctx), cfg,
        failureCodes);
    ctx.nodes(statuses);
    List<NodeStatus> failures = statuses.stream().filter(s -> !s.ok()).toList();
    LOG.info(() -> "restore of SVM " + ks.svm() + ": " + (nodeCount - failures.size()) + " of "
        + nodeCount + " nodes hold the SVM-KEK" + (failures.isEmpty() ? "" : "; failed: "
        + failures.stream().map(NodeStatus::node).toList()));
    // Blocked only when every node failed because of the key itself; a down node fails with a non-blocking code.
    boolean keyUnusable = statuses.stream().allMatch(s -> !s.ok() && KekFetcher.blocks(failureCodes.get(s.node())));
    if (keyUnusable) {
      state.saveState(ks.withState(KeystoreState.BLOCKED));
    } else if (failures.size() < statuses.size() && ks.state() == KeystoreState.BLOCKED) {
      state.saveState(ks.withState(KeystoreState.ACTIVE));
    }
    if (!failures.isEmpty()) {
      StringBuilder detail = new StringBuilder();
      for (NodeStatus s : failures) {
        detail.append("Node: ").append(s.node()).append(". Reason: ").append(s.message()).append(' ');
      }
      throw new KmsException(ErrorCode.RESTORE_FAILED, "", detail.toString().trim());
    }
    ctx.progress("Restored the SVM-KEK on " + statuses.size() + " of " + statuses.size() + " nodes");
  }

  /**
   * Restores the SVM-KEK and the VEKs on {@code targets} (nodes of this process), each fetching the top-level KEK
   * through its own path in parallel; their statuses, in the order of {@code targets}.
   */
  List<NodeStatus> restoreOn(List<Node> targets, ConfigRecord cfg, SvmKeyState ks,
      Map<String, ErrorCode> failureCodes, JobContext ctx) {
    Map<String, KeyMaterial> svmKeks = new HashMap<>();
    Map<String, Long> epochs = new ConcurrentHashMap<>();
    List<NodeStatus> statuses = fanOut.perNode(targets, n -> {
      // Captured before the fetch: keys fetched for the node as it was must not land in it after a reboot.
      epochs.put(n.name, n.epoch());
      if (!n.isUp()) {
        return failure(failureCodes, n.name, ErrorCode.RESTORE_FAILED, "Node is down.");
      }
      try (KeyMaterial kek = state.provider.fetchKey(n.name, cfg.connection())) {
        if (ks.generation() > 0) {
          KeyMaterial svmKek = KekFetcher.unwrapSvmKek(ks, cfg.uuid(), kek);
          synchronized (svmKeks) {
            svmKeks.put(n.name, svmKek);
          }
        }
        return NodeStatus.success(n.name);
      } catch (KekException e) {
        return failure(failureCodes, n.name, KekFetcher.codeFor(e.failure()), e.getMessage());
      } catch (KmsException e) {
        return failure(failureCodes, n.name, e.errorCode(), e.getMessage());
      }
    });
    try {
      if (!svmKeks.isEmpty()) {
        statuses = installVeks(ks, svmKeks, epochs, statuses, failureCodes, ctx);
      }
    } finally {
      svmKeks.values().forEach(KeyMaterial::destroy);
    }
    return statuses;
  }

  /** A failed node's status, its code kept typed in {@code failures} for the blocked-keystore decision. */
  private static NodeStatus failure(Map<String, ErrorCode> failures, String node, ErrorCode code, String message) {
    failures.put(node, code);
    return NodeStatus.failure(node, code, message);
  }

  /**
   * Unwraps every VEK once and installs it, with the SVM-KEK, on each node that recovered the SVM-KEK. A VEK that
   * fails to unwrap is reported on every such node (it is the same blob for all of them).
   */
  private List<NodeStatus> installVeks(SvmKeyState ks, Map<String, KeyMaterial> svmKeks, Map<String, Long> epochs,
      List<NodeStatus> statuses, Map<String, ErrorCode> failures, JobContext ctx) {
    KeyMaterial svmKek = svmKeks.values().iterator().next();
    List<Node> targets = state.nodes.stream().filter(n -> svmKeks.containsKey(n.name)).toList();
    for (Node n : targets) {
      n.installSvmKekIfSameEpoch(epochs.get(n.name), ks.svm(), ks.generation(), svmKek);
    }
    int total = state.db.count(Buckets.veks(ks.svm(), ks.generation()));
    ctx.progress("Restoring " + total + " volume encryption keys on " + targets.size() + " nodes");
    List<UUID> bad = new ArrayList<>();
    try (WrappingKey wrapping = WrappingKey.of(svmKek)) {
      byte[] vek = new byte[KeyMaterial.LENGTH];
      state.db.forEach(Buckets.veks(ks.svm(), ks.generation()), (id, blob) -> {
        try (KeyMaterial k = wrapping.unwrap(blob, KeyBinding.vek(ks.svm(), id, ks.generation()))) {
          k.copyInto(KeyAccess.insecure(), vek, 0);
          for (Node n : targets) {
            n.installVekIfSameEpoch(epochs.get(n.name), id, vek);
          }
        } catch (GeneralSecurityException e) {
          bad.add(id);
        }
      });
      Arrays.fill(vek, (byte) 0);
    }
    List<NodeStatus> out = new ArrayList<>();
    for (NodeStatus s : statuses) {
      Node n = state.node(s.node());
      if (s.ok() && n.epoch() != epochs.get(s.node())) {
        // Wiped while the restore ran: whatever it installed before the wipe is gone, nothing after it landed.
        out.add(failure(failures, s.node(), ErrorCode.RESTORE_FAILED,
            "Node rebooted or went down during the restore; run restore again."));
      } else if (s.ok() && !bad.isEmpty()) {
        out.add(failure(failures, s.node(), ErrorCode.VEK_INVALID,
            bad.size() + " volume encryption keys failed to unwrap (first: volume " + bad.get(0) + ")."));
      } else {
        out.add(s);
      }
    }
    return out;
  }
}
