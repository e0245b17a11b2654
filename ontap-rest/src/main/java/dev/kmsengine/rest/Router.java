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
 *
 * <p>A handler added with {@link #addNonWaiting} promises never to wait: it reads only state held in memory,
 * no request body, no database, no job. Those requests are answered on the thread that read them from the
 * socket; every other one is handed to a worker thread, which costs a thread wake-up per request.
 */
final class Router {
  /** Handles one request; {@code vars} are the path variables in order. */
  @FunctionalInterface
  interface Handler {
    void handle(ApiExchange ex, List<String> vars) throws IOException;
  }

  /** A method's handler on one path, and whether it may wait (for a body, the database, a job). */
  private record Entry(Handler handler, boolean mayWait) {}

  private record Route(List<String> pattern, Map<String, Entry> methods) {}

  /** A request's handler and path variables; {@link #run} answers it. */
  record Match(Handler handler, List<String> vars, boolean mayWait) {
    void run(ApiExchange ex) throws IOException {
      handler.handle(ex, vars);
    }
  }

  private final List<Route> routes = new ArrayList<>();

  Router add(String method, String pattern, Handler handler) {
    return add(method, pattern, new Entry(handler, true));
  }

  /** Adds a handler that never waits (see the class comment): it may run on the socket's own thread. */
  Router addNonWaiting(String method, String pattern, Handler handler) {
    return add(method, pattern, new Entry(handler, false));
  }

  private Router add(String method, String pattern, Entry entry) {
    List<String> segs = split(pattern);
    for (Route r : routes) {
      if (r.pattern.equals(segs)) {
        r.methods.put(method, entry);
        return this;
      }
    }
    Map<String, Entry> m = new LinkedHashMap<>();
    m.put(method, entry);
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

  /**
   * The handler of {@code ex}'s method and path.
   *
   * @throws ApiException 404 for an unknown path, 405 (with {@code Allow} set) for a method the path lacks
   */
  Match find(ApiExchange ex) {
    for (Route r : routes) {
      List<String> vars = match(r.pattern, ex.segments);
      if (vars == null) {
        continue;
      }
      Entry e = r.methods.get(ex.method);
      if (e == null) {
        ex.header("Allow", String.join(", ", r.methods.keySet()));
        throw new ApiException(405, ErrorCode.NOT_SUPPORTED,
            "The method " + ex.method + " is not supported on " + ex.path + ".", "");
      }
      return new Match(e.handler, vars, e.mayWait);
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
