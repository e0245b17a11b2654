package dev.kmsengine.error;

import java.util.Objects;

/**
 * The one error type of the engine: an ONTAP {@link ErrorCode}, the field or parameter it concerns
 * ({@link #target()}, possibly empty), and a message that is safe to show to anyone.
 *
 * <h2>Security</h2>
 * Messages and targets never contain key bytes, tokens, application credential secrets or proxy passwords. The
 * optional detail is meant for non-secret context such as a node name or an HTTP status; callers must not put
 * secrets there, and causes are only attached when their messages are equally safe.
 *
 * <p>Immutable; safe to pass between threads.
 */
public final class KmsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The ONTAP error code. */
  private final ErrorCode errorCode;
  /** The field or parameter the error concerns, or {@code ""}. */
  private final String target;
  /** Non-secret context appended to the message, or {@code ""}. */
  private final String detail;

  /**
   * An error with the reference's message and no target.
   *
   * @param errorCode the ONTAP code
   */
  public KmsException(ErrorCode errorCode) {
    this(errorCode, "", "", null);
  }

  /**
   * An error with the reference's message about one field or parameter.
   *
   * @param errorCode the ONTAP code
   * @param target the field or parameter the error concerns
   */
  public KmsException(ErrorCode errorCode, String target) {
    this(errorCode, target, "", null);
  }

  /**
   * An error with a target and a non-secret detail appended to the reference's message.
   *
   * @param errorCode the ONTAP code
   * @param target the field or parameter the error concerns, or {@code ""}
   * @param detail extra non-secret context, or {@code ""}
   */
  public KmsException(ErrorCode errorCode, String target, String detail) {
    this(errorCode, target, detail, null);
  }

  /**
   * As {@link #KmsException(ErrorCode, String, String)}, with a cause whose message is equally non-secret.
   *
   * @param errorCode the ONTAP code
   * @param target the field or parameter the error concerns, or {@code ""}
   * @param detail extra non-secret context, or {@code ""}
   * @param cause the underlying failure, or {@code null}; its message must not hold a secret
   */
  public KmsException(ErrorCode errorCode, String target, String detail, Throwable cause) {
    super(compose(errorCode, detail), cause);
    this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    this.target = Objects.requireNonNull(target, "target");
    this.detail = Objects.requireNonNull(detail, "detail");
  }

  private static String compose(ErrorCode errorCode, String detail) {
    return detail == null || detail.isEmpty() ? errorCode.message() : errorCode.message() + " " + detail;
  }

  /**
   * The error code.
   *
   * @return the error code
   */
  public ErrorCode errorCode() {
    return errorCode;
  }

  /**
   * The ONTAP numeric code.
   *
   * @return the numeric code ONTAP reports, e.g. 65539832
   */
  public int code() {
    return errorCode.code();
  }

  /**
   * The field or parameter that caused the error, or {@code ""}.
   *
   * @return the target, never {@code null}
   */
  public String target() {
    return target;
  }

  /**
   * The non-secret detail appended to the reference's message, or {@code ""}.
   *
   * @return the detail, never {@code null}
   */
  public String detail() {
    return detail;
  }
}
