package dev.kmsengine.keystore;

import java.util.List;

/**
 * The advanced property {@code barbican_reachability}: whether every node reaches Barbican, and if not, the first
 * failing node's reason. {@code nodes} has every node's own answer, which ONTAP does not show but a test does.
 *
 * @param reachable true if every up node reaches Barbican
 * @param code {@code "0"} when reachable, otherwise 65539801
 * @param message empty when reachable, otherwise naming the first failing node and its reason
 * @param nodes per-node answers, in node order
 */
public record Reachability(boolean reachable, String code, String message, List<NodeStatus> nodes) {
  /**
   * Copies the list.
   *
   * @param reachable true if every up node reaches Barbican
   * @param code {@code "0"} when reachable, otherwise 65539801
   * @param message empty when reachable, otherwise naming the first failing node and its reason
   * @param nodes per-node answers, in node order
   */
  public Reachability {
    nodes = List.copyOf(nodes);
  }
}
