package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every validation error of POST and PATCH, unknown resources, bad query values, bad bodies, unknown paths and
 * methods, and authentication, against the simulator process: each answers ONTAP's error body with the right code
 * and HTTP status, never a 500 or a stack trace.
 */
class ErrorCasesProcessTest {
  private static ApiClient api;
  private static String config;

  @BeforeAll
  static void start() throws Exception {
    api = SimulatorProcess.shared();
    config = api.createConfig(api.configBody("svm1", "errors-config"));
  }

  private static void assertError(Reply r, int status, String code, String target) {
    assertEquals(status, r.status(), r.raw()::body);
    JsonNode error = r.body().get("error");
    assertEquals(code, error.get("code").asText(), r.raw()::body);
    assertTrue(error.get("code").isTextual(), "the code is a string");
    assertFalse(error.get("message").asText().isEmpty());
    assertTrue(error.get("arguments").isArray());
    if (target != null) {
      assertEquals(target, error.path("target").asText(), r.raw()::body);
    }
    Set<String> keys = new TreeSet<>();
    error.fieldNames().forEachRemaining(keys::add);
    assertTrue(Set.of("message", "code", "target", "arguments").containsAll(keys), keys::toString);
    assertFalse(r.raw().body().contains("Exception"), "no stack trace or exception name");
  }

  private Reply create(ObjectNode body) throws Exception {
    return api.send("POST", "/api/security/barbican-kms", body.toString());
  }

  @Test
  void create_withoutSecret_is65539805() throws Exception {
    ObjectNode b = api.configBody("svm1", "no-secret");
    b.remove("application_cred_secret");
    assertError(create(b), 400, "65539805", "application_cred_secret");
  }

  @Test
  void create_onAdminSvm_is65539807() throws Exception {
    assertError(create(api.configBody("cluster1", "admin")), 400, "65539807", "svm.name");
  }

  @Test
  void create_withTakenName_is65539808Conflict() throws Exception {
    assertError(create(api.configBody("svm1", "errors-config")), 409, "65539808", "configuration.name");
  }

  @ParameterizedTest
  @CsvSource({
      "key_id, http://barbican.example:9311/v1/secrets/x, 65539810",
      "keystone_url, http://keystone.example:5000/v3, 65539811",
      "key_id, not a url, 65539810",
      "application_cred_id, '', 65539835"})
  void create_withBadField_isItsCode(String field, String value, String code) throws Exception {
    ObjectNode b = api.configBody("svm1", "bad-" + field);
    b.put(field, value);
    assertError(create(b), 400, code, field);
  }

  @Test
  void create_withoutKeyId_is65539810() throws Exception {
    ObjectNode b = api.configBody("svm1", "no-key");
    b.remove("key_id");
    assertError(create(b), 400, "65539810", "key_id");
  }

  @Test
  void create_onUnknownSvm_isSvmNotFound() throws Exception {
    assertError(create(api.configBody("no_such_svm", "x")), 400, "2621462", "svm.name");
  }

  @Test
  void create_bySvmUuid_works_andAMalformedUuidIsInvalidField() throws Exception {
    String svm1 = api.ok("/api/svm/svms?name=svm1").at("/records/0/uuid").asText();
    ObjectNode b = api.configBody("svm1", "by-uuid");
    b.remove("svm");
    b.putObject("svm").put("uuid", svm1);
    assertEquals("svm1", api.ok("/api/security/barbican-kms/" + api.createConfig(b) + "?fields=svm")
        .at("/svm/name").asText());
    b.putObject("svm").put("uuid", "not-a-uuid");
    assertError(create(b), 400, "2", "svm.uuid");
  }

  @Test
  void create_withEmptySvm_asksForTheSvm() throws Exception {
    ObjectNode b = api.configBody("svm1", "no-svm");
    b.putObject("svm");
    assertError(create(b), 400, "2", "svm.name");
  }

  @Test
  void create_withWrongTypes_isInvalidField() throws Exception {
    ObjectNode b = api.configBody("svm1", "typed");
    b.put("timeout", "10");
    assertError(create(b), 400, "2", "timeout");
    ObjectNode c = api.configBody("svm1", "typed");
    c.put("verify", "yes");
    assertError(create(c), 400, "2", "verify");
    ObjectNode d = api.configBody("svm1", "typed");
    d.put("svm", "svm1");
    assertError(create(d), 400, "2", "svm");
  }

