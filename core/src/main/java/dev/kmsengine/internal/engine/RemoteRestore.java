package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.NodeRequest.Kind;
import dev.kmsengine.internal.job.JobContext;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A restore across processes: the job, wherever it was submitted, restores its own nodes directly and asks every
 * live remote node's process to restore that node ({@link NodeRequests}), then reports every node's outcome as one
 * process would. The process asked runs the same per-node restore on its node, with the configuration and the
 * key state it reads from the database (the asking job holds the SVM's lock meanwhile, so they do not change).
 *
 * <p>Thread-safe.
 */
final class RemoteRestore {
  /** Reports of the work done for another process's job go to that job, through the result record. */
  private static final JobContext UNREPORTED = new JobContext() {
    @Override
    public void progress(String message) {}

    @Override
    public void nodes(List<NodeStatus> nodes) {}
  };

  private final EngineState state;
  private final NodeRequests requests;
  private final NodeStatusBoard board;

  RemoteRestore(EngineState state, NodeRequests requests, NodeStatusBoard board) {
    this.state = state;
    this.requests = requests;
    this.board = board;
  }

  /**
   * The statuses of every node: {@code local} (this process's nodes, restored already) and those of the remote
   * nodes, asked now; each remote failure's code goes into {@code failureCodes}.
   */
  List<NodeStatus> withRemote(List<NodeStatus> local, ConfigRecord cfg, Map<String, ErrorCode> failureCodes) {
    board.changedAll();
    List<NodeStatus> remote = requests.askRemote(Kind.RESTORE, cfg);
    for (NodeStatus s : remote) {
      s.error().ifPresent(code -> failureCodes.put(s.node(), code));
    }
    return requests.inClusterOrder(local, remote);
  }

  /** Restores one local node for another process's restore job. */
  NodeStatus serve(NodeRequest r, Restore restore) {
    try {
      ConfigRecord cfg = state.requireConfig(r.config(), ErrorCode.CONFIG_NOT_FOUND);
      SvmKeyState ks = state.requireEnabled(cfg);
      List<NodeStatus> out = restore.restoreOn(List.of(state.node(r.node())), cfg, ks, new ConcurrentHashMap<>(),
          UNREPORTED);
      return out.get(0);
    } catch (KmsException e) {
      return NodeStatus.failure(r.node(), e.errorCode(), e.getMessage());
    } finally {
      board.changedAll();
    }
  }
}
