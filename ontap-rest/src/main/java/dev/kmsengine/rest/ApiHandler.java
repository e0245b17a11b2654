package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.error.CauseChain;
import dev.kmsengine.store.StoreException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
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
 *
 * <p>Jetty calls it on the thread that read the request from the socket (it is a non-blocking handler), because
 * handing every request to another thread costs a thread wake-up, as much CPU as the rest of a small GET (see
 * benchmarks/README.md). What runs there never waits: the header checks, authentication, finding the route, the
 * answer to a refused request, and a route that {@link Router#addNonWaiting promises not to wait}. Every other
 * route runs on a worker thread of {@code workers}, where it may read the body, the database or wait for a job.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());

  private final Router router;
  private final BasicAuth auth;
  private final int maxBodyBytes;
  private final ConnectionGuard guard;
  private final Executor workers;

  ApiHandler(Router router, BasicAuth auth, int maxBodyBytes, ConnectionGuard guard, Executor workers) {
    super(InvocationType.NON_BLOCKING);
    this.router = router;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
    this.guard = guard;
    this.workers = workers;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    guard.requestStarted(request);
    // A request waiting for a job is silent by design; its wait is bounded by return_timeout, not the idle timeout.
    request.addIdleTimeoutListener(timeout -> false);
    // As Jetty's own callback, not the default (blocking): a write finishing later then completes on the socket's
    // thread instead of waking a worker for it.
    Callback done = Callback.from(callback.getInvocationType(), () -> {
      guard.requestEnded(request);
      callback.succeeded();
    }, callback::failed);
    String path = decodePath(request.getHttpURI().getPath());
    List<String> segments = Router.split(path);
    ApiExchange ex = new ApiExchange(request, response, done, path, segments, maxBodyBytes);
    Router.Match match;
    try {
      match = admit(ex, request, segments);
    } catch (Exception e) {
      answer(ex, e);
      return true;
    }
    if (!match.mayWait()) {
      serve(ex, match);
      return true;
    }
    try {
      workers.execute(() -> serve(ex, match));
    } catch (RejectedExecutionException e) {
      ex.header("Connection", "close");
      answer(ex, new ApiException(503, ErrorCode.INTERNAL_ERROR,
          "The server is stopping or has too many requests queued; retry later.", ""));
    }
    return true;
  }

  /** The checks every request passes before its handler runs, none of which waits; its route if it passes. */
  private Router.Match admit(ApiExchange ex, Request request, List<String> segments) {
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
    return router.find(ex);
  }

  private static void serve(ApiExchange ex, Router.Match match) {
    try {
      match.run(ex);
    } catch (Exception e) {
      answer(ex, e);
    }
    if (!ex.sent()) {
      LOG.log(Level.SEVERE, "no response for " + ex.method + " " + ex.path);
      ex.sendError(internalError());
    }
  }

  /** Answers a failure with ONTAP's error body, logging a server fault (5xx) as one line with its cause chain. */
  private static void answer(ApiExchange ex, Exception e) {
    ApiException answer;
    if (e instanceof ApiException api) {
      answer = api;
    } else if (e instanceof KmsException kms) {
      answer = logged(ApiException.of(kms), kms, ex.method, ex.path);
    } else if (e instanceof StoreException store) {
      answer = logged(ApiException.of(store.toKmsException()), store, ex.method, ex.path);
    } else {
      LOG.log(Level.SEVERE, "unexpected failure on " + ex.method + " " + ex.path + ": " + CauseChain.of(e));
      answer = internalError();
    }
    if (ex.sent()) {
      LOG.log(Level.WARNING, "error " + answer.code + " after the response to " + ex.method + " " + ex.path
          + " started");
      return;
    }
    ex.sendError(answer);
  }

  private static ApiException internalError() {
    return new ApiException(500, ErrorCode.INTERNAL_ERROR, ErrorCode.INTERNAL_ERROR.message(), "");
  }

  private static ApiException logged(ApiException answer, RuntimeException e, String method, String path) {
    if (answer.status >= 500) {
      LOG.warning(() -> answer.status + " on " + method + " " + path + ": " + CauseChain.of(e));
    }
    return answer;
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
