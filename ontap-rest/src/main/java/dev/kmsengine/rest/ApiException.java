package dev.kmsengine.rest;

import dev.kmsengine.error.KmsException;
import java.util.List;

/**
 * An error decided by the HTTP layer rather than by the engine (authentication, unknown path or method, body
 * size), or an engine error with its status from {@link ErrorStatus}. The message is safe to return.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final String target;
  /** ONTAP's {@code error.arguments}: one {code, message} each, e.g. per failed record of a query PATCH. */
  final List<Argument> arguments;

  /** One entry of {@code error.arguments}. */
  record Argument(String code, String message) {}

  ApiException(int status, String code, String message, String target) {
    this(status, code, message, target, List.of());
  }

  ApiException(int status, String code, String message, String target, List<Argument> arguments) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.target = target;
    this.arguments = List.copyOf(arguments);
  }

  static ApiException of(KmsException e) {
    return new ApiException(ErrorStatus.of(e.errorCode()), Integer.toString(e.code()), e.getMessage(), e.target());
  }
}
