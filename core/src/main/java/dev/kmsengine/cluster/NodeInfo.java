package dev.kmsengine.cluster;

import java.util.UUID;

/**
 * A cluster node as {@code /api/cluster/nodes} shows it.
 *
 * <p>Immutable; thread-safe.
 *
 * @param uuid the node uuid
 * @param name the node name
 * @param up whether the node is up
 * @param svmKeks how many SVM-KEKs its volatile key table holds
 * @param veks how many VEKs its volatile key table holds
 */
public record NodeInfo(UUID uuid, String name, boolean up, int svmKeks, int veks) {}
