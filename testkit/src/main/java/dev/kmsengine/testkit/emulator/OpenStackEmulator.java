package dev.kmsengine.testkit.emulator;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.tls.CertificateAuthority;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * An embeddable Keystone + Barbican for tests and simulators: two HTTPS servers on 127.0.0.1 (the JDK's
 * {@code HttpsServer}) with a certificate from a private {@link CertificateAuthority}, that answer OpenStack's own
 * clients (the {@code openstack} CLI, python-barbicanclient, castellan) and the connector in the shapes the real
 * servers use. {@code OpenStackSideBySideTest} runs one script of such calls against it and against the real servers
 * and checks every outcome is the same.
 *
 * <ul>
 *   <li>Keystone: the version documents at {@code /} (300) and {@code /v3}; {@code POST /v3/auth/tokens} with an
 *       application credential (201 with {@code X-Subject-Token} and a service catalog of identity and key-manager
 *       endpoints, public, internal and admin, unless {@code ?nocatalog}; 401 for a wrong secret or a method other
 *       than {@code application_credential}; 404 for an unknown credential id); {@code GET}/{@code HEAD} (validate)
 *       and {@code DELETE} (revoke) {@code /v3/auth/tokens}. Token lifetime is {@linkplain Builder#tokenLifetime
 *       settable}.
 *   <li>Barbican: the version documents at {@code /} (300) and {@code /v1}; {@code /v1/secrets} store (with or
 *       without payload), list ({@code limit}, {@code offset}, {@code name}, {@code alg}, {@code bits}, {@code mode},
 *       {@code secret_type}), metadata, payload (Accept negotiated as Barbican does) and delete; {@code /v1/orders}
 *       of type {@code key}, fulfilled at once; 401 for a missing, unknown, expired or revoked token (a revoked one
 *       only once the {@linkplain #tokenCacheTime token cache} lets go of it); 403 as Barbican's legacy policy gives
 *       it (roles {@code observer}, {@code creator}, {@code admin}; resources of the token's project only); 404
 *       for an unknown, deleted or expired secret, or an id that is not a v4 UUID.
 *   <li>Projects and application credentials with chosen roles: {@link #addProject}, {@link
 *       #createApplicationCredential(Project, List)}.
 *   <li>Faults: {@linkplain #latency latency}, {@linkplain #failBarbican 5xx}, {@linkplain #rejectValidTokens 401
 *       on a valid token}, {@linkplain #expireAllTokens token expiry}, {@linkplain #refuseConnections connection
 *       refused}, {@linkplain #deleteSecret secret deleted}.
 *   <li>Counters of token, metadata and payload requests.
 *   <li>With a {@linkplain Builder#dataDirectory data directory}, the CA, projects, credentials, secrets and ports
 *       are saved there, so a restarted emulator serves the same key at the same URL to clients that trust the same
 *       CA.
 * </ul>
 *
 * <p>Build with {@code OpenStackEmulator.builder()....start()}, or let {@code OpenStackEmulatorExtension} do it in a
 * JUnit 5 test; close to stop both servers. Thread-safe.
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
    this.keystone = new KeystoneHandler(state, faults, clock, () -> tokenLifetime, this::keystoneUrl,
        this::barbicanUrl);
    this.barbican = new BarbicanHandler(state, faults, clock, keystone, this::barbicanUrl, this::keystoneUrl);
    barbican.tokenCacheTime = b.tokenCacheTime;
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
   * The project of {@link #createApplicationCredential()} and {@link #createSecret()}.
   *
   * @return the default project, named {@code emulated-project}
   */
  public Project defaultProject() {
    return new Project(state.defaultProjectId, state.projects.get(state.defaultProjectId));
  }

  /**
   * Every project, the default one first.
   *
   * @return the projects
   */
  public List<Project> projects() {
    List<Project> out = new ArrayList<>();
    out.add(defaultProject());
    state.projects.forEach((id, name) -> {
      if (!id.equals(state.defaultProjectId)) {
        out.add(new Project(id, name));
      }
    });
    return out;
  }

  /**
   * Adds a project with a new id, for credentials whose tokens must not see the default project's secrets.
   *
   * @param name the project's name
   * @return the new project
   */
  public Project addProject(String name) {
    String id = EmulatorState.hexId();
    state.projects.put(id, Objects.requireNonNull(name, "name == null"));
    state.save();
    return new Project(id, name);
  }

  /**
   * Creates an application credential with a random id and secret, on the default project with role
   * {@code creator}.
   *
   * @return the credential; its secret is redacted in {@code toString()}
   */
  public ApplicationCredential createApplicationCredential() {
    return createApplicationCredential(defaultProject(), EmulatorState.DEFAULT_ROLES);
  }

  /**
   * Creates an application credential with a random id and secret whose tokens are scoped to {@code project} and
   * carry {@code roles}; Barbican's policy looks at {@code observer}, {@code creator} and {@code admin} only, so
   * {@code List.of("member")} makes a credential that Barbican answers with 403.
   *
   * @param project the project, from {@link #defaultProject()} or {@link #addProject}
   * @param roles role names, possibly empty
   * @return the credential; its secret is redacted in {@code toString()}
   */
  public ApplicationCredential createApplicationCredential(Project project, List<String> roles) {
    byte[] s = new byte[24];
    RANDOM.nextBytes(s);
    return addApplicationCredential(EmulatorState.hexId(), HexFormat.of().formatHex(s), project, roles);
  }

  /**
   * Adds (or replaces) an application credential on the default project with role {@code creator}.
   *
   * @param id the credential id
   * @param secret the credential secret
   * @return the credential; its secret is redacted in {@code toString()}
   */
  public ApplicationCredential addApplicationCredential(String id, String secret) {
    return addApplicationCredential(id, secret, defaultProject(), EmulatorState.DEFAULT_ROLES);
  }

  /**
   * Adds (or replaces) an application credential with a given id and secret, project and roles.
   *
   * @param id the credential id
   * @param secret the credential secret
   * @param project the project its tokens are scoped to
   * @param roles the role names its tokens carry
   * @return the credential; its secret is redacted in {@code toString()}
   * @throws IllegalArgumentException if the project is not one of this emulator's
   */
  public ApplicationCredential addApplicationCredential(String id, String secret, Project project,
      List<String> roles) {
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(secret, "secret == null");
    if (!state.projects.containsKey(project.id())) {
      throw new IllegalArgumentException("unknown project " + project.id());
    }
    Credential c = new Credential(id, id, secret, project.id(), roles);
    state.credentials.put(id, c);
    state.save();
    return new ApplicationCredential(id, Secret.of(secret), project.id(), c.roles());
  }

  /**
   * Deletes an application credential; tokens issued for it stop working, as in Keystone (at Barbican once the
   * {@linkplain #tokenCacheTime token cache} lets go of them).
   *
   * @param id the credential id; an unknown id is ignored
   */
  public void deleteApplicationCredential(String id) {
    state.credentials.remove(id);
    state.save();
  }

  /**
   * How long Barbican keeps accepting a token it has validated, though it was revoked or its credential deleted
   * since: keystonemiddleware's {@code token_cache_time}, 300 s on a real Barbican. Expiry is always honoured.
   *
   * @param cacheTime the cache time; {@link Duration#ZERO} (the default) re-validates every request
   */
  public void tokenCacheTime(Duration cacheTime) {
    barbican.tokenCacheTime = nonNegative(cacheTime);
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
    String uuid = barbican.secrets().store(new StoredSecret("emulated-secret", state.defaultProjectId, state.userId,
        payload.clone(), "application/octet-stream", secretType, algorithm, bitLength, "cbc", expiration,
        clock.instant()));
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
    return s == null || s.payload() == null ? null : s.payload().clone();
  }

  /**
   * Deletes the secret at {@code secretUrl}; later requests for it get 404.
   *
   * @param secretUrl the URL {@link #createSecret()} returned
   */
  public void deleteSecret(String secretUrl) {
    barbican.secrets().delete(uuidOf(secretUrl));
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

  private static Duration nonNegative(Duration d) {
    Objects.requireNonNull(d, "duration == null");
    if (d.isNegative()) {
      throw new IllegalArgumentException("duration < 0");
    }
    return d;
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
   * An application credential to configure: its id and secret, and what its tokens carry.
   *
   * @param id the credential id
   * @param secret the credential secret
   * @param projectId the project its tokens are scoped to
   * @param roles the role names its tokens carry
   */
  public record ApplicationCredential(String id, Secret secret, String projectId, List<String> roles) {
    /**
     * Copies {@code roles}.
     *
     * @param id the credential id
     * @param secret the credential secret
     * @param projectId the project its tokens are scoped to
     * @param roles the role names its tokens carry
     */
    public ApplicationCredential {
      roles = List.copyOf(roles);
    }
  }

  /**
   * A Keystone project.
   *
   * @param id its 32-hex id
   * @param name its name
   */
  public record Project(String id, String name) {}

  /** Configures an {@link OpenStackEmulator}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration tokenLifetime = Duration.ofHours(1);
    private Duration tokenCacheTime = Duration.ZERO;
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
     * Barbican's token cache time; see {@link OpenStackEmulator#tokenCacheTime}. If unset, zero.
     *
     * @param cacheTime how long a validated token stays accepted though revoked; not negative
     * @return this builder
     */
    public Builder tokenCacheTime(Duration cacheTime) {
      this.tokenCacheTime = nonNegative(cacheTime);
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
