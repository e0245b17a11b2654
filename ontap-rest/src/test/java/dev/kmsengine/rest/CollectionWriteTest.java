package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Query-based PATCH and DELETE on every collection whose instances take them: one job per matched record,
 * {@code return_timeout}, {@code return_records}, {@code serial_records}, {@code continue_on_failure}, and the
 * answers for no query and for no match.
 */
class CollectionWriteTest {
  private TestServer t;

  @BeforeEach
  void start() throws Exception {
    t = new TestServer(b -> b, "svm1", "svm2", "svm3");
  }

  @AfterEach
  void stop() {
    t.close();
  }

  private JsonNode get(String path) throws Exception {
    TestServer.Reply r = t.send("GET", path, null);
    assertEquals(200, r.status(), r.raw());
    return r.body();
  }

  private static List<String> jobUuids(JsonNode body) {
    List<String> out = new ArrayList<>();
    body.path("jobs").forEach(j -> out.add(j.get("uuid").asText()));
    return out;
  }

  @Test
  void patchBarbicanKms_byQuery_updatesEveryMatchingRecord_withOneJobEach() throws Exception {
    String a = t.createConfig("svm1", "qa1", true);
    String b = t.createConfig("svm2", "qa2", true);
    String other = t.createConfig("svm3", "other", true);

    TestServer.Reply r = t.send("PATCH", "/api/security/barbican-kms?configuration.name=qa*&return_timeout=30"
        + "&return_records=true", "{\"timeout\": 42}");

    assertEquals(200, r.status(), r.raw());
    assertEquals(2, r.body().get("num_records").asInt());
    List<String> jobs = jobUuids(r.body());
    assertEquals(2, jobs.size(), r.raw());
    assertNotEquals(jobs.get(0), jobs.get(1));
    assertEquals(42, r.body().at("/records/0/timeout").asInt(), r.raw());
    assertEquals(42, get("/api/security/barbican-kms/" + a + "?fields=timeout").get("timeout").asInt());
    assertEquals(42, get("/api/security/barbican-kms/" + b + "?fields=timeout").get("timeout").asInt());
    assertNotEquals(42, get("/api/security/barbican-kms/" + other + "?fields=timeout").get("timeout").asInt());
  }

  @Test
  void patchByQuery_withoutReturnTimeout_answers202WithEveryJob() throws Exception {
    t.createConfig("svm1", "qa1", true);
    t.createConfig("svm2", "qa2", true);

    TestServer.Reply r = t.send("PATCH", "/api/security/barbican-kms?svm.name=svm1|svm2", "{\"timeout\": 7}");

    assertEquals(202, r.status(), r.raw());
    assertEquals(2, jobUuids(r.body()).size(), r.raw());
    for (String job : jobUuids(r.body())) {
      assertTrue(t.engine.job(java.util.UUID.fromString(job)).isPresent(), job);
    }
  }

  @Test
  void patchOrDelete_withoutAQuery_isRefused_andAQueryMatchingNothing_answersNoRecords() throws Exception {
    String a = t.createConfig("svm1", "qa1", true);

    TestServer.Reply none = t.send("PATCH", "/api/security/barbican-kms?return_timeout=10", "{\"timeout\": 9}");
    TestServer.Reply deleteAll = t.send("DELETE", "/api/security/key-stores", null);
    TestServer.Reply nothing = t.send("PATCH", "/api/security/barbican-kms?configuration.name=nope", "{\"timeout\": 9}");

    assertEquals(400, none.status(), none.raw());
    assertTrue(none.body().at("/error/message").asText().contains("needs a query"), none.raw());
    assertEquals(400, deleteAll.status(), deleteAll.raw());
    assertEquals(200, nothing.status(), nothing.raw());
    assertEquals(0, nothing.body().get("num_records").asInt());
    assertNotEquals(9, get("/api/security/barbican-kms/" + a + "?fields=timeout").get("timeout").asInt());
    assertEquals(1, get("/api/security/key-stores").get("num_records").asInt());
  }

  @Test
  void collectionMethods_existOnlyWhereTheInstanceTakesThem() throws Exception {
    TestServer.Reply r = t.send("DELETE", "/api/security/barbican-kms?configuration.name=x", null);
    assertEquals(405, r.status(), r.raw());
  }

