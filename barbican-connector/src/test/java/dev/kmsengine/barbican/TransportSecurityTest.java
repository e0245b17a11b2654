package dev.kmsengine.barbican;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import dev.kmsengine.transport.NodeNetwork;
import dev.kmsengine.transport.RetryPolicy;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransportSecurityTest {
  private static final RetryPolicy RETRY = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20),
      Duration.ofSeconds(20));

  private OpenStackEmulator os;
  private BarbicanConnection conn;
  private final AtomicInteger connections = new AtomicInteger();
  private final NodeNetwork counting = (node, host, port, timeout) -> {
    connections.incrementAndGet();
    return NodeNetwork.direct().connect(node, host, port, timeout);
  };

  @BeforeEach
  void start() throws Exception {
    // A certificate for a name the tests never dial: 127.0.0.1 does not match it.
    os = OpenStackEmulator.builder().serverNames(List.of("barbican.invalid")).start();
    conn = Connections.of(UUID.randomUUID(), os.createSecret(), os.keystoneUrl(), os.createApplicationCredential());
  }

  @AfterEach
  void stop() {
    os.close();
  }

  private KekException fails(KekFailure f, BarbicanKeyProvider p, BarbicanConnection c) {
    KekException e = assertThrows(KekException.class, () -> p.fetchKey("node1", c));
    assertEquals(f, e.failure(), e.getMessage());
    return e;
  }

  /** A TLS CONNECT proxy with a certificate for {@code name} from {@code ca}, for user kms, password proxy-pass. */
  private static ConnectProxy httpsProxy(CertificateAuthority ca, String name) throws IOException {
    return new ConnectProxy(ca.issueServer(List.of(name)).serverContext(), "kms", "proxy-pass");
  }

  /** The emulator's connection through {@code proxy} as an {@code https} proxy, with the given server checks. */
  private BarbicanConnection viaHttpsProxy(ConnectProxy proxy, boolean verify, boolean verifyHost) {
    return Connections.withProxy(Connections.withTransport(conn, verify, verifyHost, 5), ProxyType.HTTPS,
        "127.0.0.1", proxy.port(), "kms", "proxy-pass");
  }

  @Test
  void untrustedCa_failsTls_onceWithoutRetry() {
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().network(counting).retryPolicy(RETRY).build();
    KekException e = fails(KekFailure.UNREACHABLE, p, Connections.withTransport(conn, true, false, 5));
    assertTrue(e.getMessage().contains("TLS with server 127.0.0.1:"), e.getMessage());
    assertEquals(1, connections.get(), "a TLS failure is never retried");
  }

  @Test
  void hostNameMismatch_withVerifyHost_failsTls() {
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem()).network(counting)
        .retryPolicy(RETRY).build();
    KekException e = fails(KekFailure.UNREACHABLE, p, conn);
    assertTrue(e.getMessage().contains("TLS"), e.getMessage());
    assertEquals(1, connections.get());
  }

  @Test
  void hostNameMismatch_withoutVerifyHost_isAccepted_becauseTheChainIsTrusted() throws Exception {
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem()).build();
    try (KeyMaterial k = p.fetchKey("node1", Connections.withTransport(conn, true, false, 5))) {
      assertArrayEquals(os.secretPayload(conn.keyId()), k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void verifyHostFalse_stillRejectsACertificateFromAnotherCa() {
    CertificateAuthority other = CertificateAuthority.create("some other CA");
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(other.certificatePem()).build();
    fails(KekFailure.UNREACHABLE, p, Connections.withTransport(conn, true, false, 5));
  }

  @Test
  void verifyFalse_acceptsAnyCertificate() throws Exception {
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().build();
    try (KeyMaterial k = p.fetchKey("node1", Connections.withTransport(conn, false, true, 5))) {
      assertArrayEquals(os.secretPayload(conn.keyId()), k.copyBytes(KeyAccess.insecure()));
    }
  }

  @Test
  void refusedConnection_isRetried_thenReportedUnreachable() {
    NodeNetwork refusing = (node, host, port, timeout) -> {
      connections.incrementAndGet();
      throw new ConnectException("Connection refused");
    };
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().network(refusing).retryPolicy(RETRY).build();
    KekException e = fails(KekFailure.UNREACHABLE, p, conn);
    assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    assertEquals(3, connections.get());
  }

  @Test
  void nodeNetwork_cutsOffOneNode_whileAnotherStillFetches() throws Exception {
    NodeNetwork partitioned = (node, host, port, timeout) -> {
      if (node.equals("node2")) {
        throw new ConnectException("node2 is cut off");
      }
      return NodeNetwork.direct().connect(node, host, port, timeout);
    };
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem()).network(partitioned)
        .retryPolicy(RetryPolicy.NONE).build();
    BarbicanConnection c = Connections.withTransport(conn, true, false, 5);
    p.fetchKey("node1", c).destroy();
    KekException e = assertThrows(KekException.class, () -> p.fetchKey("node2", c));
    assertEquals(KekFailure.UNREACHABLE, e.failure());
    assertTrue(e.getMessage().contains("node2 is cut off"), e.getMessage());
  }

  @Test
  void httpProxy_withBasicAuth_tunnelsToBarbican() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(null, "kms", "proxy-pass")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem()).build();
      BarbicanConnection c = Connections.withProxy(Connections.withTransport(conn, true, false, 5), ProxyType.HTTP,
          "127.0.0.1", proxy.port(), "kms", "proxy-pass");
      try (KeyMaterial k = p.fetchKey("node1", c)) {
        assertArrayEquals(os.secretPayload(conn.keyId()), k.copyBytes(KeyAccess.insecure()));
      }
      assertEquals(3, proxy.tunnels.get(), "token, metadata and payload each went through the proxy");
    }
  }

  @Test
  void httpsProxy_tlsInsideTls_tunnelsToBarbican() throws Exception {
    CertificateAuthority proxyCa = CertificateAuthority.create("proxy CA");
    try (ConnectProxy proxy = httpsProxy(proxyCa, "127.0.0.1")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem())
          .trustedCaPem(proxyCa.certificatePem()).build();
      BarbicanConnection c = viaHttpsProxy(proxy, true, false);
      try (KeyMaterial k = p.fetchKey("node1", c)) {
        assertArrayEquals(os.secretPayload(conn.keyId()), k.copyBytes(KeyAccess.insecure()));
      }
      assertEquals(3, proxy.tunnels.get());
    }
  }

  @Test
  void verifyFalse_doesNotCoverAnUntrustedHttpsProxy_whichNeverReceivesTheCredential() throws Exception {
    CertificateAuthority selfSigned = CertificateAuthority.create("self-signed proxy root");
    try (ConnectProxy proxy = httpsProxy(selfSigned, "127.0.0.1")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().network(counting).retryPolicy(RETRY).build();
      BarbicanConnection c = viaHttpsProxy(proxy, false, false);
      KekException e = fails(KekFailure.UNREACHABLE, p, c);
      assertTrue(e.getMessage().contains("TLS with proxy 127.0.0.1:" + proxy.port() + " failed"), e.getMessage());
      assertTrue(e.getMessage().contains("PKIX"), e.getMessage());
      assertEquals(1, connections.get(), "the proxy was reached once and the TLS failure not retried");
      assertEquals(0, proxy.heads.get(), "no CONNECT, and so no Proxy-Authorization, reached the proxy");
    }
  }

  @Test
  void verifyFalse_appliesToTheServerOnly_behindATrustedHttpsProxy() throws Exception {
    CertificateAuthority proxyCa = CertificateAuthority.create("proxy CA");
    try (ConnectProxy proxy = httpsProxy(proxyCa, "127.0.0.1")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(proxyCa.certificatePem()).build();
      BarbicanConnection c = viaHttpsProxy(proxy, false, true);
      try (KeyMaterial k = p.fetchKey("node1", c)) {
        assertArrayEquals(os.secretPayload(conn.keyId()), k.copyBytes(KeyAccess.insecure()),
            "the emulator's CA is not trusted");
      }
      assertEquals(3, proxy.tunnels.get());
    }
  }

  @Test
  void httpsProxy_hostName_isCheckedEvenWithVerifyHostFalse() throws Exception {
    CertificateAuthority proxyCa = CertificateAuthority.create("proxy CA");
    try (ConnectProxy proxy = httpsProxy(proxyCa, "proxy.invalid")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem())
          .trustedCaPem(proxyCa.certificatePem()).build();
      BarbicanConnection c = viaHttpsProxy(proxy, true, false);
      KekException e = fails(KekFailure.UNREACHABLE, p, c);
      assertTrue(e.getMessage().contains("TLS with proxy 127.0.0.1:" + proxy.port()), e.getMessage());
      assertEquals(0, proxy.heads.get());
    }
  }

  @Test
  void wrongProxyPassword_isAClear407_notRetried() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(null, "kms", "proxy-pass")) {
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem()).retryPolicy(RETRY)
          .build();
      BarbicanConnection c = Connections.withProxy(Connections.withTransport(conn, true, false, 5), ProxyType.HTTP,
          "127.0.0.1", proxy.port(), "kms", "wrong");
      KekException e = fails(KekFailure.UNREACHABLE, p, c);
      assertTrue(e.getMessage().contains("407"), e.getMessage());
      assertTrue(e.getMessage().contains("proxy user 'kms'"), e.getMessage());
      assertEquals(1, proxy.rejected.get());
    }
  }

  @Test
  void unusableTrustedCaPem_isAClearFailure_notACrash() {
    BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem("not a certificate").build();
    KekException e = fails(KekFailure.UNREACHABLE, p, conn);
    assertTrue(e.getMessage().contains("unusable trusted CA certificates"), e.getMessage());
  }
}
