package dev.kmsengine.keystore;

import dev.kmsengine.error.ErrorCode;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One entry of {@code /api/security/key-stores}: a key-manager configuration of an SVM and whether it is enabled.
 * The engine only has Barbican configurations, so {@code type} is {@code barbican} and {@code location}
 * {@code external}.
 *
 * <p>Immutable, as are its nested reports; thread-safe.
 *
 * @param uuid the keystore uuid, equal to {@code configuration.uuid}
 * @param configurationName the configuration name
 * @param svmUuid the owning SVM
 * @param svmName the owning SVM's name
 * @param enabled whether this configuration is the enabled one
 * @param state the keystore state ({@link KeystoreState#INACTIVE} for configurations that are not enabled)
 */
public record Keystore(UUID uuid, String configurationName, UUID svmUuid, String svmName, boolean enabled,
    KeystoreState state) {

  /**
   * Always {@code "barbican"}.
   *
   * @return {@code "barbican"}
   */
  public String type() {
    return "barbican";
  }

  /**
   * Always {@code "external"}.
   *
   * @return {@code "external"}
   */
  public String location() {
    return "external";
  }

  /**
   * Always {@code "svm"}.
   *
   * @return {@code "svm"}
   */
  public String scope() {
    return "svm";
  }

  /** The state of an SVM's keystore, as {@code /api/security/key-stores} reports it for the enabled configuration. */
  public enum KeystoreState {
    /** Serving new and existing keys. */
    ACTIVE,
    /** Being enabled for the first time; all key operations wait. */
    INITIALIZING,
    /** The enabled configuration is being switched; persisted, so an interrupted switch stays visible. */
    SWITCHING,
    /** An SVM-KEK rekey is running; new keys cannot be created. */
    SVM_KEK_REKEY,
    /** The top-level key cannot be obtained or used; no key can be served until a restore succeeds. */
    BLOCKED,
    /** Being disabled. */
    DISABLING,
    /** Not the enabled configuration. */
    INACTIVE;

    /**
     * The REST value ({@code "svm_kek_rekey"}, ...).
     *
     * @return the value of the keystore's {@code state} field
     */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The advanced property {@code state}: whether every node holds the SVM-KEK in its key table.
   *
   * @param clusterState true only when every node holds the current SVM-KEK
   * @param error empty when available everywhere, otherwise the code of the problem
   * @param message empty when available everywhere, otherwise naming each node that lacks it and why
   * @param nodes per-node answers, in node order
   */
  public record KekAvailability(boolean clusterState, Optional<ErrorCode> error, String message,
      List<NodeStatus> nodes) {
    /**
     * Copies the list.
     *
     * @param clusterState true only when every node holds the current SVM-KEK
     * @param error empty when available everywhere, otherwise the code of the problem
     * @param message empty when available everywhere, otherwise naming each node that lacks it and why
     * @param nodes per-node answers, in node order
     */
    public KekAvailability {
      Objects.requireNonNull(error, "error");
      nodes = List.copyOf(nodes);
    }
  }

  /**
   * The advanced property {@code barbican_reachability}: whether every node reaches Barbican, and if not, the first
   * failing node's reason. {@code nodes} has every node's own answer, which ONTAP does not show but a test does.
   *
   * @param reachable true if every up node reaches Barbican
   * @param error empty when reachable, otherwise {@link ErrorCode#UNREACHABLE}
   * @param message empty when reachable, otherwise naming the first failing node and its reason
   * @param nodes per-node answers, in node order
   */
  public record Reachability(boolean reachable, Optional<ErrorCode> error, String message, List<NodeStatus> nodes) {
    /**
     * Copies the list.
     *
     * @param reachable true if every up node reaches Barbican
     * @param error empty when reachable, otherwise {@link ErrorCode#UNREACHABLE}
     * @param message empty when reachable, otherwise naming the first failing node and its reason
     * @param nodes per-node answers, in node order
     */
    public Reachability {
      Objects.requireNonNull(error, "error");
      nodes = List.copyOf(nodes);
    }
  }

  /**
   * One node's answer in a per-node report (reachability, SVM-KEK availability, restore).
   *
   * @param node the node name
   * @param error empty on success, otherwise the code of the failure
   * @param message empty on success, otherwise why (never a secret)
   */
  public record NodeStatus(String node, Optional<ErrorCode> error, String message) {
    /**
     * Checks nullness.
     *
     * @param node the node name
     * @param error empty on success, otherwise the code of the failure
     * @param message empty on success, otherwise why (never a secret)
     */
    public NodeStatus {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(message, "message");
    }

    /**
     * A success.
     *
     * @param node the node's name
     * @return a status with no error and an empty message
     */
    public static NodeStatus success(String node) {
      return new NodeStatus(node, Optional.empty(), "");
    }

    /**
     * A failure.
     *
     * @param node the node's name
     * @param code the code of the failure
     * @param message why, never a secret
     * @return a failed status
     */
    public static NodeStatus failure(String node, ErrorCode code, String message) {
      return new NodeStatus(node, Optional.of(code), message);
    }

    /**
     * Whether the node succeeded.
     *
     * @return {@code true} if there is no error
     */
    public boolean ok() {
      return error.isEmpty();
    }
  }
}
