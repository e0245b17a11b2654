package dev.kmsengine.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kmsengine.barbican.BarbicanKeyProvider;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystone.KeystoneUrls;
import dev.kmsengine.keystone.Token;
import dev.kmsengine.keystone.TokenCache;
import dev.kmsengine.keystone.TokenKey;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.transport.HttpRequest;
import dev.kmsengine.transport.HttpResponse;
import dev.kmsengine.transport.HttpsClient;
import dev.kmsengine.transport.NodeNetwork;
import dev.kmsengine.transport.RetryPolicy;
import dev.kmsengine.transport.TransportSettings;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connector against the REAL Keystone 22 and Barbican 15 from Debian and a REAL tinyproxy with Basic
 * authentication, all on loopback HTTPS, as started by {@code scripts/integration/up.sh}. Skipped when that
 * environment is absent, and failing instead under {@code KMS_CI=1}.
 */
class RealOpenStackIntegrationTest {
  /** A name that is in no certificate: the network hook below sends it to 127.0.0.1, like curl --resolve. */
  private static final String UNLISTED_NAME = "kms-it-unlisted.invalid";

  /** The longest token lifetime the expiry test waits out; up.sh sets 30 s. */
  private static final int MAX_WATCHED_LIFETIME_S = 120;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ItEnvironment env;
  private static String caPem;
  private static byte[] expectedKey;

  @BeforeAll
  static void environment() throws Exception {
    env = ItEnvironment.require();
    caPem = Files.readString(Path.of(env.get("CA_CERT")));
    expectedKey = Base64.getDecoder().decode(env.get("BARBICAN_KEY_B64"));
  }

  private static BarbicanConnection connection() {
    return connection(env.get("BARBICAN_KEY_ID"), env.get("KEYSTONE_URL"), env.get("APP_CRED_SECRET"), true);
  }

  private static BarbicanConnection connection(String keyId, String keystoneUrl, String secret, boolean verifyHost) {
    return new BarbicanConnection(UUID.randomUUID(), keyId, keystoneUrl, env.get("APP_CRED_ID"), Secret.of(secret),
        ProxyType.HTTP, "", 0, "", Secret.empty(), true, verifyHost, 30);
  }

  private static BarbicanConnection withVerify(BarbicanConnection c, boolean verify) {
    return new BarbicanConnection(c.configurationUuid(), c.keyId(), c.keystoneUrl(), c.applicationCredId(),
        c.applicationCredSecret(), c.proxyType(), c.proxyHost(), c.proxyPort(), c.proxyUsername(), c.proxyPassword(),
        verify, c.verifyHost(), c.timeoutSeconds());
  }

  private static BarbicanConnection viaProxy(BarbicanConnection c, String password) {
    return new BarbicanConnection(c.configurationUuid(), c.keyId(), c.keystoneUrl(), c.applicationCredId(),
        c.applicationCredSecret(), ProxyType.HTTP, env.get("KMS_IT_PROXY_HOST"), env.getInt("KMS_IT_PROXY_PORT"),
        env.get("KMS_IT_PROXY_USER"), Secret.of(password), true, true, 30);
  }

  private static BarbicanKeyProvider.Builder provider() {
    return BarbicanKeyProvider.builder().trustedCaPem(caPem);
  }

  private static KekException fails(KekFailure expected, Call call) {
    KekException e = assertThrows(KekException.class, call::run);
    assertEquals(expected, e.failure(), e.getMessage());
    return e;
  }

  private interface Call {
    void run() throws Exception;
  }

  @Test
  void happyPath_fetchesTheSecretsExactBytes_andReachabilityReadsNoPayload() throws Exception {
    BarbicanKeyProvider p = provider().build();
    try (KeyMaterial k = p.fetchKey("node1", connection())) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    p.checkReachability("node2", connection());
    BarbicanKeyProvider.Stats s = p.stats();
    assertEquals(1, s.payloadRequests());
    assertEquals(2, s.metadataRequests());
  }

