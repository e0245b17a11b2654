package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.rest.JobDescriptions;
import dev.kmsengine.simulator.ApiClient.Reply;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Barbican, Keystone and node faults while the cluster works, driven through the simulator's HTTPS API (in this JVM,
 * with the real emulator and the connector's provider): each fault's outcome (job code, per-node results, keystore
 * state, the SVM-KEK generation kept in the cluster database) and, once the fault clears, every block written
 * before it reads back identical through every node.
 */
class FaultsTest {
  private static final List<String> NODES = List.of("node1", "node2");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static Simulator simulator;
  private static ApiClient api;
  private static OpenStackEmulator emulator;
  private static String config;
  private static UUID svm;
  /** "volume/block" -> the bytes written there before any fault. */
  private static final Map<String, byte[]> written = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    Path ready = Files.createTempDirectory("faults-test-").resolve("ready.json");
    simulator = Simulator.start(new String[] {"--port", "0", "--ready-file", ready.toString(), "--svm", "fsvm",
        "--svm", "dsvm", "--nodes", Integer.toString(NODES.size())},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    api = new ApiClient(ApiClient.JSON.readTree(ready.toFile()));
    emulator = simulator.keys().emulator().orElseThrow();
    ObjectNode body = api.configBody("fsvm", "faults");
    body.put("timeout", 1);
    config = api.createConfig(body);
    svm = UUID.fromString(api.ok("/api/svm/svms?name=fsvm").at("/records/0/uuid").asText());
    enable(config);
    for (String name : List.of("fv1", "fv2", "fv3")) {
      String volume = createVolume(name, "fsvm");
      for (long block : new long[] {0, 9}) {
        byte[] data = new byte[512];
        RANDOM.nextBytes(data);
        writeBlock(volume, block, "node1", data);
        written.put(volume + "/" + block, data);
      }
    }
  }

  @AfterAll
  static void stop() {
    simulator.close();
  }