  @Test
  void create_withUnknownOrReadOnlyField_is262179() throws Exception {
    ObjectNode b = api.configBody("svm1", "extra");
    b.put("colour", "blue");
    assertError(create(b), 400, "262179", "colour");
    ObjectNode c = api.configBody("svm1", "extra");
    c.put("enabled", true);
    assertError(create(c), 400, "262179", "enabled");
  }

  @Test
  void create_withMalformedJson_is400WithoutEchoingTheBody() throws Exception {
    Reply r = api.send("POST", "/api/security/barbican-kms", "{\"application_cred_secret\": \"s3cr3t-leak\",");
    assertError(r, 400, "2", null);
    assertFalse(r.raw().body().contains("s3cr3t-leak"));
    assertError(api.send("POST", "/api/security/barbican-kms", "[1, 2]"), 400, "2", null);
    assertError(api.send("POST", "/api/security/barbican-kms", "{\"a\": 1} trailing"), 400, "2", null);
    assertError(api.send("POST", "/api/security/barbican-kms", "{\"timeout\": 1, \"timeout\": 2}"), 400, "2", null);
  }

  @Test
  void create_withOversizedBody_is413() throws Exception {
    String big = "{\"x\": \"" + "a".repeat(70 * 1024) + "\"}";
    assertError(api.send("POST", "/api/security/barbican-kms", big), 413, "2", null);
  }

