package dev.kmsengine.kek;

import java.util.Objects;

/**
 * A failure to obtain the top-level KEK, with a typed {@link KekFailure reason} and a message that says which
 * request failed and why (HTTP status, the server's short description) and never contains a secret, token or
 * key byte.
 *
 * <p>Immutable; safe to pass between threads.
 */
public final class KekException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why the key could not be obtained; maps to the ONTAP error the engine reports. */
  private final KekFailure failure;

  /**
   * A failure with a non-secret message.
   *
   * @param failure why the key could not be obtained
   * @param message a message free of secrets
   */
  public KekException(KekFailure failure, String message) {
    this(failure, message, null);
  }

  /**
   * A failure with a non-secret message and a cause whose message is equally non-secret.
   *
   * @param failure why the key could not be obtained
   * @param message a message free of secrets
   * @param cause the underlying failure, or {@code null}
   */
  public KekException(KekFailure failure, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.failure = Objects.requireNonNull(failure, "failure");
  }

  /**
   * Why the key could not be obtained.
   *
   * @return the reason
   */
  public KekFailure failure() {
    return failure;
  }

  /** Why a top-level KEK could not be obtained. Each maps to one ONTAP error code in the engine. */
  public enum KekFailure {
    /** No connection could be made (DNS, refused, TLS handshake, proxy), or the server kept failing. */
    UNREACHABLE,
    /** Keystone rejected the application credential, or Barbican rejected the token (401/403/404 on auth). */
    AUTHENTICATION,
    /** The secret named by {@code key_id} does not exist, was deleted, or expired. */
    KEY_NOT_FOUND,
    /** The secret exists but is not exactly 256 bits of AES key (type, algorithm, size, or payload length). */
    WRONG_KEY_TYPE,
    /** An attempt ran past the configuration's {@code timeout}. */
    TIMEOUT
  }
}
