package dev.kmsengine.keystore;

import java.util.UUID;

/**
 * The body of {@code POST /api/security/barbican-kms}. Any field may be absent ({@code null}); the engine
 * validates in the reference's terms and reports the first problem with its ONTAP code.
 *
 * <p>Build with {@link #builder()}; absent optional fields take the reference's defaults ({@code timeout} 10,
 * {@code verify} and {@code verify_host} true, {@code proxy_type} https, no proxy).
 *
 * @param svmName {@code svm.name}
 * @param svmUuid {@code svm.uuid}
 * @param configurationName {@code configuration.name}
 * @param keyId {@code key_id}
 * @param keystoneUrl {@code keystone_url}
 * @param applicationCredId {@code application_cred_id}
 * @param applicationCredSecret {@code application_cred_secret}
 * @param proxyType {@code proxy_type} as sent ({@code "http"} or {@code "https"})
 * @param proxyHost {@code proxy_host}
 * @param proxyPort {@code proxy_port}
 * @param proxyUsername {@code proxy_username}
 * @param proxyPassword {@code proxy_password}
 * @param verify {@code verify}
 * @param verifyHost {@code verify_host}
 * @param timeoutSeconds {@code timeout}
 */
public record BarbicanConfigRequest(
    String svmName,
    UUID svmUuid,
    String configurationName,
    String keyId,
    String keystoneUrl,
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
   * A builder with every field absent.
   *
   * @return a builder; {@link Builder#build()} makes the request
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the fields of a create request. Not thread-safe. */
  public static final class Builder {
    private String svmName;
    private UUID svmUuid;
    private String configurationName;
    private String keyId;
    private String keystoneUrl;
    private String applicationCredId;
    private Secret applicationCredSecret;
    private String proxyType;
    private String proxyHost;
    private Integer proxyPort;
    private String proxyUsername;
    private Secret proxyPassword;
    private Boolean verify;
    private Boolean verifyHost;
    private Integer timeoutSeconds;

    private Builder() {}

    /**
     * {@code svm.name}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder svmName(String v) { svmName = v; return this; }
    /**
     * {@code svm.uuid}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder svmUuid(UUID v) { svmUuid = v; return this; }
    /**
     * {@code configuration.name}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder configurationName(String v) { configurationName = v; return this; }
    /**
     * {@code key_id}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder keyId(String v) { keyId = v; return this; }
    /**
     * {@code keystone_url}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder keystoneUrl(String v) { keystoneUrl = v; return this; }
    /**
     * {@code application_cred_id}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder applicationCredId(String v) { applicationCredId = v; return this; }
    /**
     * {@code application_cred_secret}.
     *
     * @param v the secret, or {@code null} for absent
     * @return this builder
     */
    public Builder applicationCredSecret(Secret v) { applicationCredSecret = v; return this; }
    /**
     * {@code proxy_type}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder proxyType(String v) { proxyType = v; return this; }
    /**
     * {@code proxy_host}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder proxyHost(String v) { proxyHost = v; return this; }
    /**
     * {@code proxy_port}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder proxyPort(Integer v) { proxyPort = v; return this; }
    /**
     * {@code proxy_username}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder proxyUsername(String v) { proxyUsername = v; return this; }
    /**
     * {@code proxy_password}.
     *
     * @param v the secret, or {@code null} for absent
     * @return this builder
     */
    public Builder proxyPassword(Secret v) { proxyPassword = v; return this; }
    /**
     * {@code verify}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder verify(Boolean v) { verify = v; return this; }
    /**
     * {@code verify_host}.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder verifyHost(Boolean v) { verifyHost = v; return this; }
    /**
     * {@code timeout} in seconds.
     *
     * @param v the value, or {@code null} for absent
     * @return this builder
     */
    public Builder timeoutSeconds(Integer v) { timeoutSeconds = v; return this; }

    /**
     * The request.
     *
     * @return the request, not yet validated (the engine validates it)
     */
    public BarbicanConfigRequest build() {
      return new BarbicanConfigRequest(svmName, svmUuid, configurationName, keyId, keystoneUrl, applicationCredId,
          applicationCredSecret, proxyType, proxyHost, proxyPort, proxyUsername, proxyPassword, verify, verifyHost,
          timeoutSeconds);
    }
  }
}
