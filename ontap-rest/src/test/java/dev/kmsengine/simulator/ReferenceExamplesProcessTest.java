package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Replays every example of the Barbican KMS REST reference, in the reference's order, against the simulator
 * running as its own process: same paths, same bodies, same headers, and the documented status codes and JSON
 * shapes back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReferenceExamplesProcessTest {
  private static ApiClient api;
  private static String uuid;

  @BeforeAll
  static void start() throws Exception {
    api = SimulatorProcess.shared();
  }

  private static Set<String> keys(JsonNode n) {
    Set<String> out = new TreeSet<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  @Order(1)
  void createInactive_asInTheReference_answers202WithJobLinkAndLocation() throws Exception {
    String body = "{ \"svm\": { \"name\": \"barbican_svm\" }, \"configuration\": { \"name\": \"myConfiguration\" },"
        + " \"application_cred_id\": \"" + api.ready.at("/emulator/application_cred_id").asText() + "\","
        + " \"application_cred_secret\": \"" + api.ready.at("/emulator/application_cred_secret").asText() + "\","
        + " \"key_id\": \"" + api.ready.at("/emulator/key_id").asText() + "/\","
        + " \"keystone_url\": \"" + api.ready.at("/emulator/keystone_url").asText() + "\" }";
    Reply r = api.send("POST", "/api/security/barbican-kms", body);

    assertEquals(202, r.status(), r.raw()::body);
    assertEquals(Set.of("job"), keys(r.body()));
    String job = r.body().at("/job/uuid").asText();
    assertEquals("/api/cluster/jobs/" + job, r.body().at("/job/_links/self/href").asText());
    assertEquals("application/hal+json", r.header("Content-Type"));
    String location = r.header("Location");
    assertNotNull(location);
    assertTrue(location.startsWith("/api/security/barbican-kms/"), location);
    uuid = location.substring(location.lastIndexOf('/') + 1);
    JsonNode done = api.awaitJob(job);
    assertEquals("success", done.get("state").asText());
    assertEquals(0, done.get("code").asInt());
    assertEquals("barbican_svm", done.at("/svm/name").asText());
  }

  @Test
  @Order(2)
  void list_asInTheReference_returnsKeyFieldsAndLinksOnly() throws Exception {
    JsonNode list = api.ok("/api/security/barbican-kms?svm.name=barbican_svm");

    assertEquals(Set.of("records", "num_records", "_links"), keys(list));
    assertEquals(1, list.get("num_records").asInt());
    JsonNode rec = list.at("/records/0");
    assertEquals(Set.of("configuration", "uuid", "_links"), keys(rec));
    assertEquals("myConfiguration", rec.at("/configuration/name").asText());
    assertEquals(uuid, rec.at("/configuration/uuid").asText());
    assertEquals(uuid, rec.get("uuid").asText());
    assertEquals("/api/security/barbican-kms/" + uuid, rec.at("/_links/self/href").asText());
    assertEquals("/api/security/barbican-kms?svm.name=barbican_svm", list.at("/_links/self/href").asText());
  }

  @Test
  @Order(3)
  void getWithEmptyFields_asInTheReference_returnsEveryNonAdvancedFieldAndNoSecret() throws Exception {
    Reply r = api.get("/api/security/barbican-kms/" + uuid + "?fields=");

    assertEquals(200, r.status());
    JsonNode c = r.body();
    assertEquals(new TreeSet<>(List.of("configuration", "uuid", "scope", "svm", "key_id", "application_cred_id",
        "keystone_url", "proxy_type", "proxy_host", "proxy_port", "proxy_username", "verify", "verify_host",
        "enabled", "timeout", "_links")), keys(c));
    assertEquals("svm", c.get("scope").asText());
    assertEquals("barbican_svm", c.at("/svm/name").asText());
    assertEquals(api.ready.at("/emulator/key_id").asText() + "/", c.get("key_id").asText());
    assertEquals("https", c.get("proxy_type").asText());
    assertEquals("", c.get("proxy_host").asText());
    assertEquals(0, c.get("proxy_port").asInt());
    assertEquals("", c.get("proxy_username").asText());
    assertTrue(c.get("verify").asBoolean());
    assertTrue(c.get("verify_host").asBoolean());
    assertFalse(c.get("enabled").asBoolean());
    assertEquals(10, c.get("timeout").asInt());
    assertTrue(c.get("enabled").isBoolean() && c.get("timeout").isInt() && c.get("proxy_port").isInt());
    assertFalse(r.raw().body().contains(api.ready.at("/emulator/application_cred_secret").asText()),
        "the secret must never be returned");
  }

  @Test
  @Order(4)
  void getAdvancedProperty_asInTheReference_returnsItWithKeyFieldsOnly() throws Exception {
    JsonNode c = api.ok("/api/security/barbican-kms/" + uuid + "?fields=barbican_reachability");

    assertEquals(Set.of("configuration", "uuid", "barbican_reachability", "_links"), keys(c));
    assertTrue(c.at("/barbican_reachability/reachable").isBoolean());
    assertTrue(c.at("/barbican_reachability/reachable").asBoolean());
    assertEquals("", c.at("/barbican_reachability/message").asText());
    assertEquals("0", c.at("/barbican_reachability/code").asText());
  }

  @Test
  @Order(5)
  void patchCredentials_asInTheReference_answers202AndTheJobChecksThemAgainstKeystone() throws Exception {
    // The reference's own values are unknown to the emulator's Keystone: the job fails the health check.
    Reply example = api.send("PATCH", "/api/security/barbican-kms/" + uuid + "/",
        "{\"application_cred_id\": \"app345\",\n\"application_cred_secret\" : \"secret\"}",
        "application/x-www-form-urlencoded");
    assertEquals(202, example.status(), example.raw()::body);
    JsonNode failed = api.awaitJob(example.body().at("/job/uuid").asText());
    assertEquals("failure", failed.get("state").asText());
    assertEquals("65539223", failed.at("/error/code").asText());
    assertEquals(65539223, failed.get("code").asInt());

    // The emulator's credential passes, and the id is kept.
    String id = api.ready.at("/emulator/application_cred_id").asText();
    Reply good = api.send("PATCH", "/api/security/barbican-kms/" + uuid + "/", "{\"application_cred_id\": \""
        + id + "\", \"application_cred_secret\": \"" + api.ready.at("/emulator/application_cred_secret").asText()
        + "\", \"timeout\": 20}");
    api.succeeds(good);
    JsonNode c = api.ok("/api/security/barbican-kms/" + uuid);
    assertEquals(id, c.get("application_cred_id").asText());
    assertEquals(20, c.get("timeout").asInt());
  }

  @Test
  @Order(6)
  void enableThroughKeyStores_asTheReferenceSays_makesTheConfigurationActive() throws Exception {
    JsonNode before = api.ok("/api/security/key-stores/" + uuid);
    assertFalse(before.get("enabled").asBoolean());
    assertFalse(before.has("state"), "an inactive keystore shows no state");

    api.succeeds(api.send("PATCH", "/api/security/key-stores/" + uuid, "{\"enabled\": true}"));

    JsonNode ks = api.ok("/api/security/key-stores/" + uuid);
    assertTrue(ks.get("enabled").asBoolean());
    assertEquals("active", ks.get("state").asText());
    assertEquals("barbican", ks.get("type").asText());
    assertEquals("external", ks.get("location").asText());
    assertEquals("myConfiguration", ks.at("/configuration/name").asText());
    assertTrue(api.ok("/api/security/barbican-kms/" + uuid).get("enabled").asBoolean());
  }

  @Test
  @Order(7)
  void restore_asInTheReference_answers202WithJobLinkAndLocation() throws Exception {
    Reply r = api.send("POST", "/api/security/barbican-kms/" + uuid + "/restore", null);

    assertEquals(Set.of("job"), keys(r.body()));
    assertEquals("/api/security/barbican-kms/" + uuid, r.header("Location"));
    api.succeeds(r);
  }

  @Test
  @Order(8)
  void rekeyInternal_asInTheReference_answers202WithJobLink() throws Exception {
    Reply r = api.send("POST", "/api/security/barbican-kms/" + uuid + "/rekey-internal", null);

    assertEquals(Set.of("job"), keys(r.body()));
    JsonNode job = api.succeeds(r);
    assertEquals("POST /api/security/barbican-kms/" + uuid + "/rekey-internal", job.get("description").asText());
    assertNotNull(job.get("start_time"));
    assertNotNull(job.get("end_time"));
  }

  @Test
  @Order(9)
  void jobs_listAndInstance_showStateCodeMessageTimes() throws Exception {
    JsonNode list = api.ok("/api/cluster/jobs?fields=*&svm.name=barbican_svm");
    List<String> states = new ArrayList<>();
    list.get("records").forEach(j -> states.add(j.get("state").asText()));
    assertTrue(states.contains("success") && states.contains("failure"), states::toString);
    JsonNode failed = api.ok("/api/cluster/jobs?state=failure&fields=error,code&svm.name=barbican_svm")
        .at("/records/0");
    assertEquals(Set.of("uuid", "code", "error", "_links"), keys(failed));
    // ONTAP's job error has no target (only the top-level error of a response does).
    assertEquals(Set.of("message", "code"), keys(failed.get("error")));
  }
}
