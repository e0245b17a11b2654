package dev.kmsengine.rest;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.keystore.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * ONTAP's REST API for the Barbican KMS feature, served over HTTPS by Jetty:
 * {@code /api/security/barbican-kms}, {@code /api/security/key-stores}, {@code /api/cluster/jobs},
 * {@code /api/cluster/nodes}, {@code /api/svm/svms} and {@code /api/storage/volumes}, with ONTAP's query
 * conventions, jobs, error bodies and HAL links. Every {@code /api} path requires HTTP Basic authentication.
 *
 * <pre>{@code
 * OntapRestServer server = OntapRestServer.builder(engine)
 *     .tls(sslContext).credentials("admin", Secret.of(password)).port(0).build();
 * server.start();
 * URI base = server.baseUri();   // https://127.0.0.1:port
 * }</pre>
 *
 * <p>A connection must finish its TLS handshake within {@link Builder#handshakeTimeout}, then send each request's
 * line and headers within {@link Builder#headerTimeout}; one that stays silent longer than
 * {@link Builder#idleTimeout} is closed. Past {@link Builder#maxConnections} open connections, the oldest one
 * still in its handshake or headers is closed for each new one. A header field over 8 KiB is answered 431, a body
 * over {@link Builder#maxBodyBytes} 413, and everything the HTTP parser refuses gets ONTAP's error JSON too.
 * A request that only reads state held in memory (the node GETs) is answered on the thread that read it from the
 * socket; every other one runs on a bounded pool of worker threads, and one that waits for a job
 * ({@code return_timeout}) holds a worker for at most 120 s. Close to stop: it stops accepting and lets requests in flight finish for up to
 * {@link Builder#stopTimeout}.
 *
 * <p>When the engine shares its cluster database with other processes and hosts only some of the nodes
 * ({@code KmsEngine.Builder.localNodes}), a node-scoped request for a node another process hosts (a block through
 * it, its controls under {@code /api/simulator/nodes}, its reboot) is sent on to that process, at the
 * {@link NodeEndpoint} it announced, and answered with what it answers. Thread-safe.
 */
public final class OntapRestServer implements AutoCloseable {
  /** The largest header field (name and value) accepted, as the web servers ONTAP users know have it. */
  static final int MAX_HEADER_FIELD_BYTES = 8 * 1024;
  /** The largest request line plus headers accepted; past it Jetty answers 431 (or 414 for the URI alone). */
  static final int MAX_HEADER_BYTES = 32 * 1024;
  /** TLS 1.3 and 1.2 suites, AEAD only; ECDSA first, RSA for a given RSA certificate. */
  private static final String[] CIPHER_SUITES = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"};

  private final Server server;
  private final ServerConnector connector;
  private final ConnectionGuard guard;
  private final String host;
  private final KmsEngine engine;

  private OntapRestServer(Builder b) throws IOException {
    this.host = b.bind.getHostAddress();
    QueuedThreadPool pool = new QueuedThreadPool(b.threads + ACCEPTORS + SELECTORS + 2, 4);
    pool.setName("ontap-rest");
    pool.setDaemon(true);
    this.server = new Server(pool);
    server.setStopTimeout(b.stopTimeout.toMillis());
    server.setErrorHandler(new ProtocolErrorHandler());

    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setIdleTimeout(b.idleTimeout.toMillis());
    // ONTAP's query language and curl put |, <, >, !, *, " and spaces-as-+ in the query as typed; the query is
    // decoded by QueryParameters, so Jetty only has to let it through.
    http.setUriCompliance(UriCompliance.LEGACY);
    // Jetty would otherwise add a customizer that refuses (400) a Host the certificate does not name; clients
    // reach the simulator by whatever address they like, with -k or a given --tls-cert, as they did before.
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setSslContext(b.tls);
    tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    tls.setIncludeCipherSuites(CIPHER_SUITES);
    tls.setExcludeCipherSuites();
    SslConnectionFactory ssl = new WorkerHandshakes(tls, "http/1.1");
    this.connector = new ServerConnector(server, ACCEPTORS, SELECTORS, ssl, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(b.port);
    connector.setIdleTimeout(b.idleTimeout.toMillis());
    connector.setAcceptQueueSize(128);
    // One bean on the connector is both the Connection.Listener and the SslHandshakeListener of every connection.
    this.guard = new ConnectionGuard(connector.getScheduler(), b.handshakeTimeout, b.headerTimeout,
        b.idleTimeout, b.maxConnections);
    connector.addBean(guard);
    server.addConnector(connector);
    // Bound before the engine exists, so that an engine made by an EngineFactory can announce the address.
    connector.open();
    try {
      this.engine = b.engine != null ? b.engine : Objects.requireNonNull(b.engineFactory.build(baseUri()),
          "the engine factory returned null");
    } catch (IOException | RuntimeException e) {
      connector.close();
      throw e;
    }
    Router router = new Router();
    JobReplies replies = new JobReplies(engine);
    NodeForwarder forwarder = new NodeForwarder(engine, FORWARD_CONNECT_TIMEOUT, FORWARD_TIMEOUT);
    new BarbicanKmsResource(engine, replies).register(router);
    new KeyStoresResource(engine, replies).register(router);
    new JobsResource(engine).register(router);
    new NodesResource(engine, forwarder).register(router);
    new SvmsResource(engine).register(router);
    new VolumesResource(engine, replies).register(router);
    if (b.simulator != null) {
      new SimulatorResource(engine, b.simulator, forwarder).register(router);
    }
    server.setHandler(new GracefulHandler(new ApiHandler(router, new BasicAuth(b.username, b.password),
        b.maxBodyBytes, guard, pool)));
  }

  /** How long a request forwarded to the process hosting a node may take to connect, and to be answered. */
  private static final Duration FORWARD_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(30);

  private static final int ACCEPTORS = 1;
  private static final int SELECTORS = 2;

  /**
   * A builder for a server over {@code engine}.
   *
   * @param engine the engine whose resources the server exposes
   * @return a builder; TLS and credentials are required
   */
  public static Builder builder(KmsEngine engine) {
    return new Builder(Objects.requireNonNull(engine, "engine"), null);
  }

  /**
   * A builder for a server whose engine is made once the server's port is bound, by {@code factory}: an engine
   * that announces where it can be reached (its nodes' endpoint, see {@link NodeEndpoint}) needs the port first,
   * and with port 0 it is known only then.
   *
   * @param factory makes the engine from the server's base URL, during {@link Builder#build()}
   * @return a builder; TLS and credentials are required
   */
  public static Builder builder(EngineFactory factory) {
    return new Builder(null, Objects.requireNonNull(factory, "factory"));
  }

  /**
   * Makes the engine a server exposes, once the server is bound ({@link #builder(EngineFactory)}).
   * Called once, on the thread that builds the server.
   */
  @FunctionalInterface
  public interface EngineFactory {
    /**
     * The engine to expose.
     *
     * @param baseUri the server's base URL, as {@link OntapRestServer#baseUri()} gives it
     * @return the engine; the server does not close it
     * @throws IOException if the engine cannot be made; the server is then not built and its port released
     */
    KmsEngine build(URI baseUri) throws IOException;
  }

  /** Configures an {@link OntapRestServer}. Not thread-safe. */
  public static final class Builder {
    private final KmsEngine engine;
    private final EngineFactory engineFactory;
    private SSLContext tls;
    private String username;
    private Secret password;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private int port;
    private int threads = 64;
    private int maxBodyBytes = 64 * 1024;
    private Duration handshakeTimeout = Duration.ofSeconds(5);
    private Duration headerTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration stopTimeout = Duration.ofSeconds(10);
    private int maxConnections = 1000;
    private SimulatorControls simulator;

    private Builder(KmsEngine engine, EngineFactory engineFactory) {
      this.engine = engine;
      this.engineFactory = engineFactory;
    }

    /**
     * The server's TLS context, holding its certificate and key (required).
     *
     * @param context an SSL context initialised with the server's key manager
     * @return this builder
     */
    public Builder tls(SSLContext context) {
      tls = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * The one user allowed in (required).
     *
     * @param user the user name; non-empty, without {@code :}
     * @param pass the password
     * @return this builder
     * @throws IllegalArgumentException if {@code user} is empty or contains {@code :}
     */
    public Builder credentials(String user, Secret pass) {
      username = Objects.requireNonNull(user, "user");
      password = Objects.requireNonNull(pass, "pass");
      if (user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("user must be non-empty and without ':'");
      }
      return this;
    }

    /**
     * The address to listen on (default: loopback).
     *
     * @param address the local address
     * @return this builder
     */
    public Builder bind(InetAddress address) {
      bind = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * The port (default 0: any free port).
     *
     * @param p the TCP port, 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if {@code p} is out of range
     */
    public Builder port(int p) {
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("port out of range: " + p);
      }
      port = p;
      return this;
    }

    /**
     * The worker threads (default 64): the most requests that may wait (for a body, the database or a job) handled
     * at once; more wait in a queue. A request waiting for a job holds one for up to its {@code return_timeout}.
     *
     * @param count the number of request threads, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code count} is below 1
     */
    public Builder threads(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("threads < 1: " + count);
      }
      threads = count;
      return this;
    }

    /**
     * The largest request body accepted (default 64 KiB); larger ones get 413.
     *
     * @param bytes the limit in bytes, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1
     */
    public Builder maxBodyBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBodyBytes < 1: " + bytes);
      }
      maxBodyBytes = bytes;
      return this;
    }

    /**
     * How long a new connection may take to finish its TLS handshake before it is closed (default 5 s).
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder handshakeTimeout(Duration timeout) {
      handshakeTimeout = positive(timeout, "handshakeTimeout");
      return this;
    }

    /**
     * How long a connection may take to send a request's line and headers (default 5 s), counted from the end of
     * the handshake for the first request and from the end of the previous response, plus the idle timeout,
     * for each later one. Past it the connection is closed without an answer.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder headerTimeout(Duration timeout) {
      headerTimeout = positive(timeout, "headerTimeout");
      return this;
    }

    /**
     * How long a connection may stay silent, between requests or within one, before it is closed (default 30 s).
     * A request waiting for a job is not silent: the wait ends within its {@code return_timeout}.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder idleTimeout(Duration timeout) {
      idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    /**
     * How long {@link #close} lets requests in flight finish (default 10 s).
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder stopTimeout(Duration timeout) {
      stopTimeout = positive(timeout, "stopTimeout");
      return this;
    }

    /**
     * The most connections open at once (default 1000). A connection accepted past it closes the oldest one that
     * is still in its TLS handshake or sending its headers, or itself if there is none.
     *
     * @param count at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code count} is below 1
     */
    public Builder maxConnections(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("maxConnections < 1: " + count);
      }
      maxConnections = count;
      return this;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    /**
     * Serves the simulator-only endpoints under {@code /api/simulator} (block data path, node network, emulator
     * faults) over {@code controls}. If unset, those paths do not exist (404), as on a real cluster.
     *
     * @param controls the simulator's node network and emulator hooks
     * @return this builder
     */
    public Builder simulatorControls(SimulatorControls controls) {
      simulator = Objects.requireNonNull(controls, "controls");
      return this;
    }

    /**
     * The server, bound but not yet serving.
     *
     * @return the bound server; {@code start()} it to serve
     * @throws IOException if the address cannot be bound, or the {@link EngineFactory} failed with one (an
     *     unchecked exception from it passes through as it is); the port is released either way
     */
    public OntapRestServer build() throws IOException {
      if (tls == null || username == null) {
        throw new IllegalStateException("tls and credentials are required");
      }
      return new OntapRestServer(this);
    }
  }

  /**
   * Starts serving.
   *
   * @throws IllegalStateException if the server cannot start
   */
  public void start() {
    try {
      server.start();
    } catch (Exception e) {
      throw new IllegalStateException("the REST server did not start: " + e.getMessage(), e);
    }
  }

  /**
   * The port listened on.
   *
   * @return the bound TCP port, never 0
   */
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * {@code https://host:port}, with IPv6 hosts in brackets.
   *
   * @return the URI clients prefix to {@code /api/...}
   */
  public URI baseUri() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("https://" + h + ":" + port());
  }

  /** Stops accepting, lets requests in flight finish (up to the stop timeout), then closes every connection. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // Stopping is best effort: whatever did not stop in time is closed with the process.
      java.util.logging.Logger.getLogger(OntapRestServer.class.getName())
          .warning("stopping the REST server: " + e.getClass().getName());
    }
  }

  /**
   * The engine this server exposes: the one given, or the one its {@link EngineFactory} made.
   *
   * @return the engine
   */
  public KmsEngine engine() {
    return engine;
  }

  /** The connections open now, for tests. */
  int openConnections() {
    return guard.openConnections();
  }

  @Override
  public String toString() {
    return "OntapRestServer[" + baseUri() + "]";
  }
}
