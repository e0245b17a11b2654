package dev.kmsengine.emulator;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.tls.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * An embeddable Keystone + Barbican for tests and simulators: two HTTPS servers on 127.0.0.1 (the JDK's
 * {@code HttpsServer}) with a certificate from a private {@link CertificateAuthority}, that answer the requests
 * the connector makes in the shapes the real servers use.
 *
 * <ul>
 *   <li>Keystone: {@code POST /v3/auth/tokens} with an application credential; 201 with {@code X-Subject-Token},
 *       401 for a wrong secret, 404 for an unknown credential id. Token lifetime is {@linkplain
 *       Builder#tokenLifetime settable}.
 *   <li>Barbican: {@code GET /v1/secrets/{uuid}} (metadata), {@code GET /v1/secrets/{uuid}/payload} (raw
 *       bytes; 406 for a non-binary {@code Accept}), {@code DELETE /v1/secrets/{uuid}}; 401 for a missing,
 *       unknown or expired token; 404 for an unknown, deleted or expired secret.
 *   <li>Faults: {@linkplain #latency latency}, {@linkplain #failBarbican 5xx}, {@linkplain #rejectValidTokens 401
 *       on a valid token}, {@linkplain #expireAllTokens token expiry}, {@linkplain #refuseConnections connection
 *       refused}, {@linkplain #deleteSecret secret deleted}.
 *   <li>Counters of token, metadata and payload requests.
 *   <li>With a {@linkplain Builder#dataDirectory data directory}, the CA, credentials, secrets and ports are
 *       saved there, so a restarted emulator serves the same key at the same URL to clients that trust the same
 *       CA.
 * </ul>
 *
 * <p>Build with {@code OpenStackEmulator.builder()....start()}; close to stop both servers. Thread-safe.
 */
public final class OpenStackEmulator implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final Clock clock;
  private final CertificateAuthority ca;
  private final SSLContext serverTls;
  private final EmulatorState state;
  private final Faults faults = new Faults();
  private final KeystoneHandler keystone;
  private final BarbicanHandler barbican;
  private final String host;
  private volatile Duration tokenLifetime;
  private HttpsServer keystoneServer;
  private HttpsServer barbicanServer;
  private ExecutorService executor;

  private OpenStackEmulator(Builder b) throws IOException {
    this.clock = b.clock;
    this.tokenLifetime = b.tokenLifetime;
    this.host = LOOPBACK.getHostAddress();
    Path caDir = b.dataDir == null ? null : b.dataDir.resolve("ca");
    if (caDir != null && Files.exists(caDir.resolve("ca.pem"))) {
      this.ca = CertificateAuthority.load(caDir);
    } else {
      this.ca = CertificateAuthority.create("kms-engine OpenStack emulator CA");
      if (caDir != null) {
        ca.save(caDir);
      }
    }
    this.serverTls = ca.issueServer(b.serverNames).serverContext();
    this.state = EmulatorState.load(b.dataDir == null ? null : b.dataDir.resolve("state.json"));
    if (b.keystonePort != 0 || state.keystonePort == 0) {
      state.keystonePort = b.keystonePort;
    }
    if (b.barbicanPort != 0 || state.barbicanPort == 0) {
      state.barbicanPort = b.barbicanPort;
    }
    this.keystone = new KeystoneHandler(state, faults, clock, () -> tokenLifetime);
    this.barbican = new BarbicanHandler(state, faults, clock, this::barbicanUrl, () -> keystoneUrl());
    listen();
    state.save();
  }

  /**
   * A builder with the defaults listed on each setter.
   *
   * @return a builder; {@link Builder#start()} starts the emulator
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Worker threads of both servers. Injected latency sleeps on a worker, so too few workers would turn "the network
   * is slow" into "the server is out of threads" (a 16-node restore used to queue in two waves behind 8 workers);
   * 64 matches the listen backlog and the 64-caller contention benchmark, and still bounds a runaway test.
   */
  private static final int WORKERS = 64;

  private synchronized void listen() throws IOException {
    executor = Executors.newFixedThreadPool(WORKERS, r -> {
      Thread t = new Thread(r, "openstack-emulator");
      t.setDaemon(true);
      return t;
    });
    keystoneServer = server(state.keystonePort);
    keystoneServer.createContext("/", keystone);
    barbicanServer = server(state.barbicanPort);
    barbicanServer.createContext("/", barbican);
    keystoneServer.start();
    barbicanServer.start();
    state.keystonePort = keystoneServer.getAddress().getPort();
    state.barbicanPort = barbicanServer.getAddress().getPort();
  }

  private HttpsServer server(int port) throws IOException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress(LOOPBACK, port), 64);
    s.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    s.setExecutor(executor);
    return s;
  }

  private synchronized void unlisten() {
    if (keystoneServer != null) {
      keystoneServer.stop(0);
      barbicanServer.stop(0);
      executor.shutdownNow();
      keystoneServer = null;
      barbicanServer = null;
    }
  }

  /**
   * Keystone's base URL, {@code https://127.0.0.1:PORT/v3}; the token URL is this plus {@code /auth/tokens}.
   *
   * @return Keystone's base URL, the {@code keystone_url} of a configuration
   */
  public String keystoneUrl() {
    return "https://" + host + ":" + state.keystonePort + "/v3";
  }

  /**
   * Barbican's base URL, {@code https://127.0.0.1:PORT}.
   *
   * @return Barbican's base URL; secret URLs start with it
   */
  public String barbicanUrl() {
    return "https://" + host + ":" + state.barbicanPort;
  }

  /**
   * The CA certificate clients must trust, in PEM.
   *
   * @return the CA certificate in PEM
   */
  public String caCertificatePem() {
    return ca.certificatePem();
  }

  /**
   * The emulator's CA, e.g. to issue certificates for other loopback servers of the same test.
   *
   * @return the CA that issued the emulator's server certificate
   */
  public CertificateAuthority certificateAuthority() {
    return ca;
  }

  /**
   * Creates an application credential with a random id and secret.
   *
   * @return the credential; its secret is redacted in {@code toString()}
   */
  public ApplicationCredential createApplicationCredential() {
    byte[] s = new byte[24];
    RANDOM.nextBytes(s);
    return addApplicationCredential(UUID.randomUUID().toString().replace("-", ""), HexFormat.of().formatHex(s));
  }

  /**
   * Adds (or replaces) an application credential.
   *
   * @param id the credential id
   * @param secret the credential secret
   * @return the credential; its secret is redacted in {@code toString()}
   */
  public ApplicationCredential addApplicationCredential(String id, String secret) {
    state.credentials.put(Objects.requireNonNull(id, "id == null"), Objects.requireNonNull(secret, "secret == null"));
    state.save();
    return new ApplicationCredential(id, Secret.of(secret));
  }

  /**
   * Deletes an application credential; tokens issued for it stop working, as in Keystone.
   *
   * @param id the credential id; an unknown id is ignored
   */
  public void deleteApplicationCredential(String id) {
    state.credentials.remove(id);
    state.save();
  }

  /**
   * Stores a random AES-256 key as a {@code symmetric} secret and returns its URL (the {@code key_id}).
   *
   * @return the secret's URL
   */
  public String createSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return createSecret(key, "symmetric", "aes", 256, null);
  }

  /**
   * Stores any secret, e.g. a wrong-sized or non-AES one for error tests, and returns its URL.
   *
   * @param expiration when it stops being available, or {@code null} for never
   * @param payload the secret bytes, copied
   * @param secretType Barbican's {@code secret_type}, e.g. {@code symmetric} or {@code opaque}
   * @param algorithm Barbican's {@code algorithm}, e.g. {@code aes}
   * @param bitLength Barbican's {@code bit_length}, as reported in the metadata (not checked against the payload)
   * @return the secret's URL
   */
  public String createSecret(byte[] payload, String secretType, String algorithm, int bitLength,
      Instant expiration) {
    String uuid = UUID.randomUUID().toString();
    state.secrets.put(uuid, new StoredSecret(payload.clone(), secretType, algorithm, bitLength, expiration,
        clock.instant()));
    state.save();
    return barbicanUrl() + "/v1/secrets/" + uuid;
  }

  /**
   * A copy of the payload of the secret at {@code secretUrl}, for tests to compare; {@code null} if absent.
   *
   * @param secretUrl the URL {@link #createSecret()} returned
   * @return a copy of the payload, or {@code null} if there is no such secret
   */
  public byte[] secretPayload(String secretUrl) {
    StoredSecret s = state.secrets.get(uuidOf(secretUrl));
    return s == null ? null : s.payload().clone();
  }

  /**
   * Deletes the secret at {@code secretUrl}; later requests for it get 404.
   *
   * @param secretUrl the URL {@link #createSecret()} returned
   */
  public void deleteSecret(String secretUrl) {
    StoredSecret s = state.secrets.remove(uuidOf(secretUrl));
    if (s != null) {
      java.util.Arrays.fill(s.payload(), (byte) 0);
    }
    state.save();
  }

  /**
   * Sets the lifetime of tokens issued from now on.
   *
   * @param lifetime how long each new token is valid
   */
  public void tokenLifetime(Duration lifetime) {
    this.tokenLifetime = positive(lifetime);
  }

  /**
   * Delays every request by {@code latency} ({@link Duration#ZERO} to stop).
   *
   * @param latency the delay added to every request; {@link Duration#ZERO} for none
   */
  public void latency(Duration latency) {
    faults.latency = Objects.requireNonNull(latency, "latency == null");
  }

  /**
   * Answers the next {@code count} Keystone token requests with {@code status} (e.g. 503).
   *
   * @param count how many token requests fail
   * @param status the HTTP status they get
   */
  public void failKeystone(int count, int status) {
    faults.keystoneFailureStatus = status;
    faults.keystoneFailures.set(count);
  }

  /**
   * Answers the next {@code count} authenticated Barbican requests with {@code status} (e.g. 500, 503).
   *
   * @param count how many Barbican requests fail
   * @param status the HTTP status they get
   */
  public void failBarbican(int count, int status) {
    faults.barbicanFailureStatus = status;
    faults.barbicanFailures.set(count);
  }

  /**
   * Answers the next {@code count} Barbican requests with 401 although their token is valid.
   *
   * @param count how many Barbican requests are rejected
   */
  public void rejectValidTokens(int count) {
    faults.rejectedTokens.set(count);
  }

  /** Expires every token issued so far, as if their lifetime had passed. */
  public void expireAllTokens() {
    state.tokens.clear();
  }

  /**
   * Stops listening ({@code true}), so connections are refused, or listens again on the same ports
   * ({@code false}).
   *
   * @param refuse {@code true} to refuse connections, {@code false} to accept them again
   */
  public void refuseConnections(boolean refuse) {
    if (refuse) {
      unlisten();
    } else {
      synchronized (this) {
        if (keystoneServer == null) {
          try {
            listen();
          } catch (IOException e) {
            throw new UncheckedIOException("could not listen again on the same ports", e);
          }
        }
      }
    }
  }

  /**
   * Token requests received (every {@code POST /v3/auth/tokens}).
   *
   * @return the number of token requests since start
   */
  public long tokenRequests() {
    return keystone.tokenRequests.get();
  }

  /**
   * Metadata GETs received.
   *
   * @return the number of secret metadata requests since start
   */
  public long metadataRequests() {
    return barbican.metadataRequests.get();
  }

  /**
   * Payload GETs received.
   *
   * @return the number of secret payload requests since start
   */
  public long payloadRequests() {
    return barbican.payloadRequests.get();
  }

  /** Sets every request counter back to zero. */
  public void resetCounters() {
    keystone.tokenRequests.set(0);
    barbican.metadataRequests.set(0);
    barbican.payloadRequests.set(0);
  }

  /** Stops both servers. */
  @Override
  public void close() {
    unlisten();
  }

  private static String uuidOf(String secretUrl) {
    String u = secretUrl.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u.substring(u.lastIndexOf('/') + 1);
  }

  private static Duration positive(Duration d) {
    Objects.requireNonNull(d, "duration == null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("duration <= 0");
    }
    return d;
  }

  @Override
  public String toString() {
    return "OpenStackEmulator[keystone " + keystoneUrl() + ", barbican " + barbicanUrl() + ", "
        + state.secrets.size() + " secrets]";
  }

  /**
   * An application credential to configure: its id and secret.
   *
   * @param id the credential id
   * @param secret the credential secret
   */
  public record ApplicationCredential(String id, Secret secret) {}

  /** Configures an {@link OpenStackEmulator}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration tokenLifetime = Duration.ofHours(1);
    private List<String> serverNames = List.of("localhost", "127.0.0.1");
    private Path dataDir;
    private int keystonePort;
    private int barbicanPort;

    private Builder() {}

    /**
     * The clock for token and secret expiry. If unset, the system UTC clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    /**
     * The lifetime of issued tokens. If unset, one hour (Keystone's default).
     *
     * @param lifetime how long each token is valid; positive
     * @return this builder
     */
    public Builder tokenLifetime(Duration lifetime) {
      this.tokenLifetime = positive(lifetime);
      return this;
    }

    /**
     * The DNS names and IP addresses in the servers' certificate. If unset, {@code localhost} and
     * {@code 127.0.0.1}. Leave {@code 127.0.0.1} out to test host-name checks.
     *
     * @param names DNS names and IP literals
     * @return this builder
     */
    public Builder serverNames(List<String> names) {
      this.serverNames = List.copyOf(names);
      return this;
    }

    /**
     * Saves the CA, credentials, secrets and ports in {@code dir} and reloads them on the next start. If unset,
     * everything lives in memory only.
     *
     * @param dir the directory for the emulator's state file
     * @return this builder
     */
    public Builder dataDirectory(Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dir == null");
      return this;
    }

    /**
     * Keystone's port. If unset, the saved port, else any free port.
     *
     * @param port the TCP port on 127.0.0.1, or 0 for any free port
     * @return this builder
     */
    public Builder keystonePort(int port) {
      this.keystonePort = port;
      return this;
    }

    /**
     * Barbican's port. If unset, the saved port, else any free port.
     *
     * @param port the TCP port on 127.0.0.1, or 0 for any free port
     * @return this builder
     */
    public Builder barbicanPort(int port) {
      this.barbicanPort = port;
      return this;
    }

    /**
     * Starts the emulator.
     *
     * @return the running emulator; close it to stop both servers
     * @throws IOException if a port cannot be bound or the data directory cannot be read or written
     */
    public OpenStackEmulator start() throws IOException {
      return new OpenStackEmulator(this);
    }
  }
}
