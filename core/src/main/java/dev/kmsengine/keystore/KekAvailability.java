package dev.kmsengine.keystore;

import java.util.List;

/**
 * The advanced property {@code state}: whether every node holds the SVM-KEK in its key table.
 *
 * @param clusterState true only when every node holds the current SVM-KEK
 * @param code {@code "0"} when available everywhere, otherwise the code of the problem
 * @param message empty when available everywhere, otherwise naming each node that lacks it and why
 * @param nodes per-node answers, in node order
 */
public record KekAvailability(boolean clusterState, String code, String message, List<NodeStatus> nodes) {
  /**
   * Copies the list.
   *
   * @param clusterState true only when every node holds the current SVM-KEK
   * @param code {@code "0"} when available everywhere, otherwise the code of the problem
   * @param message empty when available everywhere, otherwise naming each node that lacks it and why
   * @param nodes per-node answers, in node order
   */
  public KekAvailability {
    nodes = List.copyOf(nodes);
  }
}
