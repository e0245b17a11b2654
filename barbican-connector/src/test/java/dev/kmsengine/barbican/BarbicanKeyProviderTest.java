package dev.kmsengine.barbican;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.job.MutableClock;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.transport.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BarbicanKeyProviderTest {
  private static final RetryPolicy FAST_RETRY =
      new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(20));

  private final MutableClock clock = new MutableClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
  private OpenStackEmulator os;
  private OpenStackEmulator.ApplicationCredential cred;
  private String keyId;
  private BarbicanConnection conn;

  @BeforeEach
  void start() throws Exception {
    os = OpenStackEmulator.builder().clock(clock).start();
    cred = os.createApplicationCredential();
    keyId = os.createSecret();
    conn = Connections.of(UUID.randomUUID(), keyId, os.keystoneUrl() + "/auth/tokens", cred);
  }

  @AfterEach
  void stop() {
    os.close();
  }

  private BarbicanKeyProvider.Builder provider() {
    return BarbicanKeyProvider.builder().clock(clock).trustedCaPem(os.caCertificatePem()).retryPolicy(FAST_RETRY);
  }

  private static KekException failure(KekFailure expected, Executable e) {
    KekException ex = assertThrows(KekException.class, e::run);
    assertEquals(expected, ex.failure(), ex.getMessage());
    return ex;
  }

  interface Executable {
    void run() throws Exception;
  }

  @Test
  void fetchKey_validCredential_returnsTheSecretsBytes() throws Exception {
    try (KeyMaterial k = provider().build().fetchKey("node1", conn)) {
      assertArrayEquals(os.secretPayload(keyId), k.copyBytes(KeyAccess.insecure()));
    }
    assertEquals(1, os.tokenRequests());
    assertEquals(1, os.metadataRequests());
    assertEquals(1, os.payloadRequests());
  }

  @Test
  void fetchKey_keystoneUrlAndKeyIdVariants_allReachTheSameKey() throws Exception {
    BarbicanKeyProvider p = provider().build();
    byte[] expected = os.secretPayload(keyId);
    for (String ks : List.of(os.keystoneUrl(), os.keystoneUrl() + "/", os.keystoneUrl() + "/auth/tokens/",
        os.keystoneUrl().replace("/v3", ""))) {
      for (String key : List.of(keyId, keyId + "/")) {
        BarbicanConnection c = Connections.of(UUID.randomUUID(), key, ks, cred);
        try (KeyMaterial k = p.fetchKey("node1", c)) {
          assertArrayEquals(expected, k.copyBytes(KeyAccess.insecure()), ks + " " + key);
        }
      }
    }
    assertEquals(1, os.tokenRequests(), "every variant is the same Keystone URL, so one token serves all");
  }

  @Test
  void coldCache_thousandConcurrentFetches_oneTokenAndOnePayloadRequest() throws Exception {
    BarbicanKeyProvider p = provider().kekCacheTtl(Duration.ofMinutes(5)).build();
    os.latency(Duration.ofMillis(50));
    int callers = 1000;
    CountDownLatch go = new CountDownLatch(1);
    AtomicInteger ok = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    byte[] expected = os.secretPayload(keyId);
    for (int i = 0; i < callers; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          try (KeyMaterial k = p.fetchKey("node1", conn)) {
            if (java.util.Arrays.equals(expected, k.copyBytes(KeyAccess.insecure()))) {
              ok.incrementAndGet();
            }
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, "caller-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(callers, ok.get());
    assertEquals(1, os.tokenRequests());
    assertEquals(1, os.metadataRequests());
    assertEquals(1, os.payloadRequests());
  }

  @Test
  void withoutKekCache_concurrentColdChecks_shareOneTokenRequest() throws Exception {
    BarbicanKeyProvider p = provider().build();
    os.latency(Duration.ofMillis(50));
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    AtomicInteger failures = new AtomicInteger();
    for (int i = 0; i < 40; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          p.checkReachability("node1", conn);
        } catch (Exception e) {
          failures.incrementAndGet();
        }
      });
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(0, failures.get());
    assertEquals(1, os.tokenRequests());
    assertEquals(40, os.metadataRequests());
    assertEquals(0, os.payloadRequests());
  }

  @Test
  void tokenNearExpiry_isRenewedBeforeUse_withoutAFailedCall() throws Exception {
    os.tokenLifetime(Duration.ofMinutes(10));
    BarbicanKeyProvider p = provider().refreshMargin(Duration.ofSeconds(120)).build();
    for (int minute = 0; minute < 30; minute++) {
      p.fetchKey("node1", conn).destroy();
      clock.advance(Duration.ofMinutes(1));
    }
    // Ten-minute tokens renewed at minute eight: minutes 0, 8, 16, 24.
    assertEquals(4, os.tokenRequests());
    assertEquals(30, os.payloadRequests(), "every call succeeded on its first Barbican request");
    assertEquals(30, os.metadataRequests());
  }

  @Test
  void tokenRevokedMidRun_barbican401_renewedOnceAndTheCallSucceeds() throws Exception {
    BarbicanKeyProvider p = provider().build();
    p.fetchKey("node1", conn).destroy();
    os.expireAllTokens();
    try (KeyMaterial k = p.fetchKey("node1", conn)) {
      assertArrayEquals(os.secretPayload(keyId), k.copyBytes(KeyAccess.insecure()));
    }
    assertEquals(2, os.tokenRequests());
    assertEquals(3, os.metadataRequests(), "one 401, then the retry with the new token");
  }

  @Test
  void barbicanRejectsEveryToken_failsAfterExactlyOneRenewal() throws Exception {
    BarbicanKeyProvider p = provider().build();
    os.rejectValidTokens(1_000);
    KekException e = failure(KekFailure.AUTHENTICATION, () -> p.fetchKey("node1", conn));
    assertTrue(e.getMessage().contains("401"), e.getMessage());
    assertTrue(e.getMessage().contains("Barbican GET " + keyId), e.getMessage());
    assertEquals(2, os.tokenRequests());
    assertEquals(2, os.metadataRequests());
    assertEquals(0, os.payloadRequests());
  }

  @Test
  void wrongSecret_isAnAuthenticationFailureNamingKeystone() throws Exception {
    BarbicanConnection bad = Connections.withCredential(conn, cred.id(), Secret.of("not-the-secret"));
    KekException e = failure(KekFailure.AUTHENTICATION, () -> provider().build().fetchKey("node1", bad));
    assertTrue(e.getMessage().startsWith("Keystone POST " + os.keystoneUrl() + "/auth/tokens returned 401"),
        e.getMessage());
    assertEquals(0, os.metadataRequests());
  }

  @Test
  void unknownCredentialId_keystone404_isAnAuthenticationFailure() throws Exception {
    BarbicanConnection bad = Connections.withCredential(conn, "00000000000000000000000000000000", cred.secret());
    KekException e = failure(KekFailure.AUTHENTICATION, () -> provider().build().fetchKey("node1", bad));
    assertTrue(e.getMessage().contains("404"), e.getMessage());
    assertTrue(e.getMessage().contains("Could not find Application Credential"), e.getMessage());
  }

  @Test
  void deletedSecret_isKeyNotFound_withBarbicansDescription() throws Exception {
    BarbicanKeyProvider p = provider().build();
    p.fetchKey("node1", conn).destroy();
    os.deleteSecret(keyId);
    KekException e = failure(KekFailure.KEY_NOT_FOUND, () -> p.fetchKey("node1", conn));
    assertTrue(e.getMessage().contains("404"), e.getMessage());
    assertTrue(e.getMessage().contains("404 Not Found: Secret not found."), e.getMessage());
    assertEquals(2, os.metadataRequests(), "a 404 is not retried");
  }

  @Test
  void expiredSecret_isKeyNotFound() throws Exception {
    String soon = os.createSecret(new byte[32], "symmetric", "aes", 256, clock.instant().plusSeconds(60));
    BarbicanKeyProvider p = provider().build();
    p.fetchKey("node1", Connections.withKey(conn, soon)).destroy();
    clock.advance(Duration.ofSeconds(61));
    failure(KekFailure.KEY_NOT_FOUND, () -> p.fetchKey("node1", Connections.withKey(conn, soon)));
  }

  @Test
  void shortPayload_isWrongKeyType_andNamesTheLength() throws Exception {
    String short16 = os.createSecret(new byte[16], "symmetric", "aes", 256, null);
    KekException e = failure(KekFailure.WRONG_KEY_TYPE,
        () -> provider().build().fetchKey("node1", Connections.withKey(conn, short16)));
    assertTrue(e.getMessage().contains("16 bytes"), e.getMessage());
  }

  @Test
  void nonAesOrWrongSizeMetadata_isWrongKeyType_beforeThePayloadIsRead() throws Exception {
    BarbicanKeyProvider p = provider().build();
    for (String key : List.of(os.createSecret(new byte[32], "symmetric", "des", 256, null),
        os.createSecret(new byte[32], "symmetric", "aes", 128, null),
        os.createSecret(new byte[32], "passphrase", "aes", 256, null))) {
      failure(KekFailure.WRONG_KEY_TYPE, () -> p.fetchKey("node1", Connections.withKey(conn, key)));
    }
    assertEquals(0, os.payloadRequests());
  }

  @Test
  void transient503_isRetried_andTheFetchSucceeds() throws Exception {
    os.failBarbican(2, 503);
    try (KeyMaterial k = provider().build().fetchKey("node1", conn)) {
      assertArrayEquals(os.secretPayload(keyId), k.copyBytes(KeyAccess.insecure()));
    }
    assertEquals(3, os.metadataRequests());
  }

  @Test
  void persistent500_givesUpAfterMaxAttempts_asUnreachableWithTheStatus() throws Exception {
    os.failBarbican(100, 500);
    KekException e = failure(KekFailure.UNREACHABLE, () -> provider().build().fetchKey("node1", conn));
    assertTrue(e.getMessage().contains("500"), e.getMessage());
    assertEquals(3, os.metadataRequests());
  }

  @Test
  void keystone503_isRetried() throws Exception {
    os.failKeystone(1, 503);
    provider().build().fetchKey("node1", conn).destroy();
    assertEquals(2, os.tokenRequests());
  }

  @Test
  void refusedConnections_areUnreachable_andRecoverWhenTheServerReturns() throws Exception {
    BarbicanKeyProvider p = provider().retryPolicy(RetryPolicy.NONE).build();
    os.refuseConnections(true);
    KekException e = failure(KekFailure.UNREACHABLE, () -> p.fetchKey("node1", conn));
    assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
    os.refuseConnections(false);
    p.fetchKey("node1", conn).destroy();
  }

  @Test
  void slowServer_beyondTheTimeout_isATimeout() throws Exception {
    os.latency(Duration.ofMillis(2500));
    BarbicanConnection c = Connections.withTransport(conn, true, true, 1);
    KekException e = failure(KekFailure.TIMEOUT, () -> provider().retryPolicy(RetryPolicy.NONE).build()
        .fetchKey("node1", c));
    assertTrue(e.getMessage().contains("within 1 s"), e.getMessage());
  }

  @Test
  void checkReachability_readsMetadataButNeverThePayload() throws Exception {
    BarbicanKeyProvider p = provider().build();
    p.checkReachability("node1", conn);
    assertEquals(1, os.metadataRequests());
    assertEquals(0, os.payloadRequests());
    os.deleteSecret(keyId);
    failure(KekFailure.KEY_NOT_FOUND, () -> p.checkReachability("node1", conn));
  }

  @Test
  void invalidate_dropsTheTokenAndTheCachedKey() throws Exception {
    BarbicanKeyProvider p = provider().kekCacheTtl(Duration.ofMinutes(5)).build();
    p.fetchKey("node1", conn).destroy();
    p.fetchKey("node1", conn).destroy();
    assertEquals(1, os.payloadRequests());
    p.invalidate(conn.configurationUuid());
    p.fetchKey("node1", conn).destroy();
    assertEquals(2, os.tokenRequests());
    assertEquals(2, os.payloadRequests());
  }

  @Test
  void changedCredential_forTheSameConfiguration_getsANewTokenAndDropsTheOld() throws Exception {
    BarbicanKeyProvider p = provider().kekCacheTtl(Duration.ofMinutes(5)).build();
    p.fetchKey("node1", conn).destroy();
    OpenStackEmulator.ApplicationCredential other = os.createApplicationCredential();
    p.fetchKey("node1", Connections.withCredential(conn, other.id(), other.secret())).destroy();
    assertEquals(2, os.tokenRequests());
    assertEquals(2, os.payloadRequests(), "the key cached under the old credential is not reused");
  }

  @Test
  void kekCache_fetchesOncePerNode_andExpiresAfterItsLifetime() throws Exception {
    BarbicanKeyProvider p = provider().kekCacheTtl(Duration.ofSeconds(30)).build();
    for (String node : List.of("node1", "node2", "node1", "node2")) {
      p.fetchKey(node, conn).destroy();
    }
    assertEquals(2, os.payloadRequests());
    clock.advance(Duration.ofSeconds(31));
    p.fetchKey("node1", conn).destroy();
    assertEquals(3, os.payloadRequests());
  }

  @Test
  void cachedKeyCopies_areIndependentOfEachOther() throws Exception {
    BarbicanKeyProvider p = provider().kekCacheTtl(Duration.ofMinutes(5)).build();
    KeyMaterial first = p.fetchKey("node1", conn);
    first.destroy();
    try (KeyMaterial second = p.fetchKey("node1", conn)) {
      assertArrayEquals(os.secretPayload(keyId), second.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void expiredSecretCheckUsesTheInjectedClock() throws Exception {
    String later = os.createSecret(new byte[32], "symmetric", "aes", 256, Instant.parse("2026-06-01T00:00:00Z"));
    provider().build().checkReachability("node1", Connections.withKey(conn, later));
  }
}
