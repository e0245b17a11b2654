package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TLS a forwarding process uses: it accepts exactly the certificate the hosting process announced, from any
 * issuer and under any host name, and refuses every other one, even one from the same CA.
 */
class PinnedCertificateTrustTest {
  private final CertificateAuthority ca = CertificateAuthority.create("a process's own CA");
  private final CertificateAuthority.ServerIdentity identity = ca.issueServer(List.of("127.0.0.1"));
  private KmsEngine engine;
  private OntapRestServer server;

  @BeforeEach
  void start() throws Exception {
    engine = KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(1).build())
        .keyProvider(new InMemoryKeyProvider()).build();
    server = OntapRestServer.builder(engine).tls(identity.serverContext()).credentials("admin", Secret.of("pw"))
        .port(0).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
    engine.close();
  }

  private int get(String pin, String host) throws Exception {
    HttpClient c = HttpClient.newBuilder().sslContext(PinnedCertificateTrust.context(pin))
        .connectTimeout(Duration.ofSeconds(20)).build();
    return c.send(HttpRequest.newBuilder(URI.create("https://" + host + ":" + server.port() + "/api/cluster/nodes"))
        .header("Authorization", TestServer.AUTH).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void thePinnedCertificate_isAccepted_evenUnderAHostNameItDoesNotName() throws Exception {
    String pin = NodeEndpoint.fingerprint(identity.certificate());
    assertEquals(200, get(pin, "127.0.0.1"));
    assertEquals(200, get(pin, "localhost"), "the certificate names 127.0.0.1 only; the pin is what counts");
  }

  @Test
  void anotherCertificate_evenFromTheSameCa_isRefused() {
    String other = NodeEndpoint.fingerprint(ca.issueServer(List.of("127.0.0.1")).certificate());
    assertThrows(SSLHandshakeException.class, () -> get(other, "127.0.0.1"));
  }
}