  /** Every test leaves the cluster healthy: no fault, every node up and connected, keys restored. */
  @AfterEach
  void clearFaultsAndRestore() throws Exception {
    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status());
    for (String n : NODES) {
      assertEquals(200, api.send("PATCH", "/api/simulator/nodes/" + n,
          "{\"state\": \"up\", \"barbican_connected\": true}").status());
    }
    emulator.tokenLifetime(java.time.Duration.ofHours(1));
    assertEquals(201, restore().status());
  }

  // ------------------------------------------------------------------ helpers

  private static void enable(String uuid) throws Exception {
    Reply r = api.send("PATCH", "/api/security/key-stores/" + uuid + "?return_timeout=60", "{\"enabled\": true}");
    assertEquals(200, r.status(), r.raw()::body);
  }

  private static String createVolume(String name, String svmName) throws Exception {
    Reply r = api.send("POST", "/api/storage/volumes?return_timeout=30&return_records=true", "{\"name\": \"" + name
        + "\", \"svm\": {\"name\": \"" + svmName + "\"}, \"encryption\": {\"enabled\": true}}");
    assertEquals(201, r.status(), r.raw()::body);
    return r.body().at("/records/0/uuid").asText();
  }

  private static void writeBlock(String volume, long block, String node, byte[] data) throws Exception {
    Reply r = api.send("PUT", "/api/simulator/volumes/" + volume + "/blocks/" + block + "?node=" + node,
        "{\"data_base64\": \"" + Base64.getEncoder().encodeToString(data) + "\"}");
    assertEquals(200, r.status(), r.raw()::body);
  }

  private static Reply readBlock(String volume, long block, String node) throws Exception {
    return api.get("/api/simulator/volumes/" + volume + "/blocks/" + block + "?node=" + node);
  }

  /** Every block written before reads back identical through every node. */
  private static void assertEveryBlockReadsBack() throws Exception {
    for (Map.Entry<String, byte[]> e : written.entrySet()) {
      String[] vb = e.getKey().split("/");
      for (String node : NODES) {
        Reply r = readBlock(vb[0], Long.parseLong(vb[1]), node);
        assertEquals(200, r.status(), () -> node + ": " + r.raw().body());
        assertArrayEquals(e.getValue(), Base64.getDecoder().decode(r.body().get("data_base64").asText()),
            "block " + e.getKey() + " through " + node);
      }
    }
  }

  private static Reply rekey() throws Exception {
    return api.send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal?return_timeout=60", null);
  }

  private static Reply restore() throws Exception {
    return api.send("POST", "/api/security/barbican-kms/" + config + "/restore?return_timeout=60", null);
  }

  private static void fault(String json) throws Exception {
    Reply r = api.send("PATCH", "/api/simulator/faults", json);
    assertEquals(200, r.status(), r.raw()::body);
  }

  /** The SVM-KEK generations whose VEK blobs are stored: exactly one when nothing is half-applied. */
  private static List<Long> generations() {
    List<Long> out = new ArrayList<>();
    for (String b : simulator.database().buckets("veks/" + svm + "/")) {
      out.add(Long.parseLong(b.substring(b.lastIndexOf('/') + 1)));
    }
    return out;
  }

  private static long generation() {
    List<Long> g = generations();
    assertEquals(1, g.size(), () -> "exactly one current SVM-KEK generation, not " + g);
    return g.get(0);
  }

  private static String keystoreState() throws Exception {
    return api.ok("/api/security/key-stores/" + config + "?fields=state").get("state").asText();
  }

  private static JsonNode kekState() throws Exception {
    return api.ok("/api/security/barbican-kms/" + config + "?fields=state").get("state");
  }

  /** A rekey that cannot finish: the job's error, the old generation still current, the keystore active. */
  private static void assertRekeyFailsKeepingGeneration(String code, int status) throws Exception {
    long before = generation();
    Reply r = rekey();
    assertEquals(status, r.status(), r.raw()::body);
    assertEquals(code, r.errorCode(), r.raw()::body);
    assertEquals(before, generation());
    assertEquals("active", keystoreState());
    JsonNode job = api.ok("/api/cluster/jobs/" + lastJob("/rekey-internal").uuid() + "?fields=state,code");
    assertEquals("failure", job.get("state").asText());
    assertEquals(Integer.parseInt(code), job.get("code").asInt());
  }

  private static Job lastJob(String suffix) {
    return simulator.engine().jobs().stream().filter(j -> JobDescriptions.of(j).endsWith(suffix))
        .max(java.util.Comparator.comparing(Job::startTime)).orElseThrow();
  }

  private static Job lastRestoreJob() {
    return lastJob("/restore");
  }

  private static NodeStatus status(Job job, String node) {
    return job.nodes().stream().filter(s -> s.node().equals(node)).findFirst().orElseThrow();
  }

  // ------------------------------------------------------------------ faults

  @Test
  void barbicanDown_rekeyFailsUnreachable_restoreFailsOnEveryNode_dataReadsBackAfter() throws Exception {
    fault("{\"barbican_down\": true}");

    assertRekeyFailsKeepingGeneration("65539801", 409);
    Reply r = restore();
    assertEquals(409, r.status());
    assertEquals("65539842", r.errorCode());
    Job job = lastRestoreJob();
    for (String n : NODES) {
      assertFalse(status(job, n).ok());
      assertEquals(Optional.of(ErrorCode.UNREACHABLE), status(job, n).error());
    }
    assertEquals("active", keystoreState(), "an unreachable Barbican does not block the keystore");
    assertEveryBlockReadsBack();

    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status());
    long before = generation();
    assertEquals(201, rekey().status());
    assertEquals(before + 1, generation());
    assertEveryBlockReadsBack();
  }

  @Test
  void emulatorRefusingConnections_failsTheRekey_andRecoversOnItsPorts() throws Exception {
    fault("{\"refuse_connections\": true}");

    assertRekeyFailsKeepingGeneration("65539801", 409);

    fault("{\"refuse_connections\": false}");
    assertEquals(201, rekey().status());
    assertEveryBlockReadsBack();
  }

  @Test
  void keystoneDown_withCachedTokenStillWorks_withoutTokenFailsUnreachable() throws Exception {
    fault("{\"keystone_down\": true}");
    long before = generation();
    assertEquals(201, rekey().status(), "a token cached before Keystone went down is still good");
    assertEquals(before + 1, generation());

    fault("{\"expire_tokens\": true}");
    Reply r = rekey();
    assertEquals(409, r.status());
    assertEquals("65539801", r.errorCode());
    assertTrue(r.body().at("/error/message").asText().contains("Keystone"), r.raw()::body);
    assertEquals(before + 1, generation());

    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status());
    assertEquals(201, rekey().status());
    assertEveryBlockReadsBack();
  }

  @Test
  void barbicanSlowerThanTimeout_rekeyFailsUnreachable_namingTheTimeout() throws Exception {
    fault("{\"latency_ms\": 1400}");
    long before = generation();
    Reply r = rekey();
    assertEquals(409, r.status(), r.raw()::body);
    assertEquals("65539801", r.errorCode());
    assertTrue(r.body().at("/error/message").asText().contains("within 1 s"), r.raw()::body);
    assertEquals(before, generation());
    assertEquals("active", keystoreState());

    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status());
    assertEveryBlockReadsBack();
  }

  @Test
  void barbican5xx_persistentFailsTheRekey_transientIsRetried() throws Exception {
    fault("{\"barbican_errors\": {\"count\": 1000, \"status\": 503}}");
    assertRekeyFailsKeepingGeneration("65539801", 409);

    fault("{\"barbican_errors\": {\"count\": 1, \"status\": 500}}");
    long before = generation();
    assertEquals(201, rekey().status(), "one 500 is retried");
    assertEquals(before + 1, generation());
    assertEveryBlockReadsBack();
  }

  @Test
  void unauthorizedOnValidToken_persistentFailsHealthCheck_onceIsRenewed() throws Exception {
    fault("{\"reject_valid_tokens\": 1000}");
    assertRekeyFailsKeepingGeneration("65539223", 400);

    fault("{\"reject_valid_tokens\": 1}");
    long tokensBefore = emulator.tokenRequests();
    long before = generation();
    assertEquals(201, rekey().status(), "one 401 drops the token and retries with a new one");
    assertEquals(before + 1, generation());
    assertEquals(tokensBefore + 1, emulator.tokenRequests());
    assertEveryBlockReadsBack();
  }

  @Test
  void tokenExpiringBeforeAndDuringRekey_isRenewedAndTheRekeyCompletes() throws Exception {
    fault("{\"expire_tokens\": true}");
    long tokensBefore = emulator.tokenRequests();
    long before = generation();
    assertEquals(201, rekey().status());
    assertEquals(before + 1, generation());
    assertEquals(tokensBefore + 1, emulator.tokenRequests(), "the expired token was renewed once");

    // Expire again while a slowed-down rekey is between its requests to Barbican.
    fault("{\"latency_ms\": 300}");
    Reply started = api.send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal", null);
    assertEquals(202, started.status());
    Thread.sleep(400);
    emulator.expireAllTokens();
    JsonNode job = api.awaitJob(started.body().at("/job/uuid").asText());
    assertEquals("success", job.get("state").asText(), job::toString);
    assertEquals(before + 2, generation());
    assertEveryBlockReadsBack();
  }

  @Test
  void nodeCutOff_restoreReportsPerNode_rekeyStillWorks_andReconnectRestoresIt() throws Exception {
    JsonNode cut = api.send("PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}").body();
    assertFalse(cut.get("barbican_connected").asBoolean());

    Reply r = restore();
    assertEquals(409, r.status());
    assertEquals("65539842", r.errorCode());
    assertTrue(r.body().at("/error/message").asText().contains("node2"), r.raw()::body);
    Job job = lastRestoreJob();
    assertTrue(status(job, "node1").ok());
    assertEquals(Optional.of(ErrorCode.UNREACHABLE), status(job, "node2").error());
    assertEveryBlockReadsBack();

    // Rebooted while cut off, node2 cannot get its keys back: it cannot read, node1 still can.
    assertEquals(200, api.send("PATCH", "/api/cluster/nodes/" + nodeUuid("node2") + "?action=reboot", null).status());
    assertEquals(409, restore().status());
    JsonNode state = kekState();
    assertFalse(state.get("cluster_state").asBoolean());
    assertTrue(state.get("message").asText().contains("node2"), state::toString);
    String someBlock = written.keySet().iterator().next();
    String[] vb = someBlock.split("/");
    Reply lost = readBlock(vb[0], Long.parseLong(vb[1]), "node2");
    assertEquals("65536883", lost.errorCode(), lost.raw()::body);
    assertEquals(409, lost.status(), "a node without its keys is a state a restore fixes, not a server fault");

    // A rekey needs only one node to reach Barbican.
    long before = generation();
    assertEquals(201, rekey().status());
    assertEquals(before + 1, generation());

    api.send("PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": true}");
    assertEquals(201, restore().status());
    assertTrue(kekState().get("cluster_state").asBoolean());
    assertEveryBlockReadsBack();
  }

  @Test
  void nodeRebootedDuringRestore_leavesNoNodeHalfKeyed_andTheNextRestoreCompletes() throws Exception {
    for (String n : NODES) {
      api.send("PATCH", "/api/cluster/nodes/" + nodeUuid(n) + "?action=reboot", null);
    }
    fault("{\"latency_ms\": 400}");
    Reply started = api.send("POST", "/api/security/barbican-kms/" + config + "/restore", null);
    assertEquals(202, started.status());
    Thread.sleep(500);
    api.send("PATCH", "/api/cluster/nodes/" + nodeUuid("node2") + "?action=reboot", null);
    JsonNode job = api.awaitJob(started.body().at("/job/uuid").asText());
    assertTrue(job.get("state").asText().equals("success") || job.get("code").asInt() == 65539842, job::toString);

    // Each node holds either the SVM-KEK and every VEK, or nothing, so it can never decrypt with half a table.
    for (JsonNode n : api.ok("/api/simulator/nodes").get("records")) {
      int keks = n.get("svm_keks").asInt();
      int veks = n.get("veks").asInt();
      assertTrue((keks == 0 && veks == 0) || (keks == 1 && veks == 3), n::toString);
    }

    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status());
    assertEquals(201, restore().status());
    assertTrue(kekState().get("cluster_state").asBoolean());
    assertEveryBlockReadsBack();
  }

  @Test
  void nodeDown_isReportedByRestore_andComesBackWithItsKeysAfterRestore() throws Exception {
    assertEquals("down", api.send("PATCH", "/api/simulator/nodes/node2", "{\"state\": \"down\"}").body()
        .get("state").asText());
    assertEquals(409, restore().status());
    assertEquals(Optional.of(ErrorCode.RESTORE_FAILED), status(lastRestoreJob(), "node2").error());
    long before = generation();
    assertEquals(201, rekey().status());
    assertEquals(before + 1, generation());

    api.send("PATCH", "/api/simulator/nodes/node2", "{\"state\": \"up\"}");
    assertEquals(201, restore().status());
    assertEveryBlockReadsBack();
  }

  @Test
  void secretDeleted_blocksTheKeystore_rekeyAndRestoreFailKeyNotFound_nodesKeepTheirKeys() throws Exception {
    // Its own SVM and Barbican secret, so deleting the secret leaves the other tests' key alone.
    String secret = emulator.createSecret();
    ObjectNode body = api.configBody("dsvm", "doomed");
    body.put("key_id", secret);
    String doomed = api.createConfig(body);
    enable(doomed);
    String volume = createVolume("dv1", "dsvm");
    byte[] data = "written before the secret was deleted".getBytes(StandardCharsets.UTF_8);
    writeBlock(volume, 0, "node1", data);

    fault("{\"delete_secret\": \"" + secret + "\"}");
    Reply r = api.send("POST", "/api/security/barbican-kms/" + doomed + "/rekey-internal?return_timeout=60", null);
    assertEquals(409, r.status(), r.raw()::body);
    assertEquals("65539834", r.errorCode());
    assertEquals("blocked", api.ok("/api/security/key-stores/" + doomed + "?fields=state").get("state").asText());
    Reply rs = api.send("POST", "/api/security/barbican-kms/" + doomed + "/restore?return_timeout=60", null);
    assertEquals("65539842", rs.errorCode());
    assertEquals(Optional.of(ErrorCode.KEY_ID_NOT_FOUND), status(lastRestoreJob(), "node1").error());
    for (String n : NODES) {
      assertArrayEquals(data, Base64.getDecoder().decode(readBlock(volume, 0, n).body().get("data_base64").asText()),
          "a node that still holds the key reads on");
    }
  }

  @Test
  void emulatorCounters_countRequests_andResetToZero() throws Exception {
    assertEquals(200, api.send("DELETE", "/api/simulator/faults", null).status(), "also forgets cached KEKs");
    JsonNode reset = api.send("DELETE", "/api/simulator/emulator/counters", null).body();
    assertEquals(0, reset.get("payload_requests").asInt());
    assertEquals(201, restore().status());
    JsonNode counters = api.ok("/api/simulator/emulator").get("counters");
    assertEquals(NODES.size(), counters.get("payload_requests").asInt(), "one KEK fetch per node");
    assertEquals(201, restore().status());
    assertEquals(NODES.size(), api.ok("/api/simulator/emulator").at("/counters/payload_requests").asInt(),
        "the second restore is served from the nodes' KEK cache");
  }

  @Test
  void emulatorControls_addAProjectAndACredentialWithChosenRoles_thatKeystoneThenAccepts() throws Exception {
    Reply project = api.send("POST", "/api/simulator/emulator/projects", "{\"name\": \"other\"}");
    assertEquals(200, project.status(), project.raw()::body);
    String projectId = project.body().get("id").asText();
    Reply cred = api.send("POST", "/api/simulator/emulator/application-credentials", "{\"id\": \"observer1\", "
        + "\"secret\": \"observer-secret-1\", \"project\": {\"id\": \"" + projectId + "\"}, "
        + "\"roles\": [\"observer\"]}");
    assertEquals(200, cred.status(), cred.raw()::body);
    assertEquals("observer", cred.body().at("/roles/0").asText());
    assertFalse(cred.raw().body().contains("observer-secret-1"), "the secret is never echoed");
    assertTrue(api.ok("/api/simulator/emulator").get("projects").findValuesAsText("id").contains(projectId));

    HttpClient keystone = HttpClient.newBuilder().sslContext(emulator.certificateAuthority().clientContext()).build();
    HttpResponse<String> token = keystone.send(HttpRequest.newBuilder(URI.create(emulator.keystoneUrl()
        + "/auth/tokens")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
        "{\"auth\": {\"identity\": {\"methods\": [\"application_credential\"], \"application_credential\": "
        + "{\"id\": \"observer1\", \"secret\": \"observer-secret-1\"}}}}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, token.statusCode());
    JsonNode t = ApiClient.JSON.readTree(token.body()).get("token");
    assertEquals(projectId, t.at("/project/id").asText());
    assertEquals("observer", t.at("/roles/0/name").asText());

    Reply unknown = api.send("POST", "/api/simulator/emulator/application-credentials",
        "{\"id\": \"x\", \"secret\": \"y\", \"project\": {\"id\": \"nope\"}}");
    assertEquals(400, unknown.status());
    assertEquals("project.id", unknown.body().at("/error/target").asText());
  }

  @Test
  void simulatorEndpoints_rejectBadInput_inTheOntapEnvelope() throws Exception {
    String volume = written.keySet().iterator().next().split("/")[0];
    Reply noNode = api.send("PUT", "/api/simulator/volumes/" + volume + "/blocks/1", "{\"data_base64\": \"AA==\"}");
    assertEquals(400, noNode.status());
    assertEquals("node", noNode.body().at("/error/target").asText());
    assertEquals("4", api.get("/api/simulator/volumes/" + volume + "/blocks/1?node=node9").errorCode());
    assertEquals("4", readBlock(volume, 12345, "node1").errorCode(), "a block never written");
    assertEquals("2", api.send("PUT", "/api/simulator/volumes/" + volume + "/blocks/1?node=node1",
        "{\"data_base64\": \"!!\"}").errorCode());
    assertEquals("262179", api.send("PATCH", "/api/simulator/faults", "{\"colour\": 1}").errorCode());
    assertEquals("2", api.send("PATCH", "/api/simulator/faults", "{\"latency_ms\": -1}").errorCode());
    assertEquals("2", api.send("PATCH", "/api/simulator/nodes/node1", "{\"state\": \"sideways\"}").errorCode());
    assertEquals(401, api.send("GET", "/api/simulator/nodes", null, null, "application/json", null).status());
  }

  private static String nodeUuid(String name) throws Exception {
    return api.ok("/api/cluster/nodes?name=" + name).at("/records/0/uuid").asText();
  }
}
