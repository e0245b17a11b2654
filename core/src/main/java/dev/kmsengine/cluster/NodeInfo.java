package dev.kmsengine.cluster;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A cluster node as {@code /api/cluster/nodes} shows it.
 *
 * <p>When several engine processes share one cluster database, each hosts some of the nodes: a node hosted by
 * this engine is {@link #local()}; another one's {@code up} says whether the process hosting it is live (and has
 * not taken the node down), and its counts are what that process last published, when the node's SVM-KEKs or
 * state last changed.
 *
 * <p>Immutable; thread-safe.
 *
 * @param uuid the node uuid
 * @param name the node name
 * @param up whether the node is up
 * @param svmKeks how many SVM-KEKs its volatile key table holds
 * @param veks how many VEKs its volatile key table holds
 * @param local whether this engine hosts the node (its key table is in this process)
 * @param endpoint the endpoint the hosting process announced; empty for a remote node no live process hosts
 */
public record NodeInfo(UUID uuid, String name, boolean up, int svmKeks, int veks, boolean local,
    Optional<String> endpoint) {

  /**
   * Checks the fields.
   *
   * @param uuid the node uuid
   * @param name the node name
   * @param up whether the node is up
   * @param svmKeks how many SVM-KEKs its volatile key table holds
   * @param veks how many VEKs its volatile key table holds
   * @param local whether this engine hosts the node
   * @param endpoint the hosting process's endpoint, or empty; not null
   */
  public NodeInfo {
    Objects.requireNonNull(endpoint, "endpoint");
  }
}
