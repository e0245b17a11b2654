package dev.kmsengine.keystore;

import java.util.Objects;

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
