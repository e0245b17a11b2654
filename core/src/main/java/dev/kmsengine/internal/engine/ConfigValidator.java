package dev.kmsengine.internal.engine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Field checks shared by create and update. Each failure names its field as the error target, so a REST client
 * can point at it.
 */
final class ConfigValidator {
  /** {@code timeout} bounds: a zero or negative timeout would never let a request finish or never let it start. */
  static final int MIN_TIMEOUT = 1;
  /** Longer than any sane network attempt; a typo such as 6000 should be caught, not waited for. */
  static final int MAX_TIMEOUT = 600;
  /** Longest accepted URL or name, so that a pasted blob of text is refused rather than stored. */
  static final int MAX_TEXT = 2048;

  private ConfigValidator() {}

  /** Whether {@code url} is an absolute HTTPS URL with a host. */
  static boolean isHttpsUrl(String url) {
    if (url == null || url.isBlank() || url.length() > MAX_TEXT) {
      return false;
    }
    try {
      URI uri = new URI(url.trim());
      return uri.getScheme() != null && uri.getScheme().toLowerCase(Locale.ROOT).equals("https")
          && uri.getHost() != null && !uri.getHost().isEmpty() && uri.getRawUserInfo() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  static ProxyType proxyType(String value) {
    ProxyType t = ProxyType.fromWire(value);
    if (t == null) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_type",
          "The value for \"proxy_type\" must be \"http\" or \"https\".");
    }
    return t;
  }

