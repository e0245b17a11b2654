package dev.kmsengine.transport;

import java.util.Objects;

/**
 * A request that got no HTTP answer from the server: the connection, the proxy or TLS failed, or the attempt ran
 * out of time. The message names the request (method and URL, never a header or body) and the reason.
 */
public final class TransportException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, which decides whether the request may be retried. */
  public enum Kind {
    /** The TCP connection failed or broke; retried for idempotent requests. */
    CONNECT,
    /** The attempt ran past its timeout; retried for idempotent requests while the budget lasts. */
    TIMEOUT,
    /** The TLS handshake or certificate check failed; never retried, since it would fail the same way. */
    TLS,
    /** The proxy refused the tunnel; never retried. */
    PROXY,
    /** The proxy rejected the proxy credentials (HTTP 407, or 401 from some proxies); never retried. */
    PROXY_AUTH,
    /** The server answered something that is not HTTP/1.x; retried like a broken connection. */
    PROTOCOL
  }

  /** What went wrong; decides whether the request may be retried. */
  private final Kind kind;

  /**
   * A failure of {@code kind} with a non-secret message.
   *
   * @param kind what went wrong
   * @param message a message free of secrets
   * @param cause the underlying failure, or {@code null}
   */
  public TransportException(Kind kind, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message == null"), cause);
    this.kind = Objects.requireNonNull(kind, "kind == null");
  }

  /**
   * What went wrong.
   *
   * @return the kind of failure
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Whether an idempotent request may be sent again after this failure.
   *
   * @return {@code true} for connection failures, timeouts and protocol errors
   */
  public boolean retryable() {
    return kind == Kind.CONNECT || kind == Kind.TIMEOUT || kind == Kind.PROTOCOL;
  }
}
