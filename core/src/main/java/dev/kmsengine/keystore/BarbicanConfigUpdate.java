package dev.kmsengine.keystore;

/**
 * The body of {@code PATCH /api/security/barbican-kms/{uuid}}: only the patchable fields, each {@code null} when
 * not sent. Credentials change as a pair (65539841 otherwise).
 *
 * <p>Immutable once built; thread-safe. Its builder is not.
 *
 * @param applicationCredId new {@code application_cred_id}
 * @param applicationCredSecret new {@code application_cred_secret}
 * @param proxyType new {@code proxy_type} as sent
 * @param proxyHost new {@code proxy_host}
 * @param proxyPort new {@code proxy_port}
 * @param proxyUsername new {@code proxy_username}
 * @param proxyPassword new {@code proxy_password}
 * @param verify new {@code verify}
 * @param verifyHost new {@code verify_host}
 * @param timeoutSeconds new {@code timeout}
 */
public record BarbicanConfigUpdate(
    String applicationCredId,
    Secret applicationCredSecret,
    String proxyType,
    String proxyHost,
    Integer proxyPort,
    String proxyUsername,
    Secret proxyPassword,
    Boolean verify,
    Boolean verifyHost,
    Integer timeoutSeconds) {

  /**
   * An update that changes only the application credential.
   *
   * @param id the new application credential id
   * @param secret the new application credential secret
   * @return the update
   */
  public static BarbicanConfigUpdate credentials(String id, Secret secret) {
    return new BarbicanConfigUpdate(id, secret, null, null, null, null, null, null, null, null);
  }

  /**
   * Whether the update touches the credential.
   *
   * @return {@code true} if the credential id or secret is given
   */
  public boolean changesCredentials() {
    return applicationCredId != null || applicationCredSecret != null;
  }

  /**
   * Whether the update changes how the connector reaches Barbican.
   *
   * @return {@code true} if a proxy, verification or timeout field is given
   */
  public boolean changesTransport() {
    return proxyType != null || proxyHost != null || proxyPort != null || proxyUsername != null
        || proxyPassword != null || verify != null || verifyHost != null || timeoutSeconds != null;
  }
}