  static int proxyPort(int port) {
    if (port < 0 || port > 65535) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_port",
          "The value for \"proxy_port\" must be in the range 0 to 65535.");
    }
    return port;
  }

  static String text(String value, String field) {
    if (value.length() > MAX_TEXT) {
      throw new KmsException(ErrorCode.INVALID_FIELD, field,
          "The value for \"" + field + "\" is longer than " + MAX_TEXT + " characters.");
    }
    return value;
  }

  static int timeout(int seconds) {
    if (seconds < MIN_TIMEOUT || seconds > MAX_TIMEOUT) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "timeout",
          "The value for \"timeout\" must be in the range " + MIN_TIMEOUT + " to " + MAX_TIMEOUT + " seconds.");
    }
    return seconds;
  }

  /** A proxy host needs a port, or the connector would not know where to connect. */
  static void proxyComplete(String host, int port) {
    if (!host.isEmpty() && port == 0) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_port",
          "A \"proxy_port\" is required when \"proxy_host\" is set.");
    }
  }

  /** Validates the transport fields of an update against the values they would be combined with. */
  static ConfigRecord apply(ConfigRecord c, BarbicanConfigUpdate u) {
    ProxyType type = u.proxyType() == null ? c.proxyType() : proxyType(u.proxyType());
    String host = u.proxyHost() == null ? c.proxyHost() : text(u.proxyHost().trim(), "proxy_host");
    int port = u.proxyPort() == null ? c.proxyPort() : proxyPort(u.proxyPort());
    proxyComplete(host, port);
    String user = u.proxyUsername() == null ? c.proxyUsername()
        : text(u.proxyUsername(), "proxy_username");
    int timeout = u.timeoutSeconds() == null ? c.timeout() : timeout(u.timeoutSeconds());
    return new ConfigRecord(c.uuid(), c.name(), c.svm(), c.keyId(), c.keystoneUrl(),
        u.applicationCredId() == null ? c.appCredId() : u.applicationCredId(),
        u.applicationCredSecret() == null ? c.appCredSecret() : u.applicationCredSecret(), type, host, port, user,
        u.proxyPassword() == null ? c.proxyPassword() : u.proxyPassword(),
        u.verify() == null ? c.verify() : u.verify(), u.verifyHost() == null ? c.verifyHost() : u.verifyHost(),
        timeout);
  }

  /** The record of a new configuration {@code name} on {@code svm}, its transport fields checked. */
  static ConfigRecord newRecord(BarbicanConfigRequest r, UUID svm, String name) {
    ProxyType proxyType = r.proxyType() == null ? ProxyType.HTTPS : proxyType(r.proxyType());
    String proxyHost = r.proxyHost() == null ? "" : text(r.proxyHost().trim(), "proxy_host");
    int proxyPort = r.proxyPort() == null ? 0 : proxyPort(r.proxyPort());
    proxyComplete(proxyHost, proxyPort);
    String proxyUser = r.proxyUsername() == null ? "" : text(r.proxyUsername(), "proxy_username");
    int timeout = r.timeoutSeconds() == null ? 10 : timeout(r.timeoutSeconds());
    ConfigRecord record = new ConfigRecord(UUID.randomUUID(), name, svm, r.keyId().trim(),
        r.keystoneUrl().trim(), r.applicationCredId(), r.applicationCredSecret(), proxyType, proxyHost, proxyPort,
        proxyUser, r.proxyPassword() == null ? Secret.empty() : r.proxyPassword(),
        r.verify() == null || r.verify(), r.verifyHost() == null || r.verifyHost(), timeout);
    return record;
  }

  /**
   * Checks a create request in the reference's order (the cluster, the SVM, the name, the URLs, the credentials,
   * then the transport fields) and returns the new configuration's record; the name is checked for a duplicate
   * now for a prompt error, and again by the job under the SVM's lock against a racing create.
   */
  static ConfigRecord checkCreate(EngineState state, BarbicanConfigRequest r) {
    Objects.requireNonNull(r, "request");
    if (!state.spec.licenses().contains(ClusterSpec.MT_EK_MGMT)) {
      throw new KmsException(ErrorCode.NOT_LICENSED);
    }
    if (ClusterVersion.parse(state.spec.version()).compareTo(ClusterVersion.BARBICAN_MINIMUM) < 0) {
      throw new KmsException(ErrorCode.CLUSTER_VERSION_TOO_LOW);
    }
    if (state.spec.metroCluster()) {
      throw new KmsException(ErrorCode.METROCLUSTER_NOT_SUPPORTED);
    }
    SvmRecord svm = state.resolveSvm(r.svmName(), r.svmUuid());
    if (svm.admin()) {
      throw new KmsException(ErrorCode.ADMIN_SVM_NOT_SUPPORTED, "svm.name");
    }
    String name = r.configurationName();
    if (name == null || name.isBlank()) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "configuration.name", "\"configuration.name\" is required.");
    }
    text(name, "configuration.name");
    if (!isHttpsUrl(r.keyId())) {
      throw new KmsException(ErrorCode.INVALID_KEY_ID, "key_id");
    }
    if (!isHttpsUrl(r.keystoneUrl())) {
      throw new KmsException(ErrorCode.INVALID_KEYSTONE_URL, "keystone_url");
    }
    if (r.applicationCredId() == null || r.applicationCredId().isBlank()) {
      throw new KmsException(ErrorCode.CREATE_EMPTY_CRED_ID, "application_cred_id");
    }
    text(r.applicationCredId(), "application_cred_id");
    if (r.applicationCredSecret() == null || r.applicationCredSecret().isBlank()) {
      throw new KmsException(ErrorCode.CREATE_INVALID_CRED_SECRET, "application_cred_secret");
    }
    ConfigRecord record = newRecord(r, svm.uuid(), name);
    state.requireUniqueName(svm.uuid(), name);
    return record;
  }

  /** Checks an update against the configuration it changes; the job checks it again against the stored one. */
  static void checkUpdate(ConfigRecord current, BarbicanConfigUpdate u) {
    Objects.requireNonNull(u, "update");
    if ((u.applicationCredId() == null) != (u.applicationCredSecret() == null)) {
      throw new KmsException(ErrorCode.CREDENTIALS_INCOMPLETE,
          u.applicationCredId() == null ? "application_cred_id" : "application_cred_secret", "");
    }
    if (u.applicationCredId() != null && u.applicationCredId().isBlank()) {
      throw new KmsException(ErrorCode.UPDATE_INVALID_CRED_ID, "application_cred_id");
    }
    if (u.applicationCredSecret() != null && u.applicationCredSecret().isBlank()) {
      throw new KmsException(ErrorCode.UPDATE_INVALID_CRED_SECRET, "application_cred_secret");
    }
    apply(current, u);
  }
}
