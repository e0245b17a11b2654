package dev.kmsengine.kek;

import java.util.Objects;

/**
 * A failure to obtain the top-level KEK, with a typed {@link KekFailure reason} and a message that says which
 * request failed and why (HTTP status, the server's short description) and never contains a secret, token or
 * key byte.
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
}
