package dev.kmsengine.keystore;

import java.util.Objects;

/**
 * One node's answer in a per-node report (reachability, SVM-KEK availability, restore).
 *
 * @param node the node name
 * @param ok whether the node succeeded
 * @param code {@code "0"} on success, otherwise the ONTAP code of the failure
 * @param message empty on success, otherwise why (never a secret)
 */
public record NodeStatus(String node, boolean ok, String code, String message) {
  /**
   * Checks nullness.
   *
   * @param node the node name
   * @param ok whether the node succeeded
   * @param code {@code "0"} on success, otherwise the ONTAP code of the failure
   * @param message empty on success, otherwise why (never a secret)
   */
  public NodeStatus {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  /**
   * A success.
   *
   * @param node the node's name
   * @return a status with code {@code "0"} and an empty message
   */
  public static NodeStatus success(String node) {
    return new NodeStatus(node, true, "0", "");
  }

  /**
   * A failure.
   *
   * @param node the node's name
   * @param code the ONTAP code of the failure
   * @param message why, never a secret
   * @return a status with the code's wire form
   */
  public static NodeStatus failure(String node, dev.kmsengine.error.ErrorCode code, String message) {
    return new NodeStatus(node, false, code.wireCode(), message);
  }
}
