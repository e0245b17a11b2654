package dev.kmsengine.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * An HTTPS/1.1 client for one {@link TransportSettings}, on Apache HttpClient 5 (classic): certificate and host-name
 * checks, extra trusted CAs, an {@code http} or {@code https} proxy with Basic authentication through
 * {@code CONNECT} (TLS inside TLS for an {@code https} proxy), a bound on each attempt, and retries by
 * {@link RetryPolicy}.
 *
 * <p>HttpClient does the HTTP exchange: request framing, the status line, repeated headers, {@code chunked} and
 * {@code Content-Length} bodies, 1xx answers, with bounded line length and header count. The connector keeps
 * the connection itself ({@link NodeConnectionOperator}): the TCP dial through the {@link NodeNetwork}, the proxy
 * tunnel and both TLS hops, each with its own trust; HttpClient's own proxy, retry, redirect, cookie,
 * authentication and compression handling are off, and no JVM-wide system property is read.
 *
 * <p>Immutable and thread-safe; its TLS contexts are built once, in the constructor. Every request opens its own
 * connection, so a node cut off by its {@link NodeNetwork} has no connection left to use.
 */
public final class HttpsClient {
  private static final Logger LOG = Logger.getLogger(HttpsClient.class.getName());

  /** Longest status or header line, most headers and largest body accepted from a server or proxy. */
  static final int MAX_LINE = 16 * 1024;
  static final int MAX_HEADERS = 200;
  static final int MAX_BODY = 1024 * 1024;
  static final Http1Config HTTP1 = Http1Config.custom().setMaxLineLength(MAX_LINE).setMaxHeaderCount(MAX_HEADERS)
      .setMaxEmptyLineCount(8).build();

  /** Ends attempts that run past their deadline; HttpClient's own timeouts bound each read, not the whole. */
  private static final ScheduledThreadPoolExecutor DEADLINES = deadlineTimer();

  private final TransportSettings settings;
  private final RetryPolicy retry;
  private final CloseableHttpClient http;

  /**
   * Builds the client and its TLS contexts.
   *
   * @param settings certificate checks, trusted CAs, proxy and per-attempt timeout
   * @param network how each node opens TCP connections
   * @param retry when idempotent requests are sent again
   * @throws IllegalArgumentException if an extra trusted CA is not a PEM certificate
   */
  public HttpsClient(TransportSettings settings, NodeNetwork network, RetryPolicy retry) {
    this.settings = Objects.requireNonNull(settings, "settings == null");
    this.retry = Objects.requireNonNull(retry, "retry == null");
    PoolingHttpClientConnectionManager connections = new PoolingHttpClientConnectionManager(
        new NodeConnectionOperator(settings, Objects.requireNonNull(network, "network == null")),
        PoolConcurrencyPolicy.LAX, PoolReusePolicy.LIFO, TimeValue.NEG_ONE_MILLISECOND,
        ManagedHttpClientConnectionFactory.builder().http1Config(HTTP1).build());
    // Connections are never reused, so the pool only hands out fresh ones; it must not make callers queue.
    connections.setDefaultMaxPerRoute(Integer.MAX_VALUE);
    Timeout attempt = Timeout.of(settings.attemptTimeout());
    this.http = HttpClients.custom()
        .setConnectionManager(connections)
        .setConnectionReuseStrategy((request, response, context) -> false)
        .disableAutomaticRetries()
        .disableRedirectHandling()
        .disableCookieManagement()
        .disableAuthCaching()
        .disableContentCompression()
        .disableConnectionState()
        .setUserAgent("kms-engine")
        .setDefaultRequestConfig(RequestConfig.custom()
            .setResponseTimeout(attempt)
            .setConnectionRequestTimeout(attempt)
            .setAuthenticationEnabled(false)
            .setRedirectsEnabled(false)
            .setProtocolUpgradeEnabled(false)
            .build())
        .build();
  }

  /**
   * The settings this client was built for.
   *
   * @return the settings given to the constructor
   */
  public TransportSettings settings() {
    return settings;
  }

  /**
   * Sends {@code request} from {@code node}, retrying idempotent requests after connection errors, timeouts and
   * 5xx answers while the {@link RetryPolicy} allows. Returns the last answer, which may be an error status.
   *
   * @param node the cluster node the request is sent from
   * @param request the request
   * @return the last HTTP answer, whatever its status
   * @throws TransportException if no HTTP answer was obtained
   */
  public HttpResponse execute(String node, HttpRequest request) throws TransportException {
    long budgetEnd = System.nanoTime() + retry.budget().toNanos();
    for (int attempt = 1; ; attempt++) {
      HttpResponse response;
      try {
        response = attempt(node, request);
      } catch (TransportException e) {
        if (!request.idempotent() || !e.retryable() || !pauseBeforeRetry(attempt, budgetEnd, request, e.getMessage())) {
          throw e;
        }
        continue;
      }
      if (response.status() >= 500 && request.idempotent()
          && pauseBeforeRetry(attempt, budgetEnd, request, "HTTP " + response.status() + " " + response.reason())) {
        response.wipe();
        continue;
      }
      return response;
    }
  }

