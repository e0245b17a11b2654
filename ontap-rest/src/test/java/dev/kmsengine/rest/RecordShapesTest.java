package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every record served has only fields that ONTAP's schema for its type defines, so that strict clients (NetApp's
 * {@code netapp_ontap} rejects an unknown field) accept it. The allowed fields are ONTAP's, taken from the
 * reference ({@code barbican}, the object references) and ONTAP's REST API documentation
 * ({@code security_keystore}, {@code job}, {@code volume}, {@code svm}, {@code node}), limited to those this
 * server can have reason to return.
 */
class RecordShapesTest {
  private static final Map<String, Set<String>> BARBICAN = schema(Map.of(
      "", Set.of("_links", "application_cred_id", "barbican_reachability", "configuration", "enabled", "key_id",
          "keystone_url", "proxy_host", "proxy_port", "proxy_type", "proxy_username", "scope", "state", "svm",
          "timeout", "uuid", "verify", "verify_host"),
      "barbican_reachability", Set.of("code", "message", "reachable"),
      "state", Set.of("cluster_state", "code", "message")), "", "configuration", "svm");
  private static final Map<String, Set<String>> KEYSTORE = schema(Map.of(
      "", Set.of("configuration", "enabled", "location", "scope", "state", "svm", "type", "uuid")),
      null, "configuration", "svm");
  private static final Map<String, Set<String>> JOB = schema(Map.of(
      "", Set.of("_links", "code", "description", "end_time", "error", "message", "node", "start_time", "state",
          "svm", "uuid"),
      "error", Set.of("arguments", "code", "message")), "", "svm", "node");
  private static final Map<String, Set<String>> VOLUME = schema(Map.of(
      "", Set.of("_links", "encryption", "name", "svm", "uuid"),
      "encryption", Set.of("action", "enabled", "key_create_time", "key_id", "key_manager_attribute", "rekey",
          "state", "status", "type")), "", "svm");
  private static final Map<String, Set<String>> SVM = schema(Map.of("", Set.of("_links", "name", "uuid")), "");
  private static final Map<String, Set<String>> NODE = schema(Map.of("", Set.of("_links", "name", "state",
      "uuid")), "");

  /**
   * The allowed fields of each object, by its dotted path ({@code ""} for the record): {@code own} plus a HAL
   * self link at {@code linked} (null for none) and an object reference ({@code name}, {@code uuid}, self link)
   * at each of {@code refs}.
   */
  private static Map<String, Set<String>> schema(Map<String, Set<String>> own, String linked, String... refs) {
    Map<String, Set<String>> all = new java.util.HashMap<>(own);
    if (linked != null) {
      link(all, linked);
    }
    for (String ref : refs) {
      all.put(ref, Set.of("_links", "name", "uuid"));
      link(all, ref);
    }
    return Map.copyOf(all);
  }

  private static void link(Map<String, Set<String>> all, String at) {
    String prefix = at.isEmpty() ? "" : at + ".";
    all.put(prefix + "_links", Set.of("self"));
    all.put(prefix + "_links.self", Set.of("href"));
  }

  private static TestServer t;
  private static String config;

  @BeforeAll
  static void start() throws Exception {
    t = new TestServer(b -> b, "svm1", "svm2");
    config = t.createConfig("svm1", "shapes", true);
    TestServer.Reply on = t.send("PATCH", "/api/security/key-stores/" + config + "?return_timeout=30",
        "{\"enabled\": true}");
    assertEquals(200, on.status(), on.raw());
    t.createConfig("svm2", "missing-key", false);
    TestServer.Reply fail = t.send("PATCH", "/api/security/key-stores?configuration.name=missing-key"
        + "&return_timeout=30", "{\"enabled\": true}");
    assertEquals(409, fail.status(), fail.raw());
    TestServer.Reply vol = t.send("POST", "/api/storage/volumes?return_timeout=30",
        "{\"name\": \"v1\", \"svm\": {\"name\": \"svm1\"}, \"encryption\": {\"enabled\": true}}");
    assertEquals(201, vol.status(), vol.raw());
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  /** The collection with every field, and each record again as an instance GET. */
  private static List<JsonNode> records(String collection, String fields) throws Exception {
    TestServer.Reply list = t.send("GET", collection + "?fields=" + fields, null);
    assertEquals(200, list.status(), list.raw());
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : list.body().get("records")) {
      out.add(r);
      TestServer.Reply one = t.send("GET", collection + "/" + r.get("uuid").asText() + "?fields=" + fields, null);
      assertEquals(200, one.status(), one.raw());
      out.add(one.body());
    }
    assertTrue(!out.isEmpty(), collection + " has records to check");
    return out;
  }

  /** Fails on the first field, at any depth, that ONTAP's schema does not define for its object. */
  private static void assertOnlySchemaFields(String type, Map<String, Set<String>> allowed, List<JsonNode> records) {
    for (JsonNode r : records) {
      check(type, allowed, "", r);
    }
  }

  private static void check(String type, Map<String, Set<String>> allowed, String path, JsonNode object) {
    Set<String> names = allowed.getOrDefault(path, Set.of());
    object.fieldNames().forEachRemaining(name -> {
      String field = path.isEmpty() ? name : path + "." + name;
      assertTrue(names.contains(name), () -> "Unknown field \"" + field + "\" in a " + type + " record: " + object);
      if (object.get(name).isObject()) {
        check(type, allowed, field, object.get(name));
      }
    });
  }

  @Test
  void barbicanRecords_haveOnlyTheFieldsOfOntapsBarbicanSchema() throws Exception {
    assertOnlySchemaFields("barbican", BARBICAN, records("/api/security/barbican-kms", "**"));
  }

  @Test
  void keyStoreRecords_haveOnlySecurityKeystoreFields_andNoTopLevelLinks() throws Exception {
    List<JsonNode> records = records("/api/security/key-stores", "*");
    assertOnlySchemaFields("security_keystore", KEYSTORE, records);
    assertTrue(records.stream().noneMatch(r -> r.has("_links")), "no top-level _links on a key store");
  }

  @Test
  void jobRecords_haveOnlyJobFields_andAFailedJobsErrorHasNoTarget() throws Exception {
    List<JsonNode> records = records("/api/cluster/jobs", "*");
    assertOnlySchemaFields("job", JOB, records);
    assertTrue(records.stream().anyMatch(r -> r.has("error")), "a failed job is among those checked");
  }

  @Test
  void volumeRecords_haveOnlyVolumeFields() throws Exception {
    assertOnlySchemaFields("volume", VOLUME, records("/api/storage/volumes", "*"));
  }

  @Test
  void svmRecords_haveOnlySvmFields() throws Exception {
    assertOnlySchemaFields("svm", SVM, records("/api/svm/svms", "*"));
  }

  @Test
  void nodeRecords_haveOnlyNodeFields() throws Exception {
    assertOnlySchemaFields("node", NODE, records("/api/cluster/nodes", "*"));
  }
}
