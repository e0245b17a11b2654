package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.etcd.EtcdClusterDatabase;
import dev.kmsengine.rest.NodeEndpoint;
import dev.kmsengine.rest.OntapRestServer;
import dev.kmsengine.rest.SimulatorControls;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two engines on one cluster database (one namespace of the 3-member etcd, a store opened by each, as two processes
 * would), each hosting one node and served by its own REST server with its own CA:
 * a node-scoped request sent to the server that does not host the node is forwarded to the one that does, and
 * answered with what that one answers; a host that is gone, one that presents another certificate than it
 * announced, and a request forwarded once already are refused, naming the node.
 */
class NodeForwardingTest {
  private static final ClusterSpec SPEC = ClusterSpec.builder("cluster1").nodeCount(2).build();
  private static final String FORWARDED = "X-Kms-Engine-Forwarded-For";
  private final String namespace = TestEtcd.freshNamespace();
  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  /** One process's server: its engine hosts {@code node}; its client trusts its own CA only. */
  private record Host(OntapRestServer server, KmsEngine engine, Controls controls, HttpClient client) {}

  /** Each node's path to Barbican, as a simulator process keeps it for its own nodes. */
  private static final class Controls implements SimulatorControls {
    final Map<String, Boolean> connected = new ConcurrentHashMap<>();

    @Override
    public boolean connected(String node) {
      return connected.getOrDefault(node, true);
    }

    @Override
    public void connect(String node, boolean c) {
      connected.put(node, c);
    }

    @Override
    public boolean keystoneUp() {
      return true;
    }

    @Override
    public void keystoneUp(boolean up) {}

    @Override
    public boolean barbicanUp() {
      return true;
    }

    @Override
    public void barbicanUp(boolean up) {}

    @Override
    public Optional<OpenStackEmulator> emulator() {
      return Optional.empty();
    }

    @Override
    public void forgetCachedKeys() {}
  }

  @AfterEach
  void close() throws Exception {
    try {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    } finally {
      TestEtcd.deleteNamespace(namespace);
    }
  }

