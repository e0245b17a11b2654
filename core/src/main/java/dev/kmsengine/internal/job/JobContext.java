package dev.kmsengine.internal.job;

import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.List;

/**
 * What a running job can report back: progress and per-node results.
 *
 * <p>Implementations are thread-safe: a body may report from the threads it fans out to.
 */
public interface JobContext {
  /**
   * Replaces the job's message with a progress line, e.g. {@code "Rewrapped 500 of 1000 ..."}; never a secret.
   *
   * @param message the progress line
   */
  void progress(String message);

  /**
   * Records per-node results, shown on the job even if it then fails.
   *
   * @param nodes one status per node
   */
  void nodes(List<NodeStatus> nodes);
}
