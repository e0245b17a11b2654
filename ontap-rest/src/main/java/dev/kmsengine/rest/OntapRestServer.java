package dev.kmsengine.rest;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.keystore.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * ONTAP's REST API for the Barbican KMS feature, served over HTTPS by the JDK's {@link HttpsServer}:
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
 * <p>Requests run on a fixed pool of threads; a request that waits for a job ({@code return_timeout}) holds one
 * for at most 120 s. Close to stop listening.
 */
public final class OntapRestServer implements AutoCloseable {
  private final HttpsServer server;
  private final ExecutorService executor;
  private final String host;

  private OntapRestServer(Builder b) throws IOException {
    Router router = new Router();
    JobReplies replies = new JobReplies(b.engine);
    new BarbicanKmsResource(b.engine, replies).register(router);
    new KeyStoresResource(b.engine, replies).register(router);
    new JobsResource(b.engine).register(router);
    new NodesResource(b.engine).register(router);
    new SvmsResource(b.engine).register(router);
    new VolumesResource(b.engine, replies).register(router);
    if (b.simulator != null) {
      new SimulatorResource(b.engine, b.simulator).register(router);
    }
    this.host = b.bind.getHostAddress();
    this.server = HttpsServer.create(new InetSocketAddress(b.bind, b.port), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(b.tls));
    server.createContext("/", new ApiHandler(router, new BasicAuth(b.username, b.password), b.maxBodyBytes));
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(b.threads, r -> {
      Thread t = new Thread(r, "ontap-rest-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
  }

  /**
   * A builder for a server over {@code engine}.
   *
   * @param engine the engine whose resources the server exposes
   * @return a builder; TLS and credentials are required
   */
  public static Builder builder(KmsEngine engine) {
    return new Builder(engine);
  }

  /** Configures an {@link OntapRestServer}. Not thread-safe. */
  public static final class Builder {
    private final KmsEngine engine;
    private SSLContext tls;
    private String username;
    private Secret password;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private int port;
    private int threads = 16;
    private int maxBodyBytes = 64 * 1024;
    private SimulatorControls simulator;

    private Builder(KmsEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
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
     * Request threads (default 16).
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
     * @throws IOException if the address cannot be bound
     */
    public OntapRestServer build() throws IOException {
      if (tls == null || username == null) {
        throw new IllegalStateException("tls and credentials are required");
      }
      return new OntapRestServer(this);
    }
  }

  /** Starts serving. */
  public void start() {
    server.start();
  }

  /**
   * The port listened on.
   *
   * @return the bound TCP port, never 0
   */
  public int port() {
    return server.getAddress().getPort();
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

  /** Stops listening, giving exchanges in flight a second to finish. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "OntapRestServer[" + baseUri() + "]";
  }
}
