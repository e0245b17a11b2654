package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A JDK HttpClient that trusts only the simulator's CA and logs in as admin, reading the simulator's ready file.
 * Every response is checked for the emulator's application credential secret, which must never come back.
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  final JsonNode ready;
  final String url;
  private final String auth;
  private final HttpClient http;

  ApiClient(JsonNode ready) throws Exception {
    this.ready = ready;
    this.url = ready.get("url").asText();
    this.auth = basic(ready.at("/admin/username").asText(), ready.at("/admin/password").asText());
    this.http = HttpClient.newBuilder().sslContext(trusting(Path.of(ready.get("ca_cert").asText())))
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static SSLContext trusting(Path caPem) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", cf.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caPem))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A response: status, headers and the body parsed as JSON. */
  record Reply(int status, HttpResponse<String> raw, JsonNode body) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String errorCode() {
      return body.at("/error/code").asText();
    }
  }

  Reply get(String path) throws IOException, InterruptedException {
    return send("GET", path, null, null);
  }

  Reply send(String method, String path, String body) throws IOException, InterruptedException {
    return send(method, path, body, "application/json");
  }

  Reply send(String method, String path, String body, String contentType)
      throws IOException, InterruptedException {
    return send(method, path, body, contentType, "application/hal+json", auth);
  }

  Reply send(String method, String path, String body, String contentType, String accept, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(150))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (accept != null) {
      b.header("Accept", accept);
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (contentType != null && body != null) {
      b.header("Content-Type", contentType);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    String secret = ready.at("/emulator/application_cred_secret").asText();
    if (!secret.isEmpty() && (r.body().contains(secret) || r.headers().toString().contains(secret))) {
      fail(method + " " + path + " returned the application credential secret");
    }
    JsonNode json = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    return new Reply(r.statusCode(), r, json);
  }

  /** GETs {@code path} and asserts 200. */
  JsonNode ok(String path) throws IOException, InterruptedException {
    Reply r = get(path);
    assertEquals(200, r.status(), () -> "GET " + path + " -> " + r.raw().body());
    return r.body();
  }

  /** Polls a job until it finishes (at most 60 s) and returns it. */
  JsonNode awaitJob(String jobUuid) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode job = ok("/api/cluster/jobs/" + jobUuid);
      String state = job.get("state").asText();
      if (state.equals("success") || state.equals("failure")) {
        return job;
      }
      Thread.sleep(50);
    }
    return fail("job " + jobUuid + " did not finish");
  }

  /** Asserts a 202 job reply, waits for the job, and asserts it succeeded. */
  JsonNode succeeds(Reply r) throws IOException, InterruptedException {
    assertEquals(202, r.status(), () -> r.raw().body());
    JsonNode job = awaitJob(r.body().at("/job/uuid").asText());
    assertEquals("success", job.get("state").asText(), job::toString);
    return job;
  }

  /** A create body for a Barbican configuration using the emulator's credential and key. */
  ObjectNode configBody(String svm, String name) {
    ObjectNode b = JSON.createObjectNode();
    b.putObject("svm").put("name", svm);
    b.putObject("configuration").put("name", name);
    b.put("application_cred_id", ready.at("/emulator/application_cred_id").asText());
    b.put("application_cred_secret", ready.at("/emulator/application_cred_secret").asText());
    b.put("key_id", ready.at("/emulator/key_id").asText());
    b.put("keystone_url", ready.at("/emulator/keystone_url").asText());
    return b;
  }

  /** Creates a configuration, waiting for it, and returns its uuid. */
  String createConfig(ObjectNode body) throws IOException, InterruptedException {
    Reply r = send("POST", "/api/security/barbican-kms?return_timeout=60&return_records=true", body.toString());
    assertEquals(201, r.status(), () -> r.raw().body());
    return r.body().at("/records/0/uuid").asText();
  }

  /** Enables a configuration (PATCH key-stores), asserting 200. */
  void enable(String config) throws IOException, InterruptedException {
    Reply r = send("PATCH", "/api/security/key-stores/" + config + "?return_timeout=60", "{\"enabled\": true}");
    assertEquals(200, r.status(), () -> r.raw().body());
  }

  /** POSTs an encrypted volume, waiting up to 60 s for its job. */
  Reply createVolume(String name, String svm) throws IOException, InterruptedException {
    return send("POST", "/api/storage/volumes?return_timeout=60&return_records=true", "{\"name\": \"" + name
        + "\", \"svm\": {\"name\": \"" + svm + "\"}, \"encryption\": {\"enabled\": true}}");
  }

  /** PUTs one block through {@code node}. */
  Reply writeBlock(String volume, long block, String node, byte[] data) throws IOException, InterruptedException {
    return send("PUT", "/api/simulator/volumes/" + volume + "/blocks/" + block + "?node=" + node,
        "{\"data_base64\": \"" + Base64.getEncoder().encodeToString(data) + "\"}");
  }

  /** GETs one block through {@code node}. */
  Reply readBlock(String volume, long block, String node) throws IOException, InterruptedException {
    return get("/api/simulator/volumes/" + volume + "/blocks/" + block + "?node=" + node);
  }

  /** The bytes of a 200 block read. */
  static byte[] blockData(Reply r) {
    return Base64.getDecoder().decode(r.body().get("data_base64").asText());
  }

  /** Starts a restore or a rekey-internal ({@code action}) of {@code config}, waiting up to 60 s. */
  Reply keyOperation(String config, String action) throws IOException, InterruptedException {
    return send("POST", "/api/security/barbican-kms/" + config + "/" + action + "?return_timeout=60", null);
  }

  /** Reboots the node named {@code name}. */
  Reply reboot(String name) throws IOException, InterruptedException {
    for (JsonNode n : ok("/api/cluster/nodes?fields=name").get("records")) {
      if (n.get("name").asText().equals(name)) {
        return send("PATCH", "/api/cluster/nodes/" + n.get("uuid").asText() + "?action=reboot", null);
      }
    }
    return fail("no node " + name);
  }
}
