package dev.kmsengine.kek;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import java.util.Objects;

/**
 * The service-provider interface through which the engine obtains the top-level KEK of a Barbican configuration,
 * as seen from one node.
 *
 * <p>Each node of a cluster has its own network path to Barbican, so every call names the node; an
 * implementation (or a test double) may answer differently per node. The engine passes the provider explicitly
 * when it is built: there is no global registry and no class-path discovery, because a class slipped onto the
 * class path must not be able to receive keys.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #fetchKey} returns exactly 256 bits of AES key as new {@link KeyMaterial} that the caller owns and
 *       destroys; any other answer is a {@link KekException} with {@link KekFailure#WRONG_KEY_TYPE}.
 *   <li>{@link #checkReachability} proves the node can authenticate and see the key's metadata without reading
 *       the key itself.
 *   <li>Implementations are thread-safe: the engine calls them from several nodes at once.
 *   <li>Exception messages never contain secrets, tokens or key bytes.
 * </ul>
 */
public interface TopLevelKeyProvider {
  /**
   * Fetches the top-level KEK of {@code connection} through the network path of {@code node}.
   *
   * @param node the name of the cluster node asking
   * @param connection where and how to fetch the key
   * @return the 256-bit key, owned by the caller
   * @throws KekException if the key cannot be obtained, with the reason
   */
  KeyMaterial fetchKey(String node, BarbicanConnection connection) throws KekException;

  /**
   * Checks that {@code node} can reach Keystone and Barbican and see the key, without fetching key bytes.
   *
   * @param node the node that checks
   * @param connection the configuration's connection settings
   * @throws KekException if it cannot, with the reason
   */
  void checkReachability(String node, BarbicanConnection connection) throws KekException;

  /**
   * Forgets anything cached for a configuration (tokens, keys). The engine calls it when a configuration's
   * credentials or transport settings change, or the configuration is deleted.
   *
   * @param configurationUuid the configuration whose cached state is dropped
   */
  default void invalidate(java.util.UUID configurationUuid) {}

  /**
   * Everything a connector needs to fetch the top-level KEK of one Barbican configuration: where the key and
   * Keystone are, the application credential, and the transport settings. It carries secrets as {@link Secret}, so
   * its {@code toString} is safe to log.
   *
   * @param configurationUuid the keystore configuration this connection belongs to
   * @param keyId the Barbican secret URL ({@code key_id}), HTTPS
   * @param keystoneUrl the Keystone URL ({@code keystone_url}), HTTPS, with or without {@code /auth/tokens}
   * @param applicationCredId the Keystone application credential id
   * @param applicationCredSecret the application credential secret
   * @param proxyType the proxy scheme ({@code https} by default, as ONTAP reports)
   * @param proxyHost proxy host, {@code ""} for no proxy
   * @param proxyPort proxy port, 0 when unset
   * @param proxyUsername proxy user, {@code ""} for none
   * @param proxyPassword proxy password
   * @param verify whether the server certificate chain is verified
   * @param verifyHost whether the server host name is verified against the certificate
   * @param timeoutSeconds the bound on each attempt, in seconds
   */
  public record BarbicanConnection(
      java.util.UUID configurationUuid,
      String keyId,
      String keystoneUrl,
      String applicationCredId,
      Secret applicationCredSecret,
      ProxyType proxyType,
      String proxyHost,
      int proxyPort,
      String proxyUsername,
      Secret proxyPassword,
      boolean verify,
      boolean verifyHost,
      int timeoutSeconds) {

    /**
     * Checks nullness only; the engine validates values before it builds a connection.
     *
     * @param configurationUuid the keystore configuration this connection belongs to
     * @param keyId the Barbican secret URL ({@code key_id}), HTTPS
     * @param keystoneUrl the Keystone URL ({@code keystone_url}), HTTPS, with or without {@code /auth/tokens}
     * @param applicationCredId the Keystone application credential id
     * @param applicationCredSecret the application credential secret
     * @param proxyType the proxy scheme ({@code https} by default, as ONTAP reports)
     * @param proxyHost proxy host, {@code ""} for no proxy
     * @param proxyPort proxy port, 0 when unset
     * @param proxyUsername proxy user, {@code ""} for none
     * @param proxyPassword proxy password
     * @param verify whether the server certificate chain is verified
     * @param verifyHost whether the server host name is verified against the certificate
     * @param timeoutSeconds the bound on each attempt, in seconds
     */
    public BarbicanConnection {
      Objects.requireNonNull(configurationUuid, "configurationUuid");
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(keystoneUrl, "keystoneUrl");
      Objects.requireNonNull(applicationCredId, "applicationCredId");
      Objects.requireNonNull(applicationCredSecret, "applicationCredSecret");
      Objects.requireNonNull(proxyType, "proxyType");
      Objects.requireNonNull(proxyHost, "proxyHost");
      Objects.requireNonNull(proxyUsername, "proxyUsername");
      Objects.requireNonNull(proxyPassword, "proxyPassword");
    }

    /**
     * Whether a proxy is configured ({@code proxy_host} not empty).
     *
     * @return {@code true} if requests go through a proxy
     */
    public boolean usesProxy() {
      return !proxyHost.isEmpty();
    }
  }
}
