package dev.kmsengine.store;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;

/**
 * The cluster database failed: it is corrupt, locked by another process, from a newer format, or a full disk or an
 * I/O error stopped a commit (which then applied nothing). Messages name files, records and causes, never stored
 * values.
 *
 * <p>Immutable; safe to pass between threads.
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

  /**
   * This failure as the engine reports it to clients: {@link ErrorCode#DATABASE_FAILED} with this message (which
   * names the file and the cause) and this exception as its cause.
   *
   * @return the engine error
   */
  public KmsException toKmsException() {
    return new KmsException(ErrorCode.DATABASE_FAILED, "", getMessage(), this);
  }
}
