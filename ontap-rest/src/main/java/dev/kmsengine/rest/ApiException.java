package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import java.util.List;

/**
 * An error decided by the HTTP layer rather than by the engine (authentication, unknown path or method, body
 * size), or an engine error with its status from {@link ErrorStatus}. The message is safe to return.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final ErrorCode code;
  final String target;
  /** ONTAP's {@code error.arguments}: one {code, message} each, e.g. per failed record of a query PATCH. */
  final List<Argument> arguments;

  /** One entry of {@code error.arguments}. */
  record Argument(ErrorCode code, String message) {}

  ApiException(int status, ErrorCode code, String message, String target) {
    this(status, code, message, target, List.of());
  }

  ApiException(int status, ErrorCode code, String message, String target, List<Argument> arguments) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.target = target;
    this.arguments = List.copyOf(arguments);
  }

  static ApiException of(KmsException e) {
    return new ApiException(ErrorStatus.of(e.errorCode()), e.errorCode(), e.getMessage(), e.target());
  }

  /** The answer for a failed job's error, the same as for the exception it was. */
  static ApiException of(Job.JobError e) {
    return new ApiException(ErrorStatus.of(e.errorCode()), e.errorCode(), e.message(), e.target());
  }
}