  @Test
  void patch_withOnlyOneCredentialField_is65539841() throws Exception {
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"application_cred_id\": \"a\"}"),
        400, "65539841", null);
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"application_cred_secret\": \"a\"}"),
        400, "65539841", null);
  }

  @Test
  void patch_withEmptyCredential_is65539815or65539814() throws Exception {
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config,
        "{\"application_cred_id\": \"\", \"application_cred_secret\": \"s\"}"), 400, "65539815",
        "application_cred_id");
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config,
        "{\"application_cred_id\": \"a\", \"application_cred_secret\": \"\"}"), 400, "65539814",
        "application_cred_secret");
  }

  @Test
  void patch_withBadTransportValues_isInvalidField() throws Exception {
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"proxy_port\": 70000}"),
        400, "2", "proxy_port");
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"proxy_type\": \"socks\"}"),
        400, "2", "proxy_type");
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"timeout\": 0}"), 400, "2", "timeout");
  }

  @Test
  void patch_ofNotPatchableField_is262179() throws Exception {
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"key_id\": \"https://x/y\"}"),
        400, "262179", "key_id");
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + config, "{\"svm\": {\"name\": \"svm1\"}}"),
        400, "262179", "svm.name");
  }

  @Test
  void patch_ofUnknownConfiguration_is404WithTheReferenceCode() throws Exception {
    assertError(api.send("PATCH", "/api/security/barbican-kms/" + UUID.randomUUID(), "{\"timeout\": 5}"),
        404, "65539832", "uuid");
  }

  @Test
  void get_ofUnknownOrMalformedUuid_is404EntryDoesntExist() throws Exception {
    Reply r = api.get("/api/security/barbican-kms/" + UUID.randomUUID());
    assertError(r, 404, "4", "uuid");
    assertEquals("entry doesn't exist", r.body().at("/error/message").asText());
    assertError(api.get("/api/security/barbican-kms/not-a-uuid"), 404, "4", "uuid");
    assertError(api.get("/api/security/key-stores/" + UUID.randomUUID()), 404, "4", "uuid");
    assertError(api.get("/api/cluster/jobs/" + UUID.randomUUID()), 404, "4", "uuid");
    assertError(api.get("/api/storage/volumes/" + UUID.randomUUID()), 404, "4", "uuid");
    assertError(api.send("DELETE", "/api/storage/volumes/" + UUID.randomUUID(), null), 404, "4", "uuid");
  }

  @ParameterizedTest
  @CsvSource({
      "return_timeout=121, 262197, return_timeout",
      "return_timeout=-1, 262197, return_timeout",
      "return_timeout=abc, 262197, return_timeout",
      "max_records=0, 262197, max_records",
      "return_records=maybe, 262197, return_records",
      "order_by=colour, 262179, colour",
      "order_by=timeout sideways, 262197, order_by",
      "fields=colour, 262179, colour",
      "colour=blue, 262179, colour",
      "timeout=ten, 262197, timeout",
      "enabled=perhaps, 262197, enabled",
      "enabled=<true, 262197, enabled",
      "start.uuid=x&start.colour=1, 262179, start.colour"})
  void collectionGet_withBadQuery_isRejected(String query, String code, String target) throws Exception {
    assertError(api.get("/api/security/barbican-kms?" + query.replace(" ", "%20").replace("<", "%3C")), 400, code,
        target);
  }

  @Test
  void writes_withBadQuery_areRejectedBeforeAnythingHappens() throws Exception {
    ObjectNode b = api.configBody("svm1", "never-created");
    assertError(api.send("POST", "/api/security/barbican-kms?return_timeout=600", b.toString()), 400, "262197",
        "return_timeout");
    assertError(api.send("POST", "/api/security/barbican-kms?fields=uuid", b.toString()), 400, "262179", "fields");
    assertEquals(0, api.ok("/api/security/barbican-kms?configuration.name=never-created").get("num_records").asInt());
    assertError(api.get("/api/security/barbican-kms/" + config + "?max_records=1"), 400, "262179", "max_records");
  }

  @Test
  void actions_onAnInactiveConfiguration_are409NotConfigured() throws Exception {
    assertError(api.send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal", null), 409, "65539817",
        null);
    assertError(api.send("POST", "/api/security/barbican-kms/" + config + "/restore", null), 409, "65539817", null);
  }

  @Test
  void encryptedVolume_withoutEnabledKeyManager_is409() throws Exception {
    assertError(api.send("POST", "/api/storage/volumes", "{\"name\": \"v\", \"svm\": {\"name\": \"svm1\"},"
        + " \"encryption\": {\"enabled\": true}}"), 409, "65539836", "encryption.enabled");
  }

  @Test
  void keyStores_patchWithoutEnabled_is400_andDeleteOfUnknown_is404() throws Exception {
    assertError(api.send("PATCH", "/api/security/key-stores/" + config, "{}"), 400, "2", "enabled");
    assertError(api.send("PATCH", "/api/security/key-stores/" + config, "{\"enabled\": \"yes\"}"), 400, "2",
        "enabled");
    assertError(api.send("DELETE", "/api/security/key-stores/" + UUID.randomUUID(), null), 404, "4", "uuid");
  }

  @Test
  void unknownPathOrMethod_is404or405() throws Exception {
    assertError(api.get("/api/security/nothing-here"), 404, "4", null);
    assertError(api.get("/not-api"), 404, "4", null);
    Reply r = api.send("DELETE", "/api/security/barbican-kms/" + config, null);
    assertError(r, 405, "3", null);
    assertEquals("GET, PATCH", r.header("Allow"));
    assertError(api.send("PUT", "/api/security/barbican-kms", "{}"), 405, "3", null);
  }

  @Test
  void missingOrWrongCredentials_are401() throws Exception {
    Reply none = api.send("GET", "/api/security/barbican-kms", null, null, "application/json", null);
    assertError(none, 401, "6", null);
    assertTrue(none.header("WWW-Authenticate").startsWith("Basic"));
    assertError(api.send("GET", "/api/svm/svms", null, null, null, ApiClient.basic("admin", "wrong")), 401, "6", null);
    assertError(api.send("GET", "/api/svm/svms", null, null, null, "Basic !!!"), 401, "6", null);
    assertError(api.send("GET", "/api/svm/svms", null, null, null, "Bearer token"), 401, "6", null);
  }

  @Test
  void inactiveKeystore_canBeDeleted_butNotTheEnabledOne() throws Exception {
    String doomed = api.createConfig(api.configBody("svm1", "doomed"));
    Reply del = api.send("DELETE", "/api/security/key-stores/" + doomed, null);
    assertEquals(200, del.status(), del.raw()::body);
    assertError(api.get("/api/security/barbican-kms/" + doomed), 404, "4", "uuid");
  }
}
