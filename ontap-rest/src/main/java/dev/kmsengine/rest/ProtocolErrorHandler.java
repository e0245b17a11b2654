package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers, with ONTAP's error JSON, what Jetty refuses before {@link ApiHandler} runs: a request line, URI,
 * header, framing or protocol version it cannot parse (400), headers too large (431), a URI too long (414). Jetty's own reason text is not returned: it may quote the request. Stateless.
 */
final class ProtocolErrorHandler extends ErrorHandler {
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus();
    if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException http) {
      status = http.getCode();
    }
    // A version that is not HTTP/1.x is a request line this server cannot parse, not a server failure.
    if (status < 400 || status > 599 || status == 505) {
      status = 400;
    }
    if (HttpStatus.hasNoBody(status)) {
      response.setStatus(status);
      callback.succeeded();
      return true;
    }
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    ApiException error = new ApiException(status,
        status == 404 ? ErrorCode.ENTRY_NOT_FOUND : status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.INVALID_FIELD,
        message(status), "");
    ApiExchange.write(response, callback, status, ApiExchange.errorBody(error),
        ApiExchange.wantsHal(request.getHeaders().getValuesList(HttpHeader.ACCEPT)));
    return true;
  }

  private static String message(int status) {
    return switch (status) {
      case 400 -> "Bad request: the request line, a header or the framing of the body is not valid HTTP/1.1"
          + " (or 1.0).";
      case 413 -> "The request body is too large.";
      case 414 -> "The request URI is too long.";
      case 431 -> "The request headers are too large: at most " + OntapRestServer.MAX_HEADER_FIELD_BYTES
          + " bytes a field and " + OntapRestServer.MAX_HEADER_BYTES + " bytes in all.";
      default -> HttpStatus.getMessage(status) + ".";
    };
  }
}
