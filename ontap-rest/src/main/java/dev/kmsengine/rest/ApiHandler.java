package dev.kmsengine.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.kmsengine.error.CauseChain;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.store.StoreException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one entry point of every request: authentication, routing, and turning every failure into ONTAP's error
 * body. Nothing escapes as a stack trace: a server fault is logged as one line with its cause chain (types and
 * messages, which the engine keeps free of secrets), a failed cluster database is answered with its cause, and an
 * unexpected exception with a generic 500.
 */
final class ApiHandler implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());

  private final Router router;
  private final BasicAuth auth;
  private final int maxBodyBytes;

  ApiHandler(Router router, BasicAuth auth, int maxBodyBytes) {
    this.router = router;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void handle(HttpExchange http) throws IOException {
    try {
      String path = decodePath(http.getRequestURI().getRawPath());
      List<String> segments = Router.split(path);
      ApiExchange ex = new ApiExchange(http, path, segments, maxBodyBytes);
      try {
        serve(ex, http, segments);
      } catch (ApiException e) {
        ex.sendError(e);
      } catch (KmsException e) {
        ex.sendError(logged(ApiException.of(e), e, ex.method, path));
      } catch (StoreException e) {
        ex.sendError(logged(ApiException.of(e.toKmsException()), e, ex.method, path));
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "unexpected failure on " + ex.method + " " + path + ": " + CauseChain.of(e));
        ex.sendError(new ApiException(500, "1", "Internal error.", ""));
      }
    } finally {
      http.close();
    }
  }

  /** Logs a server fault (5xx) as one line with its cause chain; client-fixable answers are not faults. */
  private static ApiException logged(ApiException answer, RuntimeException e, String method, String path) {
    if (answer.status >= 500) {
      LOG.warning(() -> answer.status + " on " + method + " " + path + ": " + CauseChain.of(e));
    }
    return answer;
  }

  private void serve(ApiExchange ex, HttpExchange http, List<String> segments) throws IOException {
    if (segments.isEmpty() || !segments.get(0).equals("api")) {
      throw new ApiException(404, "4", "Not found: the API is under /api.", "");
    }
    if (!auth.accepts(http.getRequestHeaders().get("Authorization"))) {
      throw new ApiException(401, "6", "Authentication failed: HTTP Basic credentials are required.", "");
    }
    router.dispatch(ex);
  }

  private static String decodePath(String raw) {
    if (raw == null) {
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
