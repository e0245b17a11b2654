package dev.kmsengine.store;

/**
 * The cluster database failed: it is corrupt, locked by another process, from a newer format, or an I/O error
 * stopped a commit (which then applied nothing). Messages name files and causes, never stored values.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * A failure with a message.
   *
   * @param message what failed, free of secrets
   */
  public StoreException(String message) {
    super(message);
  }

  /**
   * A failure with a message and cause.
   *
   * @param message what failed, free of secrets
   * @param cause the underlying failure
   */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
