package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/simulator/jobs/{uuid}/nodes}: the per-node results that {@code Job.nodes()} holds and ONTAP's job
 * schema has no field for, through the simulator's HTTPS API (in this JVM, real emulator and provider).
 */
class JobNodesTest {
  private static Simulator simulator;
  private static ApiClient api;
  private static String config;

  @BeforeAll
  static void start() throws Exception {
    Path ready = Files.createTempDirectory("job-nodes-test-").resolve("ready.json");
    simulator = Simulator.start(new String[] {"--port", "0", "--ready-file", ready.toString(), "--svm", "jsvm",
        "--nodes", "2"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    api = new ApiClient(ApiClient.JSON.readTree(ready.toFile()));
    config = api.createConfig(api.configBody("jsvm", "jobNodes"));
    assertEquals(200, api.send("PATCH", "/api/security/key-stores/" + config + "?return_timeout=60",
        "{\"enabled\": true}").status());
    assertEquals(201, api.send("POST", "/api/storage/volumes?return_timeout=60", "{\"name\": \"jv1\", \"svm\": "
        + "{\"name\": \"jsvm\"}, \"encryption\": {\"enabled\": true}}").status());
  }

  @AfterAll
  static void stop() {
    simulator.close();
  }

  /** Starts {@code path} without waiting and returns the finished job's uuid. */
  private static String runJob(String path) throws Exception {
    Reply started = api.send("POST", path, null);
    assertEquals(202, started.status(), started.raw()::body);
    String job = started.body().at("/job/uuid").asText();
    api.awaitJob(job);
    return job;
  }

  @Test
  void restoreWithANodeCutOff_listsEveryNodeWithTheCodeAndReasonOfTheOneThatFailed() throws Exception {
    assertEquals(200, api.send("PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": false}").status());
    String job;
    try {
      job = runJob("/api/security/barbican-kms/" + config + "/restore");
    } finally {
      assertEquals(200, api.send("PATCH", "/api/simulator/nodes/node2", "{\"barbican_connected\": true}").status());
    }

    JsonNode reply = api.ok("/api/simulator/jobs/" + job + "/nodes");
    assertEquals(job, reply.at("/job/uuid").asText());
    assertEquals("/api/cluster/jobs/" + job, reply.at("/job/_links/self/href").asText());
    List<Shown> shown = new ArrayList<>();
    for (JsonNode r : reply.get("records")) {
      shown.add(new Shown(r.get("node").asText(), r.get("ok").asBoolean(), r.get("code").asText(),
          r.get("message").asText()));
    }
    List<Shown> expected = new ArrayList<>();
    for (NodeStatus n : simulator.engine().job(UUID.fromString(job)).orElseThrow().nodes()) {
      expected.add(new Shown(n.node(), n.ok(), n.error().map(ErrorCode::wireCode).orElse("0"), n.message()));
    }
    assertEquals(expected, shown);
    assertEquals(2, reply.get("num_records").asInt());
    Shown node1 = shown.stream().filter(s -> s.node().equals("node1")).findFirst().orElseThrow();
    Shown node2 = shown.stream().filter(s -> s.node().equals("node2")).findFirst().orElseThrow();
    assertTrue(node1.ok(), node1::toString);
    assertEquals("0", node1.code());
    assertFalse(node2.ok(), node2::toString);
    assertEquals(ErrorCode.UNREACHABLE.wireCode(), node2.code());
    assertFalse(node2.message().isEmpty(), "node2's failure says why");
    // The ONTAP job itself only has the summary.
    assertEquals(65539842, api.ok("/api/cluster/jobs/" + job).get("code").asInt());
  }

  @Test
  void successfulRestore_listsEveryNodeAsOk() throws Exception {
    String job = runJob("/api/security/barbican-kms/" + config + "/restore");
    JsonNode records = api.ok("/api/simulator/jobs/" + job + "/nodes").get("records");
    assertEquals(2, records.size());
    for (JsonNode r : records) {
      assertTrue(r.get("ok").asBoolean(), r::toString);
      assertEquals("0", r.get("code").asText());
      assertEquals("", r.get("message").asText());
    }
  }

  @Test
  void rekeyJob_hasNoPerNodeRecords() throws Exception {
    String job = runJob("/api/security/barbican-kms/" + config + "/rekey-internal");
    JsonNode reply = api.ok("/api/simulator/jobs/" + job + "/nodes");
    assertEquals(0, reply.get("num_records").asInt());
    assertEquals(0, reply.get("records").size());
  }

  @Test
  void unknownOrMalformedJob_is404_andAQueryParameterIsRefused() throws Exception {
    Reply unknown = api.get("/api/simulator/jobs/" + UUID.randomUUID() + "/nodes");
    assertEquals(404, unknown.status());
    assertEquals("4", unknown.errorCode());
    assertEquals(404, api.get("/api/simulator/jobs/not-a-uuid/nodes").status());
    String job = runJob("/api/security/barbican-kms/" + config + "/restore");
    Reply withFields = api.get("/api/simulator/jobs/" + job + "/nodes?fields=node");
    assertEquals(400, withFields.status());
    assertEquals("262179", withFields.errorCode());
  }

  /** One record of the reply, as the client sees it. */
  private record Shown(String node, boolean ok, String code, String message) {}
}
