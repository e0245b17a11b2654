package dev.kmsengine.keystore;

import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.keystore.Keystore.Reachability;
import java.util.UUID;

/**
 * A Barbican KMS configuration as {@code GET /api/security/barbican-kms} shows it: every field of the reference's
 * {@code barbican} record except the two that are never returned ({@code application_cred_secret},
 * {@code proxy_password}) and the advanced properties, which are computed on request ({@link Reachability},
 * {@link KekAvailability}).
 *
 * <p>{@code uuid} is the keystore's {@code configuration.uuid}; {@code scope} is always {@code "svm"}.
 *
 * <p>Immutable; thread-safe.
 *
 * @param uuid the configuration uuid (also {@code configuration.uuid})
 * @param name {@code configuration.name}
 * @param svmUuid {@code svm.uuid}
 * @param svmName {@code svm.name}
 * @param keyId {@code key_id}, as given
 * @param keystoneUrl {@code keystone_url}, as given
 * @param applicationCredId {@code application_cred_id}
 * @param proxyType {@code proxy_type}
 * @param proxyHost {@code proxy_host}
 * @param proxyPort {@code proxy_port}
 * @param proxyUsername {@code proxy_username}
 * @param verify {@code verify}
 * @param verifyHost {@code verify_host}
 * @param timeoutSeconds {@code timeout}
 * @param enabled {@code enabled}
 * @param state the keystore state of this configuration ({@link KeystoreState#INACTIVE} unless enabled or the
 *     target of a switch)
 */
public record BarbicanConfig(
    UUID uuid,
    String name,
    UUID svmUuid,
    String svmName,
    String keyId,
    String keystoneUrl,
    String applicationCredId,
    ProxyType proxyType,
    String proxyHost,
    int proxyPort,
    String proxyUsername,
    boolean verify,
    boolean verifyHost,
    int timeoutSeconds,
    boolean enabled,
    KeystoreState state) {

  /**
   * Always {@code "svm"}: Barbican configurations belong to data SVMs.
   *
   * @return {@code "svm"}
   */
  public String scope() {
    return "svm";
  }

  /** How the connection to Keystone and Barbican reaches them through a proxy ({@code proxy_type}). */
  public enum ProxyType {
    /** A proxy spoken to in plain HTTP, tunnelling TLS with CONNECT. */
    HTTP,
    /** A proxy spoken to over TLS, tunnelling TLS with CONNECT. */
    HTTPS;

    /**
     * The REST value, {@code "http"} or {@code "https"}.
     *
     * @return {@code "http"} or {@code "https"}
     */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Parses the REST value; {@code null} for anything else.
     *
     * @param value the REST value, case-sensitive
     * @return the type, or {@code null} if {@code value} is not one
     */
    public static ProxyType fromWire(String value) {
      for (ProxyType t : values()) {
        if (t.wireName().equals(value)) {
          return t;
        }
      }
      return null;
    }
  }
}