  private boolean pauseBeforeRetry(int attempt, long budgetEnd, HttpRequest r, String why)
      throws TransportException {
    if (attempt >= retry.maxAttempts()) {
      return false;
    }
    long waitMillis = retry.backoffMillis(attempt, ThreadLocalRandom.current().nextDouble());
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis) >= budgetEnd) {
      return false;
    }
    LOG.log(Level.INFO, "{0} failed ({1}); attempt {2} in {3} ms",
        new Object[] {r.describe(), why, attempt + 1, waitMillis});
    try {
      Thread.sleep(waitMillis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(TransportException.Kind.CONNECT, r.describe() + ": interrupted while waiting to retry", e);
    }
  }

  /** One attempt, bounded by the attempt timeout from the dial to the last body byte. */
  HttpResponse attempt(String node, HttpRequest r) throws TransportException {
    Attempt a = new Attempt(node, r, System.nanoTime() + settings.attemptTimeout().toNanos(),
        settings.attemptTimeout());
    String where = settings.usesProxy()
        ? "proxy " + settings.proxyHost() + ":" + settings.proxyPort()
        : r.uri().getHost() + ":" + r.port();
    HttpUriRequestBase request = new HttpUriRequestBase(r.method(), r.uri());
    for (Map.Entry<String, String> h : r.headers()) {
      request.addHeader(h.getKey(), h.getValue());
    }
    request.addHeader(HttpHeaders.CONNECTION, "close");
    if (r.body().length > 0 || !"GET".equals(r.method())) {
      request.setEntity(new ByteArrayEntity(r.body(), null));
    }
    HttpClientContext context = HttpClientContext.create();
    context.setAttribute(Attempt.CONTEXT_ATTRIBUTE, a);
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
      expired.set(true);
      request.cancel();
    }, settings.attemptTimeout().toNanos(), TimeUnit.NANOSECONDS);
    try {
      return http.execute(request, context, HttpsClient::read);
    } catch (IOException e) {
      throw failure(a, where, e, expired.get());
    } catch (RuntimeException e) {
      // HttpCore rejects some malformed answers with unchecked exceptions; they are still the server's fault.
      throw new TransportException(TransportException.Kind.PROTOCOL,
          r.describe() + ": the answer from " + where + " is not valid HTTP/1.1: " + Attempt.describe(e), e);
    } finally {
      deadline.cancel(false);
    }
  }

  private static TransportException failure(Attempt a, String where, IOException e, boolean expired) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AttemptFailure f) {
        return expired && f.failure().kind() != TransportException.Kind.TLS ? a.timedOut(where) : f.failure();
      }
    }
    if (expired || e instanceof InterruptedIOException) {
      return a.timedOut(where);
    }
    return new TransportException(TransportException.Kind.PROTOCOL,
        a.request().describe() + ": the exchange with " + where + " broke: " + e.getClass().getSimpleName() + ": "
            + Attempt.describe(e), e);
  }

  /** Copies the status, every header and the body (at most {@link #MAX_BODY} bytes). */
  private static HttpResponse read(ClassicHttpResponse response) throws IOException {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Header h : response.getHeaders()) {
      headers.computeIfAbsent(h.getName().toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(h.getValue());
    }
    String reason = response.getReasonPhrase() == null ? "" : response.getReasonPhrase();
    return new HttpResponse(response.getCode(), reason, headers, body(response.getEntity()));
  }

  /** The body, read into arrays that are zeroised as they are outgrown: it may be key bytes. */
  private static byte[] body(HttpEntity entity) throws IOException {
    if (entity == null) {
      return new byte[0];
    }
    long declared = entity.getContentLength();
    if (declared > MAX_BODY) {
      throw new IOException("response body of " + declared + " bytes is larger than " + MAX_BODY);
    }
    byte[] buf = new byte[declared >= 0 ? (int) declared : 4096];
    int n = 0;
    try (InputStream in = entity.getContent()) {
      while (true) {
        if (n == buf.length) {
          if (declared >= 0) {
            break; // HttpCore delivers exactly Content-Length bytes, or fails on a short body
          }
          if (n > MAX_BODY) {
            throw new IOException("response body larger than " + MAX_BODY + " bytes");
          }
          byte[] bigger = Arrays.copyOf(buf, Math.min(buf.length * 2, MAX_BODY + 1));
          Arrays.fill(buf, (byte) 0);
          buf = bigger;
        }
        int k = in.read(buf, n, buf.length - n);
        if (k < 0) {
          break;
        }
        n += k;
      }
    }
    if (n == buf.length) {
      return buf;
    }
    byte[] exact = Arrays.copyOf(buf, n);
    Arrays.fill(buf, (byte) 0);
    return exact;
  }

  private static ScheduledThreadPoolExecutor deadlineTimer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "kms-transport-deadlines");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  @Override
  public String toString() {
    return "HttpsClient[" + settings + "]";
  }
}
