package dev.kmsengine.transport;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTPS request. Headers and body may carry secrets (a token, a credential), so {@code toString} shows only
 * the method and URL.
 *
 * @param method the HTTP method
 * @param uri the {@code https} URL
 * @param headers request headers, in order
 * @param body the body, empty for none
 * @param idempotent whether sending it twice is harmless, which allows retries
 */
public record HttpRequest(String method, URI uri, List<Map.Entry<String, String>> headers, byte[] body,
    boolean idempotent) {

  /**
   * Copies the headers and checks the URL is HTTPS.
   *
   * @param method the HTTP method
   * @param uri the {@code https} URL
   * @param headers request headers, in order
   * @param body the body, empty for none
   * @param idempotent whether sending it twice is harmless, which allows retries
   * @throws IllegalArgumentException if {@code uri} is not an {@code https} URL with a host
   */
  public HttpRequest {
    Objects.requireNonNull(method, "method == null");
    Objects.requireNonNull(uri, "uri == null");
    headers = List.copyOf(headers);
    Objects.requireNonNull(body, "body == null");
    if (!"https".equals(uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("only https URLs with a host are allowed: " + redacted(uri));
    }
  }

  /**
   * A GET, which is idempotent.
   *
   * @param uri the {@code https} URL
   * @param headers request headers, in order
   * @return a retryable GET with an empty body
   */
  public static HttpRequest get(URI uri, List<Map.Entry<String, String>> headers) {
    return new HttpRequest("GET", uri, headers, new byte[0], true);
  }

  /**
   * The port, 443 when the URL has none.
   *
   * @return the TCP port to connect to
   */
  public int port() {
    return uri.getPort() == -1 ? 443 : uri.getPort();
  }

  /**
   * Method and URL without user info or query, for messages.
   *
   * @return e.g. {@code GET https://host:9311/v1/secrets/ID}, safe for logs and messages
   */
  public String describe() {
    return method + " " + redacted(uri);
  }

  /**
   * A URL without user info or query string, which are the parts that could hold a secret.
   *
   * @param uri any URL
   * @return the URL's scheme, host, port and path
   */
  public static String redacted(URI uri) {
    StringBuilder b = new StringBuilder();
    if (uri.getScheme() != null) {
      b.append(uri.getScheme()).append("://");
    }
    if (uri.getHost() != null) {
      b.append(uri.getHost());
    }
    if (uri.getPort() != -1) {
      b.append(':').append(uri.getPort());
    }
    if (uri.getRawPath() != null) {
      b.append(uri.getRawPath());
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return "HttpRequest[" + describe() + "]";
  }
}
