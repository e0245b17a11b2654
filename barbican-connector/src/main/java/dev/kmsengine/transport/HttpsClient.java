package dev.kmsengine.transport;

import dev.kmsengine.keystore.ProxyType;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small HTTPS/1.1 client for one {@link TransportSettings}: certificate and host-name checks, extra trusted CAs,
 * an {@code http} or {@code https} proxy with Basic authentication through {@code CONNECT} (TLS inside TLS for an
 * {@code https} proxy), a bound on each attempt, and retries by {@link RetryPolicy}.
 *
 * <p>It exists because the JDK's {@code java.net.http.HttpClient} can do none of these per client without
 * JVM-wide system properties: it cannot send Basic credentials to a proxy's CONNECT (that needs
 * {@code jdk.http.auth.tunneling.disabledSchemes}), cannot speak TLS to a proxy, and has no host-name check hook.
 *
 * <p>Immutable and thread-safe; its TLS context is built once, in the constructor. Every request opens its own
 * connection. The {@link NodeNetwork} opens the TCP connection on behalf of the asking node.
 */
public final class HttpsClient {
  private static final Logger LOG = Logger.getLogger(HttpsClient.class.getName());

  private final TransportSettings settings;
  private final NodeNetwork network;
  private final RetryPolicy retry;
  private final SSLSocketFactory tls;

  /**
   * Builds the client and its TLS context.
   *
   * @param settings certificate checks, trusted CAs, proxy and per-attempt timeout
   * @param network how each node opens TCP connections
   * @param retry when idempotent requests are sent again
   * @throws IllegalArgumentException if an extra trusted CA is not a PEM certificate
   */
  public HttpsClient(TransportSettings settings, NodeNetwork network, RetryPolicy retry) {
    this.settings = Objects.requireNonNull(settings, "settings == null");
    this.network = Objects.requireNonNull(network, "network == null");
    this.retry = Objects.requireNonNull(retry, "retry == null");
    this.tls = TrustConfig.socketFactory(settings);
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

  /** One attempt, bounded by the attempt timeout from connect to the last body byte. */
  HttpResponse attempt(String node, HttpRequest r) throws TransportException {
    long deadline = System.nanoTime() + settings.attemptTimeout().toNanos();
    String host = settings.usesProxy() ? settings.proxyHost() : r.uri().getHost();
    int port = settings.usesProxy() ? settings.proxyPort() : r.port();
    String where = (settings.usesProxy() ? "proxy " : "") + host + ":" + port;
    Socket socket;
    try {
      socket = network.connect(node, host, port, remaining(deadline, r));
    } catch (SocketTimeoutException e) {
      throw timeout(r, where);
    } catch (IOException e) {
      throw new TransportException(TransportException.Kind.CONNECT,
          r.describe() + ": cannot connect to " + where + ": " + describe(e), e);
    }
    try {
      Socket s = socket;
      if (settings.usesProxy()) {
        s = tunnel(s, r, deadline, where);
      }
      s = handshake(s, r.uri().getHost(), r.port(), deadline, r, "server " + r.uri().getHost() + ":" + r.port());
      return exchange(s, r, deadline, where);
    } finally {
      closeQuietly(socket);
    }
  }

  private HttpResponse exchange(Socket s, HttpRequest r, long deadline, String where) throws TransportException {
    try {
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      s.setSoTimeout(remainingMillis(deadline, r));
      Http1Codec.writeRequest(out, r);
      HttpResponse response = Http1Codec.readResponse(new DeadlineInputStream(s, deadline), r.method());
      s.close();
      return response;
    } catch (SocketTimeoutException e) {
      throw timeout(r, where);
    } catch (IOException e) {
      throw new TransportException(TransportException.Kind.PROTOCOL,
          r.describe() + ": the exchange with " + where + " broke: " + describe(e), e);
    }
  }

  private Socket tunnel(Socket raw, HttpRequest r, long deadline, String where) throws TransportException {
    Socket s = raw;
    if (settings.proxyType() == ProxyType.HTTPS) {
      s = handshake(raw, settings.proxyHost(), settings.proxyPort(), deadline, r, where);
    }
    String target = r.uri().getHost() + ":" + r.port();
    int status;
    String reason;
    try {
      s.setSoTimeout(remainingMillis(deadline, r));
      StringBuilder connect = new StringBuilder("CONNECT ").append(target).append(" HTTP/1.1\r\nHost: ")
          .append(target).append("\r\n");
      if (!settings.proxyUsername().isEmpty()) {
        String pair = settings.proxyUsername() + ":" + settings.proxyPassword().reveal();
        connect.append("Proxy-Authorization: Basic ")
            .append(Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8))).append("\r\n");
      }
      connect.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(connect.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      // Unbuffered on purpose: bytes after the proxy's answer belong to the tunnel's TLS handshake.
      Http1Codec.Head head = Http1Codec.readHead(new DeadlineInputStream(s, deadline));
      status = head.status();
      reason = head.reason();
    } catch (SocketTimeoutException e) {
      throw timeout(r, where);
    } catch (IOException e) {
      throw new TransportException(TransportException.Kind.CONNECT,
          r.describe() + ": " + where + " broke the CONNECT to " + target + ": " + describe(e), e);
    }
    if (status >= 200 && status < 300) {
      return s;
    }
    String answer = status + (reason.isEmpty() ? "" : " " + reason);
    // 407 is the standard answer; tinyproxy 1.11 answers a failed BasicAuth with 401, which on a CONNECT can only
    // be about the proxy credentials as well.
    if (status == 407 || status == 401) {
      String who = settings.proxyUsername().isEmpty()
          ? "no proxy_username is configured"
          : "the credentials of proxy user '" + settings.proxyUsername() + "' were rejected";
      throw new TransportException(TransportException.Kind.PROXY_AUTH,
          r.describe() + ": " + where + " answered " + answer + " to CONNECT " + target + ": " + who, null);
    }
    throw new TransportException(status >= 500 ? TransportException.Kind.CONNECT : TransportException.Kind.PROXY,
        r.describe() + ": " + where + " answered " + answer + " to CONNECT " + target, null);
  }

