package dev.kmsengine.rest;

import dev.kmsengine.error.KmsException;

/**
 * An error decided by the HTTP layer rather than by the engine (authentication, unknown path or method, body
 * size), or an engine error with its status from {@link ErrorStatus}. The message is safe to return.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final String target;

  ApiException(int status, String code, String message, String target) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.target = target;
  }

  static ApiException of(KmsException e) {
    return new ApiException(ErrorStatus.of(e.errorCode()), Integer.toString(e.code()), e.getMessage(), e.target());
  }
}
