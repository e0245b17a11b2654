package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.error.CauseChain;
import dev.kmsengine.store.StoreException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one entry point of every request: authentication, routing, and turning every failure into ONTAP's error
 * body. Nothing escapes as a stack trace: a server fault is logged as one line with its cause chain (types and
 * messages, which the engine keeps free of secrets), a failed cluster database is answered with its cause, and an
 * unexpected exception with a generic 500. Requests the HTTP parser refuses never get here; {@link
 * ProtocolErrorHandler} answers those.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());

  private final Router router;
  private final BasicAuth auth;
  private final int maxBodyBytes;
  private final ConnectionGuard guard;

  ApiHandler(Router router, BasicAuth auth, int maxBodyBytes, ConnectionGuard guard) {
    super(InvocationType.BLOCKING);
    this.router = router;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
    this.guard = guard;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    guard.requestStarted(request);
    // A request waiting for a job is silent by design; its wait is bounded by return_timeout, not the idle timeout.
    request.addIdleTimeoutListener(timeout -> false);
    Callback done = Callback.from(() -> {
      guard.requestEnded(request);
      callback.succeeded();
    }, callback::failed);
    String path = decodePath(request.getHttpURI().getPath());
    List<String> segments = Router.split(path);
    ApiExchange ex = new ApiExchange(request, response, done, path, segments, maxBodyBytes);
    try {
      serve(ex, request, segments);
    } catch (ApiException e) {
      answer(ex, e);
    } catch (KmsException e) {
      answer(ex, logged(ApiException.of(e), e, ex.method, path));
    } catch (StoreException e) {
      answer(ex, logged(ApiException.of(e.toKmsException()), e, ex.method, path));
    } catch (Exception e) {
      LOG.log(Level.SEVERE, "unexpected failure on " + ex.method + " " + path + ": " + CauseChain.of(e));
      answer(ex, internalError());
    }
    if (!ex.sent()) {
      LOG.log(Level.SEVERE, "no response for " + ex.method + " " + path);
      ex.sendError(internalError());
    }
    return true;
  }

  private static ApiException internalError() {
    return new ApiException(500, ErrorCode.INTERNAL_ERROR, ErrorCode.INTERNAL_ERROR.message(), "");
  }

  /** Logs a server fault (5xx) as one line with its cause chain; client-fixable answers are not faults. */
  private static ApiException logged(ApiException answer, RuntimeException e, String method, String path) {
    if (answer.status >= 500) {
      LOG.warning(() -> answer.status + " on " + method + " " + path + ": " + CauseChain.of(e));
    }
    return answer;
  }

  private static void answer(ApiExchange ex, ApiException e) {
    if (ex.sent()) {
      LOG.log(Level.WARNING, "error " + e.code + " after the response to " + ex.method + " " + ex.path + " started");
      return;
    }
    ex.sendError(e);
  }

  private void serve(ApiExchange ex, Request request, List<String> segments) throws Exception {
    for (HttpField f : request.getHeaders()) {
      if (f.getName().length() + f.getValue().length() > OntapRestServer.MAX_HEADER_FIELD_BYTES) {
        throw new ApiException(431, ErrorCode.INVALID_FIELD,
            "The header field " + abbreviate(f.getName()) + " is larger than "
            + OntapRestServer.MAX_HEADER_FIELD_BYTES + " bytes.", "");
      }
    }
    if (segments.isEmpty() || !segments.get(0).equals("api")) {
      throw new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "Not found: the API is under /api.", "");
    }
    if (!auth.accepts(ex.requestHeader("Authorization"))) {
      throw new ApiException(401, ErrorCode.NOT_AUTHORIZED,
          "Authentication failed: HTTP Basic credentials are required.", "");
    }
    router.dispatch(ex);
  }

  private static String abbreviate(String name) {
    return name.length() <= 64 ? name : name.substring(0, 61) + "...";
  }

  private static String decodePath(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "/";
    }
    try {
      // A literal '+' in a path is a plus, not a space.
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return raw;
    }
  }
}
