package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code return_timeout} (and a graceful stop) against a job that cannot finish in time: the server embedded directly, over a key
 * provider whose key fetches wait for the test to let them through.
 */
class JobWaitTest {
  private static final String KEY = "https://barbican.test:9311/v1/secrets/1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CountDownLatch gate = new CountDownLatch(1);
  private final InMemoryKeyProvider keys = new InMemoryKeyProvider().addCredential("id", Secret.of("secret"));
  private KmsEngine engine;
  private OntapRestServer server;
  private HttpClient http;

  /** Holds every key fetch until the gate opens. */
  private final class GatedProvider implements TopLevelKeyProvider {
    @Override
    public KeyMaterial fetchKey(String node, BarbicanConnection c) throws KekException {
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return keys.fetchKey(node, c);
    }

    @Override
    public void checkReachability(String node, BarbicanConnection c) throws KekException {
      keys.checkReachability(node, c);
    }
  }

  @BeforeEach
  void start() throws Exception {
    keys.createKey(KEY);
    engine = KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(2).dataSvms("svm1").build())
        .keyProvider(new GatedProvider()).build();
    CertificateAuthority ca = CertificateAuthority.create("test CA");
    server = OntapRestServer.builder(engine).tls(ca.issueServer(List.of("127.0.0.1")).serverContext())
        .credentials("admin", Secret.of("pw")).port(0).build();
    server.start();
    http = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
  }

  @AfterEach
  void stop() {
    gate.countDown();
    server.close();
    engine.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.baseUri() + path))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:pw".getBytes(
            StandardCharsets.UTF_8)))
        .method(method, HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void returnTimeout_expiringBeforeTheJobEnds_answers202_andTheJobFinishesLater() throws Exception {
    HttpResponse<String> created = send("POST", "/api/security/barbican-kms?return_timeout=10&return_records=true",
        "{\"svm\": {\"name\": \"svm1\"}, \"configuration\": {\"name\": \"c\"}, \"key_id\": \"" + KEY
            + "\", \"keystone_url\": \"https://keystone.test:5000/v3\", \"application_cred_id\": \"id\","
            + " \"application_cred_secret\": \"secret\"}");
    assertEquals(201, created.statusCode(), created::body);
    String uuid = JSON.readTree(created.body()).at("/records/0/uuid").asText();

    HttpResponse<String> enable = send("PATCH", "/api/security/key-stores/" + uuid + "?return_timeout=1",
        "{\"enabled\": true}");
    assertEquals(202, enable.statusCode(), enable::body);
    String job = JSON.readTree(enable.body()).at("/job/uuid").asText();
    JsonNode running = JSON.readTree(send("GET", "/api/cluster/jobs/" + job, "").body());
    assertTrue(List.of("queued", "running").contains(running.get("state").asText()), running::toString);

    gate.countDown();
    HttpResponse<String> again = send("PATCH", "/api/security/key-stores/" + uuid + "?return_timeout=30",
        "{\"enabled\": true}");
    assertEquals(200, again.statusCode(), again::body);
    assertEquals("success", JSON.readTree(send("GET", "/api/cluster/jobs/" + job, "").body()).get("state").asText());
    assertEquals("active", JSON.readTree(send("GET", "/api/security/key-stores/" + uuid, "").body())
        .get("state").asText());
  }

  @Test
  void returnTimeout_whenTheJobFailsInTheWindow_answersTheJobsError() throws Exception {
    gate.countDown();
    HttpResponse<String> created = send("POST", "/api/security/barbican-kms?return_timeout=10&return_records=true",
        "{\"svm\": {\"name\": \"svm1\"}, \"configuration\": {\"name\": \"missing-key\"}, \"key_id\": \""
            + KEY + "/gone\", \"keystone_url\": \"https://keystone.test:5000/v3\", \"application_cred_id\": \"id\","
            + " \"application_cred_secret\": \"secret\"}");
    String uuid = JSON.readTree(created.body()).at("/records/0/uuid").asText();

    HttpResponse<String> enable = send("PATCH", "/api/security/key-stores/" + uuid + "?return_timeout=30",
        "{\"enabled\": true}");

    JsonNode error = JSON.readTree(enable.body()).get("error");
    assertEquals(409, enable.statusCode(), enable::body);
    assertEquals("65539834", error.get("code").asText(), enable::body);
  }

  @Test
  void close_refusesNewConnections_butLetsTheRequestInFlightFinish() throws Exception {
    HttpResponse<String> created = send("POST", "/api/security/barbican-kms?return_timeout=10&return_records=true",
        "{\"svm\": {\"name\": \"svm1\"}, \"configuration\": {\"name\": \"c\"}, \"key_id\": \"" + KEY
            + "\", \"keystone_url\": \"https://keystone.test:5000/v3\", \"application_cred_id\": \"id\","
            + " \"application_cred_secret\": \"secret\"}");
    String uuid = JSON.readTree(created.body()).at("/records/0/uuid").asText();
    int port = server.port();
    CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return send("PATCH", "/api/security/key-stores/" + uuid + "?return_timeout=60", "{\"enabled\": true}");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (engine.jobs().stream().noneMatch(j -> !j.state().isTerminal()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }

    Thread closer = new Thread(server::close, "closer");
    closer.start();
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      try {
        new Socket("127.0.0.1", port).close();
        Thread.sleep(10);
      } catch (ConnectException e) {
        refused = true;
      }
    }
    gate.countDown();
    closer.join(TimeUnit.SECONDS.toMillis(30));

    assertTrue(refused, "new connections are refused while stopping");
    HttpResponse<String> done = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(200, done.statusCode(), done::body);
  }
}
