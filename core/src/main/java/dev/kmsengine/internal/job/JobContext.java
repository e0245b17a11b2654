package dev.kmsengine.internal.job;

import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.List;

/**
 * What a running job can report back (progress and per-node results) and check (that it still holds its SVM's
 * lock).
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

  /**
   * Throws unless the job still holds its SVM's lock: for operation code to call just before an effect that needs
   * the lock. Every commit through the engine's database checks the lock already ({@link JobLocks}). The default
   * (a context of no job) holds no lock and does nothing.
   *
   * @throws dev.kmsengine.store.StoreException naming the SVM if the lock was lost (its lease expired, so another
   *     process may hold it)
   */
  default void ensureHeld() {}
}
