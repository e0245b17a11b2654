package dev.kmsengine.transport;

import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one Barbican configuration reaches its servers: certificate checks, extra trusted CAs, proxy and the bound
 * on each attempt. Immutable; two equal settings give interchangeable {@link HttpsClient}s, which is why the
 * connector uses it as (part of) a cache key. The proxy password is a {@link Secret}, so {@code toString} is safe
 * to log.
 *
 * @param verify whether Keystone's and Barbican's certificate chains are checked at all; an {@code https} proxy's
 *     always is
 * @param verifyHost whether Keystone's and Barbican's host names are checked against their certificates (only when
 *     {@code verify}); an {@code https} proxy's always is
 * @param extraTrustedCaPems PEM certificates trusted in addition to the JDK's default CAs
 * @param proxyType how the proxy is spoken to, when there is one: {@code http} sends the proxy credential in
 *     cleartext, {@code https} only over the verified TLS connection to the proxy
 * @param proxyHost the proxy host, {@code ""} for none
 * @param proxyPort the proxy port
 * @param proxyUsername the proxy user, {@code ""} for no proxy authentication
 * @param proxyPassword the proxy password
 * @param attemptTimeout the bound on each attempt (connect, TLS, request and response)
 */
public record TransportSettings(
    boolean verify,
    boolean verifyHost,
    List<String> extraTrustedCaPems,
    ProxyType proxyType,
    String proxyHost,
    int proxyPort,
    String proxyUsername,
    Secret proxyPassword,
    Duration attemptTimeout) {

  /**
   * Copies the CA list and checks the values.
   *
   * @param verify whether Keystone's and Barbican's certificate chains are checked at all
   * @param verifyHost whether Keystone's and Barbican's host names are checked (only when {@code verify})
   * @param extraTrustedCaPems PEM certificates trusted in addition to the JDK's default CAs
   * @param proxyType how the proxy is spoken to, when there is one
   * @param proxyHost the proxy host, {@code ""} for none
   * @param proxyPort the proxy port
   * @param proxyUsername the proxy user, {@code ""} for no proxy authentication
   * @param proxyPassword the proxy password
   * @param attemptTimeout the bound on each attempt (connect, TLS, request and response)
   * @throws IllegalArgumentException if {@code attemptTimeout} is not positive, or a proxy host is set with a port
   *     outside 1..65535
   */
  public TransportSettings {
    extraTrustedCaPems = List.copyOf(extraTrustedCaPems);
    Objects.requireNonNull(proxyType, "proxyType == null");
    Objects.requireNonNull(proxyHost, "proxyHost == null");
    Objects.requireNonNull(proxyUsername, "proxyUsername == null");
    Objects.requireNonNull(proxyPassword, "proxyPassword == null");
    Objects.requireNonNull(attemptTimeout, "attemptTimeout == null");
    if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("attemptTimeout <= 0");
    }
    if (!proxyHost.isEmpty() && (proxyPort < 1 || proxyPort > 65535)) {
      throw new IllegalArgumentException("proxyPort out of range: " + proxyPort);
    }
  }

  /**
   * The transport part of a connection, plus CAs the embedding application trusts for every configuration.
   *
   * @param c the connection whose {@code verify}, {@code verify_host}, proxy and timeout settings apply
   * @param extraTrustedCaPems CA certificates in PEM trusted in addition to the JDK's
   * @return the settings; a timeout below one second becomes one second
   */
  public static TransportSettings of(BarbicanConnection c, List<String> extraTrustedCaPems) {
    return new TransportSettings(c.verify(), c.verifyHost(), extraTrustedCaPems, c.proxyType(), c.proxyHost().trim(),
        c.proxyPort(), c.proxyUsername(), c.proxyPassword(), Duration.ofSeconds(Math.max(1, c.timeoutSeconds())));
  }

  /**
   * Whether requests go through a proxy.
   *
   * @return {@code true} if a proxy host is set
   */
  public boolean usesProxy() {
    return !proxyHost.isEmpty();
  }

  @Override
  public String toString() {
    return "TransportSettings[verify=" + verify + ", verifyHost=" + verifyHost + ", extraCAs="
        + extraTrustedCaPems.size() + ", proxy=" + (usesProxy() ? proxyType.wireName() + "://" + proxyHost + ":"
        + proxyPort + (proxyUsername.isEmpty() ? "" : " as " + proxyUsername + " " + proxyPassword) : "none")
        + ", timeout=" + attemptTimeout.toSeconds() + "s]";
  }
}