  @Test
  void enableByQuery_serialWithoutContinueOnFailure_stopsAtTheFirstFailure() throws Exception {
    String bad = t.createConfig("svm1", "bad", false);
    String good = t.createConfig("svm2", "good", true);

    TestServer.Reply r = t.send("PATCH", "/api/security/key-stores?configuration.name=bad|good&serial_records=true"
        + "&return_timeout=30", "{\"enabled\": true}");

    assertEquals(409, r.status(), r.raw());
    JsonNode arguments = r.body().at("/error/arguments");
    assertEquals(1, arguments.size(), r.raw());
    assertTrue(arguments.get(0).get("message").asText().startsWith(bad), r.raw());
    assertFalse(get("/api/security/key-stores/" + good).get("enabled").asBoolean(),
        "the record after the failed one was left alone");
  }

  @Test
  void enableByQuery_withContinueOnFailure_goesOnPastAFailure_andReportsIt() throws Exception {
    String bad = t.createConfig("svm1", "bad", false);
    String good = t.createConfig("svm2", "good", true);

    TestServer.Reply r = t.send("PATCH", "/api/security/key-stores?configuration.name=bad|good"
        + "&continue_on_failure=true&return_timeout=30", "{\"enabled\": true}");

    assertEquals(409, r.status(), r.raw());
    assertEquals("65539834", r.body().at("/error/code").asText(), r.raw());
    JsonNode arguments = r.body().at("/error/arguments");
    assertEquals(1, arguments.size(), r.raw());
    assertTrue(arguments.get(0).get("message").asText().startsWith(bad), r.raw());
    assertTrue(r.body().at("/error/message").asText().startsWith("1 of 2"), r.raw());
    assertTrue(get("/api/security/key-stores/" + good).get("enabled").asBoolean(), "the good record was enabled");
    assertFalse(get("/api/security/key-stores/" + bad).get("enabled").asBoolean());
  }

  @Test
  void deleteKeyStoresByQuery_partialFailure_deletesTheOthersOnlyWithContinueOnFailure() throws Exception {
    String active = t.createConfig("svm1", "active", true);
    TestServer.Reply on = t.send("PATCH", "/api/security/key-stores/" + active + "?return_timeout=30",
        "{\"enabled\": true}");
    assertEquals(200, on.status(), on.raw());
    String spare = t.createConfig("svm2", "spare", true);

    TestServer.Reply stopped = t.send("DELETE", "/api/security/key-stores?configuration.name=active|spare", null);
    assertTrue(stopped.status() >= 400 && stopped.status() < 500, stopped.raw());
    assertEquals(2, get("/api/security/key-stores").get("num_records").asInt(), "nothing deleted after the failure");

    TestServer.Reply r = t.send("DELETE", "/api/security/key-stores?configuration.name=active|spare"
        + "&continue_on_failure=true", null);
    assertEquals(stopped.status(), r.status(), r.raw());
    assertEquals(1, r.body().at("/error/arguments").size(), r.raw());
    assertTrue(r.body().at("/error/arguments/0/message").asText().startsWith(active), r.raw());
    JsonNode left = get("/api/security/key-stores?fields=configuration.name");
    assertEquals(1, left.get("num_records").asInt(), left::toString);
    assertEquals(active, left.at("/records/0/uuid").asText());
    assertEquals(404, t.send("GET", "/api/security/key-stores/" + spare, null).status());
  }

  @Test
  void deleteVolumesByQuery_deletesEveryMatch_withOneJobEach() throws Exception {
    for (String name : List.of("tmp1", "tmp2", "keep")) {
      TestServer.Reply v = t.send("POST", "/api/storage/volumes?return_timeout=30",
          "{\"name\": \"" + name + "\", \"svm\": {\"name\": \"svm1\"}}");
      assertEquals(201, v.status(), v.raw());
    }

    TestServer.Reply r = t.send("DELETE", "/api/storage/volumes?name=tmp*&return_timeout=30", null);

    assertEquals(200, r.status(), r.raw());
    assertEquals(2, r.body().get("num_records").asInt());
    assertEquals(2, jobUuids(r.body()).size());
    JsonNode left = get("/api/storage/volumes");
    assertEquals(1, left.get("num_records").asInt(), left::toString);
    assertEquals("keep", left.at("/records/0/name").asText());
  }

  @Test
  void rebootNodesByQuery_rebootsTheMatchingNodes_andNeedsTheAction() throws Exception {
    TestServer.Reply noAction = t.send("PATCH", "/api/cluster/nodes?name=node2", null);
    TestServer.Reply r = t.send("PATCH", "/api/cluster/nodes?name=node2&action=reboot", null);

    assertEquals(400, noAction.status(), noAction.raw());
    assertEquals("action", noAction.body().at("/error/target").asText());
    assertEquals(200, r.status(), r.raw());
    assertEquals(1, r.body().get("num_records").asInt());
  }
}
