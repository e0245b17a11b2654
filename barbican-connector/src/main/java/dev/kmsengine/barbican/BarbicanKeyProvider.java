package dev.kmsengine.barbican;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystone.KeystoneAuthenticator;
import dev.kmsengine.keystone.Token;
import dev.kmsengine.keystone.TokenCache;
import dev.kmsengine.transport.HttpRequest;
import dev.kmsengine.transport.HttpResponse;
import dev.kmsengine.transport.HttpsClient;
import dev.kmsengine.transport.NodeNetwork;
import dev.kmsengine.transport.RetryPolicy;
import dev.kmsengine.transport.TransportException;
import dev.kmsengine.transport.TransportSettings;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The top-level KEK from OpenStack Barbican, authenticated with a Keystone v3 application credential.
 *
 * <p>Per call: a token from the {@link TokenCache} (one Keystone request however many callers, renewed
 * {@linkplain Builder#refreshMargin before expiry}), the secret's metadata ({@code GET key_id}, checked to be an
 * active, unexpired 256-bit AES key), then its payload ({@code GET key_id/payload} with
 * {@code Accept: application/octet-stream}, exactly 32 bytes). A 401 from Barbican drops the token and retries
 * once with a new one, never more. With a {@linkplain Builder#kekCacheTtl KEK cache} the key is fetched once per
 * node and target and kept, zeroised on eviction, for a bounded time.
 *
 * <p>Transport is per configuration and built once per distinct {@link TransportSettings}: HTTPS only,
 * {@code verify}, {@code verify_host}, extra trusted CAs, {@code http}/{@code https} proxies with Basic
 * authentication, the configuration's {@code timeout} on each attempt and retries by {@link RetryPolicy}. No
 * JVM-wide system property is read or set.
 *
 * <p>Errors are {@link KekException}s whose message names the failed request (method and URL), the HTTP status
 * and the server's short description, and never a secret, token or key byte. Thread-safe.
 */
public final class BarbicanKeyProvider implements TopLevelKeyProvider {
  private static final Logger LOG = Logger.getLogger(BarbicanKeyProvider.class.getName());
  private static final String OCTET_STREAM = "application/octet-stream";

  private final Clock clock;
  private final List<String> trustedCaPems;
  private final NodeNetwork network;
  private final RetryPolicy retry;
  private final KeystoneAuthenticator keystone;
  private final TokenCache tokens;
  private final KekCache keks;
  private final Cache<TransportSettings, HttpsClient> clients;
  private final Map<UUID, Target> lastTarget = new ConcurrentHashMap<>();
  private final AtomicLong tokenRequests = new AtomicLong();
  private final AtomicLong metadataRequests = new AtomicLong();
  private final AtomicLong payloadRequests = new AtomicLong();

  private BarbicanKeyProvider(Builder b) {
    this.clock = b.clock;
    this.trustedCaPems = List.copyOf(b.trustedCaPems);
    this.network = b.network;
    this.retry = b.retry;
    this.keystone = new KeystoneAuthenticator(clock);
    this.tokens = b.tokenCache != null ? b.tokenCache : new TokenCache(clock, b.refreshMargin, b.tokenCacheSize);
    this.keks = b.kekCacheTtl.isZero() ? null : new KekCache(clock, b.kekCacheTtl, b.kekCacheSize);
    this.clients = Caffeine.newBuilder().maximumSize(b.clientCacheSize).build();
  }

  /**
   * A builder with the defaults listed on each setter.
   *
   * @return a builder; {@link Builder#build()} makes the provider
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public KeyMaterial fetchKey(String node, BarbicanConnection connection) throws KekException {
    Target t = resolve(connection);
    if (keks == null) {
      return fetchUncached(node, t);
    }
    return keks.get(new KekCache.Key(node, t), () -> fetchUncached(node, t));
  }

  @Override
  public void checkReachability(String node, BarbicanConnection connection) throws KekException {
    Target t = resolve(connection);
    readMetadata(node, t);
  }

  @Override
  public void invalidate(UUID configurationUuid) {
    Target old = lastTarget.remove(configurationUuid);
    if (old != null) {
      drop(old);
    }
  }

  /**
   * Drops (and zeroises) every cached KEK, on every node and for every configuration, keeping tokens: the next
   * fetch asks Barbican again. A simulator calls it when it changes the network or injects a fault, so that the
   * next operation meets the fault instead of a key cached before it.
   */
  public void forgetCachedKeys() {
    if (keks != null) {
      keks.invalidateAll();
    }
  }

  /**
   * Requests made so far, for tests and monitoring.
   *
   * @return a snapshot of the request counters
   */
  public Stats stats() {
    return new Stats(tokenRequests.get(), metadataRequests.get(), payloadRequests.get());
  }

  /**
   * Counts of requests this provider has sent (each counted once however many times the transport retried it).
   *
   * @param tokenRequests Keystone token requests
   * @param metadataRequests Barbican metadata GETs
   * @param payloadRequests Barbican payload GETs
   */
  public record Stats(long tokenRequests, long metadataRequests, long payloadRequests) {}

  private Target resolve(BarbicanConnection c) throws KekException {
    Target t;
    try {
      t = Target.of(c, trustedCaPems);
    } catch (IllegalArgumentException e) {
      throw new KekException(KekFailure.UNREACHABLE, "configuration " + c.configurationUuid() + ": "
          + e.getMessage());
    }
    Target previous = lastTarget.put(c.configurationUuid(), t);
    if (previous != null && !previous.equals(t)) {
      drop(previous);
    }
    return t;
  }

  private void drop(Target t) {
    tokens.invalidate(t.tokenKey());
    if (keks != null) {
      keks.invalidate(t);
    }
  }

  private KeyMaterial fetchUncached(String node, Target t) throws KekException {
    readMetadata(node, t);
    payloadRequests.incrementAndGet();
    HttpResponse r = barbicanGet(node, t, t.payloadUrl(), OCTET_STREAM);
    String what = "Barbican GET " + HttpRequest.redacted(t.payloadUrl());
    try {
      requireOk(r, what);
      byte[] body = r.body();
      if (body.length != KeyMaterial.LENGTH) {
        throw new KekException(KekFailure.WRONG_KEY_TYPE,
            what + " returned " + body.length + " bytes, not a 256-bit AES key");
      }
      LOG.log(Level.FINE, "{0}: fetched the KEK for node {1}", new Object[] {what, node});
      return KeyMaterial.copyOf(body);
    } finally {
      r.wipe();
    }
  }

  private void readMetadata(String node, Target t) throws KekException {
    metadataRequests.incrementAndGet();
    HttpResponse r = barbicanGet(node, t, t.secretUrl(), "application/json");
    String what = "Barbican GET " + HttpRequest.redacted(t.secretUrl());
    requireOk(r, what);
    SecretMetadata.parse(r.body(), what).requireUsableAesKey(clock.instant(), what);
  }

  /** A GET with a token, renewing the token once if Barbican answers 401. */
  private HttpResponse barbicanGet(String node, Target t, URI url, String accept) throws KekException {
    HttpsClient client;
    try {
      client = clients.get(t.transport(), s -> new HttpsClient(s, network, retry));
    } catch (IllegalArgumentException e) {
      throw new KekException(KekFailure.UNREACHABLE, "Barbican GET " + HttpRequest.redacted(url) + ": "
          + e.getMessage(), e);
    }
    for (int round = 0; ; round++) {
      Token token = tokens.get(t.tokenKey(), () -> {
        tokenRequests.incrementAndGet();
        return keystone.authenticate(client, node, t.tokensUrl(), t.credentialId(), t.credentialSecret());
      });
      HttpRequest request = HttpRequest.get(url,
          List.of(Map.entry("X-Auth-Token", token.reveal()), Map.entry("Accept", accept)));
      HttpResponse response;
      try {
        response = client.execute(node, request);
      } catch (TransportException e) {
        throw new KekException(
            e.kind() == TransportException.Kind.TIMEOUT ? KekFailure.TIMEOUT : KekFailure.UNREACHABLE,
            "Barbican " + e.getMessage(), e);
      }
      if (response.status() != 401 || round > 0) {
        return response;
      }
      LOG.log(Level.INFO, "Barbican {0} rejected the Keystone token (401); renewing it once",
          request.describe());
      response.wipe();
      tokens.invalidate(t.tokenKey(), token);
    }
  }

  private static void requireOk(HttpResponse r, String what) throws KekException {
    int s = r.status();
    if (s == 200) {
      return;
    }
    String msg = what + " returned " + r.summary();
    if (s == 401) {
      throw new KekException(KekFailure.AUTHENTICATION, msg + " (a freshly issued Keystone token was rejected too)");
    }
    if (s == 403) {
      throw new KekException(KekFailure.AUTHENTICATION,
          msg + " (the application credential's user may not read this secret)");
    }
    if (s == 404) {
      throw new KekException(KekFailure.KEY_NOT_FOUND, msg);
    }
    if (s == 406) {
      throw new KekException(KekFailure.WRONG_KEY_TYPE, msg + " (the secret has no binary payload)");
    }
    throw new KekException(KekFailure.UNREACHABLE, msg);
  }

  @Override
  public String toString() {
    return "BarbicanKeyProvider[" + tokens + ", kek cache " + (keks == null ? "off" : keks.size() + " keys") + "]";
  }

  /** Configures a {@link BarbicanKeyProvider}; each setter documents its default. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration refreshMargin = Duration.ofSeconds(120);
    private long tokenCacheSize = 1_000;
    private TokenCache tokenCache;
    private Duration kekCacheTtl = Duration.ZERO;
    private long kekCacheSize = 10_000;
    private long clientCacheSize = 256;
    private final List<String> trustedCaPems = new ArrayList<>();
    private NodeNetwork network = NodeNetwork.direct();
    private RetryPolicy retry = RetryPolicy.DEFAULT;

    private Builder() {}

    /**
     * The clock for token renewal, secret expiration and the KEK cache. If unset, the system UTC clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    /**
     * How long before expiry a token is renewed. If unset, 120 s (keystoneauth's margin). A token whose whole
     * lifetime is shorter than twice the margin is renewed half-way through its life.
     *
     * @param margin the renewal margin; not negative
     * @return this builder
     * @throws IllegalArgumentException if {@code margin} is negative
     */
    public Builder refreshMargin(Duration margin) {
      Objects.requireNonNull(margin, "margin == null");
      if (margin.isNegative()) {
        throw new IllegalArgumentException("margin < 0");
      }
      this.refreshMargin = margin;
      return this;
    }

    /**
     * The most tokens kept. If unset, 1,000.
     *
     * @param size the cache's capacity in tokens, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is below 1
     */
    public Builder tokenCacheSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("tokenCacheSize < 1");
      }
      this.tokenCacheSize = size;
      return this;
    }

    /**
     * Keeps Keystone tokens in {@code cache}, which other providers may share, so that providers with the same
     * credential and transport settings ask Keystone once between them. If unset, the provider has a cache of its
     * own of {@link #tokenCacheSize} tokens renewed {@link #refreshMargin} before expiry; a given cache brings its
     * own clock, size and margin instead.
     *
     * @param cache the token cache
     * @return this builder
     */
    public Builder tokenCache(TokenCache cache) {
      this.tokenCache = Objects.requireNonNull(cache, "cache == null");
      return this;
    }

    /**
     * How long a fetched KEK is kept per node and configuration; {@link Duration#ZERO} turns the cache off. If
     * unset, off: every {@code fetchKey} asks Barbican.
     *
     * @param ttl the time a KEK stays cached; not negative
     * @return this builder
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    public Builder kekCacheTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl == null");
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("kekCacheTtl < 0");
      }
      this.kekCacheTtl = ttl;
      return this;
    }

    /**
     * The most KEKs kept when the KEK cache is on. If unset, 10,000.
     *
     * @param size the cache's capacity in KEKs, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is below 1
     */
    public Builder kekCacheSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("kekCacheSize < 1");
      }
      this.kekCacheSize = size;
      return this;
    }

    /**
     * Trusts the CA certificates in {@code pem} for every configuration, in addition to the JDK's default CAs.
     * If unset, only the JDK's default CAs are trusted.
     *
     * @param pem one or more CA certificates in PEM; each call adds to the earlier ones
     * @return this builder
     */
    public Builder trustedCaPem(String pem) {
      this.trustedCaPems.add(Objects.requireNonNull(pem, "pem == null"));
      return this;
    }

    /**
     * How nodes open TCP connections. If unset, {@link NodeNetwork#direct()}.
     *
     * @param network the per-node connection factory
     * @return this builder
     */
    public Builder network(NodeNetwork network) {
      this.network = Objects.requireNonNull(network, "network == null");
      return this;
    }

    /**
     * When idempotent requests are retried. If unset, {@link RetryPolicy#DEFAULT}.
     *
     * @param retry the retry policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry == null");
      return this;
    }

    /**
     * The provider.
     *
     * @return the provider, ready for {@link dev.kmsengine.KmsEngine.Builder#keyProvider}
     */
    public BarbicanKeyProvider build() {
      return new BarbicanKeyProvider(this);
    }
  }
}
