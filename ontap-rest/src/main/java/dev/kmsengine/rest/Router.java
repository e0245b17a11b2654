package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Maps {@code METHOD /api/...} to handlers. Patterns are literal segments and {@code {}} for a path variable.
 * An unknown path is 404; a known path with another method is 405 with {@code Allow}.
 */
final class Router {
  /** Handles one request; {@code vars} are the path variables in order. */
  @FunctionalInterface
  interface Handler {
    void handle(ApiExchange ex, List<String> vars) throws IOException;
  }

  private record Route(List<String> pattern, Map<String, Handler> methods) {}

  private final List<Route> routes = new ArrayList<>();

  Router add(String method, String pattern, Handler handler) {
    List<String> segs = split(pattern);
    for (Route r : routes) {
      if (r.pattern.equals(segs)) {
        r.methods.put(method, handler);
        return this;
      }
    }
    Map<String, Handler> m = new LinkedHashMap<>();
    m.put(method, handler);
    routes.add(new Route(segs, m));
    return this;
  }

  static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  void dispatch(ApiExchange ex) throws IOException {
    for (Route r : routes) {
      List<String> vars = match(r.pattern, ex.segments);
      if (vars == null) {
        continue;
      }
      Handler h = r.methods.get(ex.method);
      if (h == null) {
        ex.header("Allow", String.join(", ", r.methods.keySet()));
        throw new ApiException(405, ErrorCode.NOT_SUPPORTED,
            "The method " + ex.method + " is not supported on " + ex.path + ".", "");
      }
      h.handle(ex, vars);
      return;
    }
    throw new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "API not found: " + abbreviate(ex.path), "");
  }

  private static String abbreviate(String path) {
    return path.length() <= 200 ? path : path.substring(0, 197) + "...";
  }

  private static List<String> match(List<String> pattern, List<String> segments) {
    if (pattern.size() != segments.size()) {
      return null;
    }
    List<String> vars = new ArrayList<>();
    for (int i = 0; i < pattern.size(); i++) {
      if (pattern.get(i).equals("{}")) {
        vars.add(segments.get(i));
      } else if (!pattern.get(i).equals(segments.get(i))) {
        return null;
      }
    }
    return vars;
  }

  /**
   * A path variable as a uuid.
   *
   * @throws ApiException 404 "entry doesn't exist" if it is not one: no record can have that identifier
   */
  static UUID uuid(String value) {
    try {
      UUID u = UUID.fromString(value);
      if (u.toString().equalsIgnoreCase(value)) {
        return u;
      }
    } catch (IllegalArgumentException e) {
      // Falls through to "entry doesn't exist".
    }
    throw new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "entry doesn't exist", "uuid");
  }
}