  @Test
  void keystoneBaseUrl_andKeyIdWithTrailingSlash_areAccepted() throws Exception {
    BarbicanConnection c = connection(env.get("BARBICAN_KEY_ID") + "/",
        env.get("KEYSTONE_URL").replace("/auth/tokens", ""), env.get("APP_CRED_SECRET"), true);
    try (KeyMaterial k = provider().build().fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void wrongSecret_isRejectedByKeystone_asAuthentication() {
    KekException e = fails(KekFailure.AUTHENTICATION, () -> provider().build().fetchKey("node1",
        connection(env.get("BARBICAN_KEY_ID"), env.get("KEYSTONE_URL"), "wrong-secret", true)));
    assertTrue(e.getMessage().startsWith("Keystone POST " + env.get("KEYSTONE_URL") + " returned 401"),
        e.getMessage());
    assertTrue(e.getMessage().contains("requires authentication"), e.getMessage());
    assertTrue(!e.getMessage().contains(env.get("APP_CRED_SECRET")));
  }

  @Test
  void unknownCredentialId_isKeystone404_reportedAsAuthentication() {
    BarbicanConnection c = new BarbicanConnection(UUID.randomUUID(), env.get("BARBICAN_KEY_ID"),
        env.get("KEYSTONE_URL"), "00000000000000000000000000000000", Secret.of("x"), ProxyType.HTTP, "", 0, "",
        Secret.empty(), true, true, 30);
    KekException e = fails(KekFailure.AUTHENTICATION, () -> provider().build().fetchKey("node1", c));
    assertTrue(e.getMessage().contains("404") && e.getMessage().contains("Could not find Application Credential"),
        e.getMessage());
  }

  @Test
  void unknownSecretUuid_isKeyNotFound_withBarbicansDescription() {
    String missing = env.get("BARBICAN_URL") + "/v1/secrets/" + UUID.randomUUID();
    KekException e = fails(KekFailure.KEY_NOT_FOUND, () -> provider().build().fetchKey("node1",
        connection(missing, env.get("KEYSTONE_URL"), env.get("APP_CRED_SECRET"), true)));
    assertTrue(e.getMessage().contains("returned 404 Not Found: Secret not found."), e.getMessage());
  }

  @Test
  void deletedSecret_isKeyNotFound_andAWrongSizedSecretIsWrongKeyType() throws Exception {
    BarbicanKeyProvider p = provider().build();
    String aes256 = storeSecret(32, 256);
    p.fetchKey("node1", connection(aes256, env.get("KEYSTONE_URL"), env.get("APP_CRED_SECRET"), true)).destroy();
    barbican("DELETE", aes256, 204);
    fails(KekFailure.KEY_NOT_FOUND, () -> p.fetchKey("node1",
        connection(aes256, env.get("KEYSTONE_URL"), env.get("APP_CRED_SECRET"), true)));
    String aes128 = storeSecret(16, 128);
    try {
      KekException e = fails(KekFailure.WRONG_KEY_TYPE, () -> p.fetchKey("node1",
          connection(aes128, env.get("KEYSTONE_URL"), env.get("APP_CRED_SECRET"), true)));
      assertTrue(e.getMessage().contains("bit_length is 128"), e.getMessage());
    } finally {
      barbican("DELETE", aes128, 204);
    }
  }

  @Test
  void untrustedCa_isATlsFailure_neverRetried() {
    AtomicInteger connects = new AtomicInteger();
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().network((node, host, port, timeout) -> {
      connects.incrementAndGet();
      return NodeNetwork.direct().connect(node, host, port, timeout);
    }).build();
    KekException e = fails(KekFailure.UNREACHABLE, () -> p.fetchKey("node1", connection()));
    assertTrue(e.getMessage().contains("TLS with server"), e.getMessage());
    assertTrue(e.getMessage().contains("PKIX"), e.getMessage());
    assertEquals(1, connects.get());
  }

  @Test
  void nameNotInTheCertificate_failsWithVerifyHost_andWorksWithoutIt() throws Exception {
    NodeNetwork resolveToLoopback = (node, host, port, timeout) ->
        NodeNetwork.direct().connect(node, host.equals(UNLISTED_NAME) ? "127.0.0.1" : host, port, timeout);
    BarbicanKeyProvider p = provider().network(resolveToLoopback).retryPolicy(RetryPolicy.NONE).build();
    String keyId = swapHost(env.get("BARBICAN_KEY_ID"));
    String keystone = swapHost(env.get("KEYSTONE_URL"));
    KekException e = fails(KekFailure.UNREACHABLE, () -> p.fetchKey("node1",
        connection(keyId, keystone, env.get("APP_CRED_SECRET"), true)));
    assertTrue(e.getMessage().contains("TLS with server " + UNLISTED_NAME), e.getMessage());
    assertTrue(e.getMessage().contains("No subject alternative DNS name matching"), e.getMessage());
    try (KeyMaterial k = p.fetchKey("node1", connection(keyId, keystone, env.get("APP_CRED_SECRET"), false))) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void shortLivedKeystoneTokens_areRenewedAcrossExpiry_withoutAFailedCall() throws Exception {
    int lifetime = env.getInt("KMS_IT_TOKEN_LIFETIME");
    assertTrue(lifetime <= MAX_WATCHED_LIFETIME_S, "this test watches a token expire, so up.sh must shorten Keystone's"
        + " token lifetime to at most " + MAX_WATCHED_LIFETIME_S + " s (KMS_IT_TOKEN_LIFETIME); it is " + lifetime);
    JsonNode granted = JSON.readTree(tokenResponse(env.get("APP_CRED_ID"), env.get("APP_CRED_SECRET")).body())
        .path("token");
    assertEquals(lifetime, Duration.between(Instant.parse(granted.path("issued_at").asText()),
        Instant.parse(granted.path("expires_at").asText())).toSeconds(), "the real Keystone grants what up.sh set");
    BarbicanKeyProvider p = provider().refreshMargin(Duration.ofSeconds(Math.max(1, lifetime / 3))).build();
    BarbicanConnection c = connection();
    long end = System.nanoTime() + Duration.ofSeconds(lifetime + 5L).toNanos();
    int calls = 0;
    while (System.nanoTime() < end) {
      p.checkReachability("node1", c);
      calls++;
      Thread.sleep(1_500);
    }
    try (KeyMaterial k = p.fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    BarbicanKeyProvider.Stats s = p.stats();
    assertTrue(s.tokenRequests() >= 2, "the token was renewed: " + s);
    assertEquals(calls + 1, s.metadataRequests(), "no call needed a second attempt: " + s);
  }

  @Test
  void expiredToken_getsBarbicans401_andTheProviderRenewsItOnce() throws Exception {
    String expired = mintExpiredToken(token());
    HttpResponse refused = send(HttpRequest.get(URI.create(env.get("BARBICAN_KEY_ID")),
        List.of(Map.entry("X-Auth-Token", expired), Map.entry("Accept", "application/json"))));
    assertEquals(401, refused.status(), refused.summary());
    assertEquals("Unauthorized", JSON.readTree(refused.body()).path("error").path("title").asText(),
        "keystonemiddleware's 401 inside Barbican");

    BarbicanConnection c = connection();
    TokenKey key = TokenKey.of(KeystoneUrls.tokensUrl(c.keystoneUrl()), c.applicationCredId(),
        c.applicationCredSecret(), TransportSettings.of(c, List.of(caPem)));
    TokenCache tokens = new TokenCache(Clock.systemUTC(), Duration.ofSeconds(1), 10);
    Token seeded = tokens.get(key, () -> new Token(expired, Instant.now(), Duration.ofHours(1)));
    BarbicanKeyProvider p = provider().tokenCache(tokens).build();
    try (KeyMaterial k = p.fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    assertEquals(1, p.stats().tokenRequests(), "one renewal after the 401, then the metadata and payload: " + p.stats());
    Token now = tokens.get(key, () -> {
      throw new AssertionError("the renewed token is cached");
    });
    assertTrue(now != seeded, "the provider used the seeded expired token and replaced it");
  }

  @Test
  void credentialWithoutABarbicanRole_getsBarbicans403_asAnAuthenticationFailure() {
    BarbicanConnection c = new BarbicanConnection(UUID.randomUUID(), env.get("BARBICAN_KEY_ID"),
        env.get("KEYSTONE_URL"), env.get("KMS_IT_READER_APP_CRED_ID"),
        Secret.of(env.get("KMS_IT_READER_APP_CRED_SECRET")), ProxyType.HTTP, "", 0, "", Secret.empty(), true, true, 30);
    BarbicanKeyProvider p = provider().build();
    KekException e = fails(KekFailure.AUTHENTICATION, () -> p.fetchKey("node1", c));
    assertTrue(e.getMessage().startsWith("Barbican GET " + env.get("BARBICAN_KEY_ID") + " returned 403 Forbidden"),
        e.getMessage());
    assertTrue(e.getMessage().contains("may not read this secret"), e.getMessage());
    assertEquals(1, p.stats().tokenRequests(), "Keystone accepted the credential; Barbican refused its roles");
    assertEquals(0, p.stats().payloadRequests());
  }

  @Test
  void verifyFalse_acceptsTheRealServersCertificate_withoutTrustingItsCa() throws Exception {
    BarbicanConnection trusting = connection();
    BarbicanConnection c = withVerify(trusting, false);
    try (KeyMaterial k = BarbicanKeyProvider.builder().build().fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    fails(KekFailure.UNREACHABLE, () -> BarbicanKeyProvider.builder().build().fetchKey("node1", trusting));
  }

  @Test
  void verifyFalse_doesNotCoverTheRealHttpsProxy_whoseCertificateIsStillChecked() throws Exception {
    int proxyPort = env.getInt("KMS_IT_HTTPS_PROXY_PORT");
    BarbicanConnection plain = connection();
    BarbicanConnection c = new BarbicanConnection(plain.configurationUuid(), plain.keyId(), plain.keystoneUrl(),
        plain.applicationCredId(), plain.applicationCredSecret(), ProxyType.HTTPS, env.get("KMS_IT_PROXY_HOST"),
        proxyPort, env.get("KMS_IT_PROXY_USER"), Secret.of(env.get("KMS_IT_PROXY_PASSWORD")), false, true, 30);
    KekException e = fails(KekFailure.UNREACHABLE, () -> BarbicanKeyProvider.builder().build().fetchKey("node1", c));
    assertTrue(e.getMessage().contains("TLS with proxy 127.0.0.1:" + proxyPort), e.getMessage());
    assertTrue(e.getMessage().contains("PKIX"), e.getMessage());
    String proxyCa = Files.readString(Path.of(env.get("KMS_IT_HTTPS_PROXY_CA")));
    try (KeyMaterial k = BarbicanKeyProvider.builder().trustedCaPem(proxyCa).build().fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()),
          "the trusted proxy, then Barbican's untrusted CA with verify=false");
    }
  }

  @Test
  void realProxy_withBasicAuth_tunnelsToKeystoneAndBarbican() throws Exception {
    int proxyPort = env.getInt("KMS_IT_PROXY_PORT");
    AtomicInteger direct = new AtomicInteger();
    NodeNetwork onlyTheProxy = (node, host, port, timeout) -> {
      if (port != proxyPort) {
        direct.incrementAndGet();
        throw new ConnectException("direct connection to " + host + ":" + port + " refused by the test");
      }
      return NodeNetwork.direct().connect(node, host, port, timeout);
    };
    BarbicanKeyProvider p = provider().network(onlyTheProxy).build();
    try (KeyMaterial k = p.fetchKey("node1", viaProxy(connection(), env.get("KMS_IT_PROXY_PASSWORD")))) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    assertEquals(0, direct.get());
  }

  @Test
  void realHttpsProxy_tlsToTheProxyAndTlsInsideTheTunnel_reachesBarbican() throws Exception {
    int proxyPort = env.getInt("KMS_IT_HTTPS_PROXY_PORT");
    NodeNetwork onlyTheProxy = (node, host, port, timeout) -> {
      if (port != proxyPort) {
        throw new ConnectException("direct connection to " + host + ":" + port + " refused by the test");
      }
      return NodeNetwork.direct().connect(node, host, port, timeout);
    };
    BarbicanConnection plain = connection();
    BarbicanConnection c = new BarbicanConnection(plain.configurationUuid(), plain.keyId(), plain.keystoneUrl(),
        plain.applicationCredId(), plain.applicationCredSecret(), ProxyType.HTTPS, env.get("KMS_IT_PROXY_HOST"),
        proxyPort, env.get("KMS_IT_PROXY_USER"), Secret.of(env.get("KMS_IT_PROXY_PASSWORD")), true, true, 30);
    String proxyCa = Files.readString(Path.of(env.get("KMS_IT_HTTPS_PROXY_CA")));
    BarbicanKeyProvider p = provider().trustedCaPem(proxyCa).network(onlyTheProxy).build();
    try (KeyMaterial k = p.fetchKey("node1", c)) {
      assertArrayEquals(expectedKey, k.copyBytes(KeyAccess.insecure()));
    }
    KekException e = fails(KekFailure.UNREACHABLE, () -> provider().network(onlyTheProxy).build()
        .fetchKey("node1", c));
    assertTrue(e.getMessage().contains("TLS with proxy 127.0.0.1:" + proxyPort), e.getMessage());
  }

  @Test
  void realProxy_wrongPassword_isAClearProxyCredentialError() {
    KekException e = fails(KekFailure.UNREACHABLE, () -> provider().build().fetchKey("node1",
        viaProxy(connection(), "wrong-proxy-password")));
    // tinyproxy 1.11 answers 401 where the standard says 407.
    assertTrue(e.getMessage().contains("401") || e.getMessage().contains("407"), e.getMessage());
    assertTrue(e.getMessage().contains("were rejected"), e.getMessage());
    assertTrue(e.getMessage().contains("proxy 127.0.0.1:" + env.get("KMS_IT_PROXY_PORT")), e.getMessage());
    assertTrue(e.getMessage().contains("proxy user '" + env.get("KMS_IT_PROXY_USER") + "'"), e.getMessage());
    assertTrue(!e.getMessage().contains("wrong-proxy-password"));
  }

  private static String swapHost(String url) {
    URI u = URI.create(url);
    return url.replaceFirst("://" + u.getHost() + ":", "://" + UNLISTED_NAME + ":");
  }

  /** Stores a random AES secret through the application credential's own token, as an operator would. */
  private static String storeSecret(int bytes, int bits) throws Exception {
    byte[] key = new byte[bytes];
    new SecureRandom().nextBytes(key);
    String body = "{\"name\":\"kms-it-" + UUID.randomUUID() + "\",\"payload\":\""
        + Base64.getEncoder().encodeToString(key) + "\",\"payload_content_type\":\"application/octet-stream\","
        + "\"payload_content_encoding\":\"base64\",\"algorithm\":\"aes\",\"bit_length\":" + bits
        + ",\"mode\":\"cbc\",\"secret_type\":\"symmetric\"}";
    HttpResponse r = send(new HttpRequest("POST", URI.create(env.get("BARBICAN_URL") + "/v1/secrets"),
        List.of(Map.entry("X-Auth-Token", token()), Map.entry("Content-Type", "application/json")),
        body.getBytes(StandardCharsets.UTF_8), false));
    assertEquals(201, r.status(), r.summary());
    return JSON.readTree(r.body()).path("secret_ref").asText();
  }

  private static void barbican(String method, String url, int expected) throws Exception {
    HttpResponse r = send(new HttpRequest(method, URI.create(url), List.of(Map.entry("X-Auth-Token", token())),
        new byte[0], false));
    assertEquals(expected, r.status(), r.summary());
  }

  private static String helperToken;
  private static long helperTokenAt;

  /**
   * One token for the test's own setup calls (each new token costs Barbican a validation round trip), renewed
   * half-way through the short lifetime up.sh gives Keystone's tokens.
   */
  private static synchronized String token() throws Exception {
    long halfLife = TimeUnit.SECONDS.toNanos(env.getInt("KMS_IT_TOKEN_LIFETIME")) / 2;
    if (helperToken == null || System.nanoTime() - helperTokenAt > halfLife) {
      helperTokenAt = System.nanoTime();
      helperToken = newToken();
    }
    return helperToken;
  }

  private static String newToken() throws Exception {
    return tokenResponse(env.get("APP_CRED_ID"), env.get("APP_CRED_SECRET")).header("X-Subject-Token");
  }

  private static HttpResponse tokenResponse(String id, String secret) throws Exception {
    String body = "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],\"application_credential\":"
        + "{\"id\":\"" + id + "\",\"secret\":\"" + secret + "\"}}}}";
    HttpResponse r = send(new HttpRequest("POST", URI.create(env.get("KEYSTONE_URL")),
        List.of(Map.entry("Content-Type", "application/json")), body.getBytes(StandardCharsets.UTF_8), true));
    assertEquals(201, r.status(), r.summary());
    return r;
  }

  /**
   * A genuinely expired token for the same identity, encrypted with the running Keystone's fernet keys by
   * {@code scripts/openstack/mint-expired-token.py}.
   */
  private static String mintExpiredToken(String valid) throws Exception {
    Path script = repositoryRoot().resolve("scripts/openstack/mint-expired-token.py");
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), valid).redirectErrorStream(false);
    pb.environment().put("OPENSTACK_STATE_DIR", env.get("OPENSTACK_STATE_DIR"));
    Process proc = pb.start();
    proc.getOutputStream().close();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "mint-expired-token.py did not finish");
    assertEquals(0, proc.exitValue(), "mint-expired-token.py failed: " + err.get(10, TimeUnit.SECONDS));
    assertTrue(out.startsWith("gAAAA") && !out.equals(valid), "a fernet token: " + out.length() + " chars");
    return out;
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("scripts/openstack/mint-expired-token.py"))) {
        return p;
      }
    }
    throw new AssertionError("no scripts/openstack/mint-expired-token.py above " + Path.of("").toAbsolutePath());
  }

  private static HttpResponse send(HttpRequest r) throws Exception {
    return new HttpsClient(new TransportSettings(true, true, List.of(caPem), ProxyType.HTTP, "", 0, "",
        Secret.empty(), Duration.ofSeconds(30)), NodeNetwork.direct(), RetryPolicy.DEFAULT).execute("it", r);
  }
}