  /** A host of {@code node} announcing its own certificate, or {@code announcedPin} instead if not null. */
  private Host host(String node, String password, String announcedPin) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("CA of " + node);
    CertificateAuthority.ServerIdentity id = ca.issueServer(List.of("127.0.0.1"));
    Controls controls = new Controls();
    EtcdClusterDatabase db = EtcdClusterDatabase.builder(TestEtcd.endpoints()).namespace(namespace)
        .configProtectionKeyFile(dir.resolve("key")).leaseTimeToLive(Duration.ofSeconds(2))
        .timeout(Duration.ofSeconds(30)).open();
    open.add(db);
    OntapRestServer server = OntapRestServer.builder(url -> KmsEngine.builder(SPEC)
        .keyProvider(new InMemoryKeyProvider()).database(db).localNodes(List.of(node))
        .endpoint(announcedPin == null ? NodeEndpoint.of(url, id.certificate()).toString()
            : new NodeEndpoint(url, announcedPin).toString()).build())
        .tls(id.serverContext()).credentials("admin", Secret.of(password)).port(0).simulatorControls(controls)
        .build();
    server.start();
    open.add(server.engine());
    open.add(server);
    SSLContext trust = ca.clientContext();
    return new Host(server, server.engine(), controls, HttpClient.newBuilder().sslContext(trust)
        .connectTimeout(Duration.ofSeconds(20)).build());
  }

  private static HttpResponse<String> send(Host via, String method, String path, String body, String password,
      Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(via.server().baseUri() + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Basic " + Base64.getEncoder()
            .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return via.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(Host via, String method, String path, String body) throws Exception {
    return send(via, method, path, body, "pw", Map.of());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return ApiClient.JSON.readTree(r.body());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within 30 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static boolean seesUp(Host via, String node) {
    return via.engine().cluster().nodes().stream().anyMatch(n -> n.name().equals(node) && n.up()
        && n.endpoint().isPresent());
  }

  @Test
  void aNodesControls_sentToTheOtherProcess_areForwarded_andAnsweredByItsHost() throws Exception {
    Host a = host("node1", "pw", null);
    Host b = host("node2", "pw", null);
    await(() -> seesUp(a, "node2"), "node2 live, with its endpoint, as node1's process sees it");

    HttpResponse<String> patched = send(a, "PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}");
    assertEquals(200, patched.statusCode(), patched::body);
    assertFalse(b.controls().connected("node2"), "the host of node2 cut it off");
    assertTrue(a.controls().connected("node2"), "not the process the request was sent to");
    assertFalse(json(patched).get("barbican_connected").asBoolean(), "the host's answer, as it is");

    JsonNode viaA = json(send(a, "GET", "/api/simulator/nodes/node2", null));
    JsonNode fromB = json(send(b, "GET", "/api/simulator/nodes/node2", null));
    assertEquals(fromB, viaA);
    JsonNode list = json(send(a, "GET", "/api/simulator/nodes", null));
    assertEquals(fromB, list.get("records").get(1), "the list shows node2 as its host does");
  }

  @Test
  void theHostsStatusAndBody_comeBackAsTheyAre() throws Exception {
    Host a = host("node1", "pw", null);
    host("node2", "other", null);
    await(() -> seesUp(a, "node2"), "node2 live");
    HttpResponse<String> r = send(a, "PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}");
    assertEquals(401, r.statusCode(), "node2's host checks the credentials again, and refuses these");
    assertEquals("6", json(r).at("/error/code").asText(), r::body);
    assertTrue(r.headers().firstValue("WWW-Authenticate").isPresent());
    HttpResponse<String> bad = send(a, "PATCH", "/api/simulator/nodes/node2", "{\"state\": \"sideways\"}", "other",
        Map.of());
    assertEquals(401, bad.statusCode(), "refused by the first process, which has other credentials");
  }

  @Test
  void aNodeWhoseProcessIsGone_isDown_namingTheNode() throws Exception {
    Host a = host("node1", "pw", null);
    Host b = host("node2", "pw", null);
    await(() -> seesUp(a, "node2"), "node2 live");
    b.server().close();
    b.engine().close();
    await(() -> !seesUp(a, "node2"), "node2 down once its engine withdrew it");
    HttpResponse<String> r = send(a, "GET", "/api/simulator/volumes/" + new java.util.UUID(0, 1) + "/blocks/0"
        + "?node=node2", null);
    assertEquals(409, r.statusCode(), r::body);
    assertEquals("65536883", json(r).at("/error/code").asText());
    assertTrue(json(r).at("/error/message").asText().contains("node2") && r.body().contains("--node node2"), r::body);
    JsonNode shown = json(send(a, "GET", "/api/simulator/nodes/node2", null));
    assertEquals("down", shown.get("state").asText(), "shown as this process sees it");
  }

  @Test
  void aHostPresentingAnotherCertificateThanItAnnounced_isNotTrusted() throws Exception {
    Host a = host("node1", "pw", null);
    host("node2", "pw", "00".repeat(32));
    await(() -> seesUp(a, "node2"), "node2 live");
    HttpResponse<String> r = send(a, "PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}");
    assertEquals(409, r.statusCode(), r::body);
    assertTrue(r.body().contains("node2") && r.body().contains("certificate"), r::body);
  }

  @Test
  void aRequestForwardedOnce_isNeverForwardedAgain() throws Exception {
    Host a = host("node1", "pw", null);
    Host b = host("node2", "pw", null);
    await(() -> seesUp(a, "node2"), "node2 live");
    HttpResponse<String> r = send(a, "PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}", "pw",
        Map.of(FORWARDED, "node2"));
    assertEquals(409, r.statusCode(), r::body);
    assertTrue(json(r).at("/error/message").asText().contains("not hosted by the process"), r::body);
    assertTrue(b.controls().connected("node2"), "nothing reached the host");
  }

  @Test
  void aRebootOfANodeTheOtherProcessHosts_isDoneThere() throws Exception {
    Host a = host("node1", "pw", null);
    Host b = host("node2", "pw", null);
    await(() -> seesUp(a, "node2"), "node2 live");
    String uuid = b.engine().cluster().nodes().stream().filter(n -> n.name().equals("node2")).findFirst()
        .orElseThrow().uuid().toString();
    // This engine would refuse it (421, the node is remote): a 200 is the host's answer.
    HttpResponse<String> r = send(a, "PATCH", "/api/cluster/nodes/" + uuid + "?action=reboot", null);
    assertEquals(200, r.statusCode(), r::body);
    HttpResponse<String> all = send(a, "PATCH", "/api/cluster/nodes?name=*&action=reboot", null);
    assertEquals(200, all.statusCode(), all::body);
  }
}
