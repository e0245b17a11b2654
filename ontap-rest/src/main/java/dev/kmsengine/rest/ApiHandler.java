package dev.kmsengine.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.kmsengine.error.KmsException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one entry point of every request: authentication, routing, and turning every failure into ONTAP's error
 * body. Nothing escapes as a stack trace: an unexpected exception is logged by type and answered with a generic
 * 500.
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
        ex.sendError(ApiException.of(e));
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "unexpected " + e.getClass().getName() + " on " + ex.method + " " + path);
        ex.sendError(new ApiException(500, "1", "Internal error.", ""));
      }
    } finally {
      http.close();
    }
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