  private SSLSocket handshake(Socket s, String host, int port, long deadline, HttpRequest r, String who)
      throws TransportException {
    try {
      SSLSocket ssl = (SSLSocket) tls.createSocket(s, host, port, true);
      SSLParameters p = ssl.getSSLParameters();
      if (settings.verify() && settings.verifyHost()) {
        p.setEndpointIdentificationAlgorithm("HTTPS");
      }
      ssl.setSSLParameters(p);
      ssl.setSoTimeout(remainingMillis(deadline, r));
      ssl.startHandshake();
      return ssl;
    } catch (SocketTimeoutException e) {
      throw timeout(r, who);
    } catch (SSLException e) {
      throw new TransportException(TransportException.Kind.TLS,
          r.describe() + ": TLS with " + who + " failed: " + describe(e), e);
    } catch (IOException e) {
      throw new TransportException(TransportException.Kind.CONNECT,
          r.describe() + ": the connection to " + who + " broke during the TLS handshake: " + describe(e), e);
    }
  }

  private TransportException timeout(HttpRequest r, String where) {
    return new TransportException(TransportException.Kind.TIMEOUT, r.describe() + ": no complete answer from "
        + where + " within " + settings.attemptTimeout().toSeconds() + " s", null);
  }

  private Duration remaining(long deadline, HttpRequest r) throws TransportException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new TransportException(TransportException.Kind.TIMEOUT,
          r.describe() + ": attempt ran past " + settings.attemptTimeout().toSeconds() + " s", null);
    }
    return Duration.ofNanos(left);
  }

  private int remainingMillis(long deadline, HttpRequest r) throws TransportException {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining(deadline, r).toMillis()));
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Nothing more can be done with a socket that fails to close.
    }
  }

  @Override
  public String toString() {
    return "HttpsClient[" + settings + "]";
  }

  /**
   * Re-arms the socket timeout before every read with the time left, so a server that trickles bytes cannot
   * stretch an attempt past its deadline.
   */
  private static final class DeadlineInputStream extends FilterInputStream {
    private final Socket socket;
    private final long deadline;

    DeadlineInputStream(Socket socket, long deadline) throws IOException {
      super(socket.getInputStream());
      this.socket = socket;
      this.deadline = deadline;
    }

    private void arm() throws IOException {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException("attempt deadline passed");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int read() throws IOException {
      arm();
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      arm();
      return super.read(b, off, len);
    }
  }
}
