package dev.kmsengine.rest;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where another process reaches the REST API of the process that hosts a node, as that process announces it in the
 * cluster's coordination service: its base URL and the SHA-256 fingerprint of its TLS certificate, written
 * {@code https://HOST:PORT sha256=HEX} (64 lower-case hex digits, of the DER encoding of the server's own
 * certificate, not its CA's). A process that forwards a request to a node it does not host connects to exactly that
 * URL and accepts exactly that certificate, whoever issued it, so each process may have its own self-signed one.
 *
 * <p>Immutable; thread-safe.
 *
 * @param url the base URL, {@code https://HOST:PORT}
 * @param sha256 the certificate's SHA-256 fingerprint, 64 lower-case hex digits
 */
public record NodeEndpoint(URI url, String sha256) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final String PIN = " sha256=";

  /**
   * Checks both parts.
   *
   * @param url the base URL, {@code https://HOST:PORT}
   * @param sha256 the certificate's SHA-256 fingerprint, 64 lower-case hex digits
   * @throws IllegalArgumentException if {@code url} is not {@code https://HOST:PORT} or {@code sha256} is not 64
   *     lower-case hex digits
   */
  public NodeEndpoint {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(sha256, "sha256");
    if (!"https".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 1
        || url.getRawUserInfo() != null || !(url.getRawPath() == null || url.getRawPath().isEmpty())
        || url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException("not a base URL https://HOST:PORT: " + url);
    }
    if (!HEX64.matcher(sha256).matches()) {
      throw new IllegalArgumentException("not a SHA-256 fingerprint (64 lower-case hex digits)");
    }
  }

  /**
   * The endpoint of a server at {@code url} presenting {@code certificate}.
   *
   * @param url the server's base URL, {@code https://HOST:PORT}
   * @param certificate the server's own certificate (the first of its chain)
   * @return the endpoint
   * @throws IllegalArgumentException if {@code url} is not a base URL or the certificate cannot be encoded
   */
  public static NodeEndpoint of(URI url, X509Certificate certificate) {
    return new NodeEndpoint(url, fingerprint(certificate));
  }

  /**
   * Reads an endpoint written by {@link #toString()}.
   *
   * @param announced what a process announced for its nodes
   * @return the endpoint, or empty if {@code announced} is not one (e.g. {@code pid@host}, which an engine without
   *     a REST server announces)
   */
  public static Optional<NodeEndpoint> parse(String announced) {
    int at = announced.indexOf(PIN);
    if (at < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(new NodeEndpoint(new URI(announced.substring(0, at)),
          announced.substring(at + PIN.length())));
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The SHA-256 fingerprint of {@code certificate}'s DER encoding, in lower-case hex. */
  static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()))
          .toLowerCase(Locale.ROOT);
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate cannot be encoded", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * The form processes announce and {@link #parse} reads.
   *
   * @return {@code https://HOST:PORT sha256=HEX}
   */
  @Override
  public String toString() {
    return url + PIN + sha256;
  }
}
