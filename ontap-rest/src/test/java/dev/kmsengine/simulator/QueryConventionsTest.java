package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONTAP's query conventions over real HTTPS, on a simulator started in this JVM: filters, {@code order_by},
 * paging through {@code _links.next}, {@code fields}, {@code return_records}, {@code return_timeout} and the HAL
 * rule for {@code application/json}.
 */
class QueryConventionsTest {
  private static final List<String> NAMES = List.of("qv1", "qv2", "qv3", "qv4", "qv5", "qv6", "qv7");
  private static Simulator simulator;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    Path ready = Files.createTempDirectory("query-test-").resolve("ready.json");
    simulator = Simulator.start(new String[] {"--port", "0", "--ready-file", ready.toString(), "--svm", "qsvm",
        "--svm", "other_svm", "--nodes", "2"}, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8));
    api = new ApiClient(ApiClient.JSON.readTree(ready.toFile()));
    for (String n : NAMES) {
      volume(n, "qsvm");
    }
    volume("zz", "other_svm");
    int[] timeouts = {5, 15, 30, 60};
    for (int i = 0; i < timeouts.length; i++) {
      ObjectNode b = api.configBody(i % 2 == 0 ? "qsvm" : "other_svm", "cfg" + i);
      b.put("timeout", timeouts[i]);
      api.createConfig(b);
    }
  }

  @AfterAll
  static void stop() {
    simulator.close();
  }

  private static void volume(String name, String svm) throws Exception {
    Reply r = api.send("POST", "/api/storage/volumes?return_timeout=30", "{\"name\": \"" + name
        + "\", \"svm\": {\"name\": \"" + svm + "\"}}");
    assertEquals(201, r.status(), r.raw()::body);
  }

  private static List<String> names(String query) throws Exception {
    List<String> out = new ArrayList<>();
    api.ok("/api/storage/volumes?" + query).get("records").forEach(r -> out.add(r.get("name").asText()));
    return out;
  }

  private static List<Integer> timeouts(String query) throws Exception {
    List<Integer> out = new ArrayList<>();
    api.ok("/api/security/barbican-kms?fields=timeout&order_by=timeout&" + query).get("records")
        .forEach(r -> out.add(r.get("timeout").asInt()));
    return out;
  }

  @Test
  void filters_wildcardsAlternativesNegationNested_matchAsOntap() throws Exception {
    assertEquals(NAMES, names("name=qv*"));
    assertEquals(List.of("qv1", "qv3"), names("name=qv1%7Cqv3"));
    assertEquals(List.of("qv2", "qv3", "qv4", "qv5", "qv6", "qv7"), names("name=!qv1&svm.name=qsvm"));
    assertEquals(List.of("zz"), names("svm.name=other*"));
    assertEquals(List.of("qv2"), names("name=QV2"));
    assertEquals(List.of("zz", "qv1"), names("name=*v1%7Cz*"));
    assertEquals(List.of("qv3"), names("name=%22qv3%22"));
    assertEquals(List.of(), names("name=qv1&svm.name=other_svm"));
  }

  @Test
  void filters_nullAndNotNull_testWhetherAFieldIsSet() throws Exception {
    assertEquals(NAMES, names("svm.name=qsvm&encryption.key_id=null"));
    assertEquals(List.of(), names("encryption.key_id=!null"));
    assertEquals(List.of(), names("name=null"));
    assertEquals(NAMES, names("encryption.enabled=false&svm.name=qsvm"));
  }

  @Test
  void filters_comparisonsAndRanges_areNumericOnIntegers() throws Exception {
    assertEquals(List.of(5), timeouts("timeout=%3C15"));
    assertEquals(List.of(5, 15), timeouts("timeout=%3C=15"));
    assertEquals(List.of(30, 60), timeouts("timeout=%3E15"));
    assertEquals(List.of(30, 60), timeouts("timeout=%3E=30"));
    assertEquals(List.of(15, 30), timeouts("timeout=10..30"));
    assertEquals(List.of(5, 30, 60), timeouts("timeout=!15"));
    assertEquals(List.of(5, 60), timeouts("timeout=5%7C60"));
    assertEquals(List.of(5, 30), timeouts("svm.name=qsvm&enabled=false"));
  }

  @Test
  void orderBy_severalFieldsAscAndDesc_ordersRecords() throws Exception {
    List<String> desc = new ArrayList<>(NAMES);
    desc.add("zz");
    desc.sort(Comparator.reverseOrder());
    assertEquals(desc, names("order_by=name%20desc&name=qv*%7Czz"));
    assertEquals(List.of("zz", "qv7", "qv6", "qv5", "qv4", "qv3", "qv2", "qv1"),
        names("order_by=svm.name,name%20desc&name=qv*%7Czz"));
    assertEquals(List.of(60, 30, 15, 5), timeoutsOrdered("timeout%20desc"));
  }

  private static List<Integer> timeoutsOrdered(String order) throws Exception {
    List<Integer> out = new ArrayList<>();
    api.ok("/api/security/barbican-kms?fields=timeout&order_by=" + order).get("records")
        .forEach(r -> out.add(r.get("timeout").asInt()));
    return out;
  }

  private static List<String> followPages(String first, boolean hal) throws Exception {
    List<String> seen = new ArrayList<>();
    String next = first;
    int pages = 0;
    while (next != null) {
      Reply r = api.send("GET", next, null, null, hal ? "application/hal+json" : "application/json",
          ApiClient.basic("admin", api.ready.at("/admin/password").asText()));
      assertEquals(200, r.status(), r.raw()::body);
      JsonNode page = r.body();
      assertTrue(page.get("num_records").asInt() <= 3);
      page.get("records").forEach(rec -> seen.add(rec.get("name").asText()));
      JsonNode link = page.at("/_links/next/href");
      next = link.isMissingNode() ? null : link.asText();
      pages++;
      assertTrue(pages < 20, "paging must end");
    }
    return seen;
  }

  @Test
  void paging_followingNextToTheEnd_returnsEveryRecordOnceInOrder() throws Exception {
    assertEquals(NAMES, followPages("/api/storage/volumes?svm.name=qsvm&max_records=3", true));
    List<String> desc = new ArrayList<>(NAMES);
    desc.sort(Comparator.reverseOrder());
    assertEquals(desc, followPages("/api/storage/volumes?svm.name=qsvm&max_records=3&order_by=name%20desc", false));
    JsonNode first = api.ok("/api/storage/volumes?svm.name=qsvm&max_records=3");
    String next = first.at("/_links/next/href").asText();
    assertTrue(next.contains("svm.name=qsvm") && next.contains("max_records=3") && next.contains("start.uuid="), next);
    assertTrue(api.ok("/api/storage/volumes?svm.name=qsvm&max_records=7").at("/_links/next").isMissingNode());
  }

  @Test
  void paging_afterTheLastRecordOfAPageIsDeleted_continuesWhereThePageEnded() throws Exception {
    volume("pa1", "other_svm");
    volume("pa2", "other_svm");
    volume("pa3", "other_svm");
    JsonNode first = api.ok("/api/storage/volumes?name=pa*&max_records=2");
    assertEquals("pa2", first.at("/records/1/name").asText());
    Reply del = api.send("DELETE", "/api/storage/volumes/" + first.at("/records/1/uuid").asText()
        + "?return_timeout=30", null);
    assertEquals(200, del.status(), del.raw()::body);
    JsonNode second = api.ok(first.at("/_links/next/href").asText());
    assertEquals(1, second.get("num_records").asInt());
    assertEquals("pa3", second.at("/records/0/name").asText());
  }

  @Test
  void returnRecordsFalse_countsWithoutRecords() throws Exception {
    JsonNode r = api.ok("/api/storage/volumes?svm.name=qsvm&return_records=false&max_records=2");
    assertEquals(7, r.get("num_records").asInt());
    assertFalse(r.has("records"));
  }

  private static Set<String> keys(JsonNode n) {
    Set<String> out = new TreeSet<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void fields_starDoubleStarAndLists_followTheAdvancedPropertyRule() throws Exception {
    JsonNode keysOnly = api.ok("/api/security/barbican-kms?configuration.name=cfg0").at("/records/0");
    assertEquals(Set.of("configuration", "uuid", "_links"), keys(keysOnly));
    JsonNode star = api.ok("/api/security/barbican-kms?configuration.name=cfg0&fields=*").at("/records/0");
    assertFalse(star.has("barbican_reachability") || star.has("state"));
    assertTrue(star.has("key_id") && star.has("svm") && star.has("timeout"));
    JsonNode all = api.ok("/api/security/barbican-kms?configuration.name=cfg0&fields=**").at("/records/0");
    assertEquals(keys(star).size() + 2, keys(all).size());
    assertTrue(all.at("/barbican_reachability/reachable").asBoolean());
    assertFalse(all.at("/state/cluster_state").asBoolean());
    JsonNode listed = api.ok("/api/security/barbican-kms?configuration.name=cfg0&fields=svm.name,state.code")
        .at("/records/0");
    assertEquals(Set.of("configuration", "uuid", "svm", "state", "_links"), keys(listed));
    assertEquals(Set.of("name", "_links"), keys(listed.get("svm")));
    assertEquals(Set.of("code"), keys(listed.get("state")));
    JsonNode starPlus = api.ok("/api/security/barbican-kms?configuration.name=cfg0&fields=*,state").at("/records/0");
    assertEquals(keys(star).size() + 1, keys(starPlus).size());
    String id = keysOnly.get("uuid").asText();
    assertFalse(api.ok("/api/security/barbican-kms/" + id).has("state"));
    assertTrue(api.ok("/api/security/barbican-kms/" + id + "?fields=**").has("state"));
  }

  @Test
  void filterOnAdvancedProperty_computesItWithoutReturningIt() throws Exception {
    JsonNode r = api.ok("/api/security/barbican-kms?barbican_reachability.reachable=true");
    assertEquals(4, r.get("num_records").asInt());
    assertFalse(r.at("/records/0").has("barbican_reachability"));
  }

  @Test
  void returnTimeout_zeroAnswers202_positiveWaitsAndAnswersTheFinalStatus() throws Exception {
    Reply queued = api.send("POST", "/api/storage/volumes?return_timeout=0", "{\"name\": \"rt0\", \"svm\":"
        + " {\"name\": \"other_svm\"}}");
    assertEquals(202, queued.status());
    assertTrue(queued.header("Location").startsWith("/api/storage/volumes/"));
    api.succeeds(queued);

    Reply created = api.send("POST", "/api/security/barbican-kms?return_timeout=30&return_records=true",
        api.configBody("other_svm", "rt-config").toString());
    assertEquals(201, created.status(), created.raw()::body);
    assertEquals(1, created.body().get("num_records").asInt());
    JsonNode record = created.body().at("/records/0");
    assertEquals("rt-config", record.at("/configuration/name").asText());
    assertEquals(created.header("Location"), "/api/security/barbican-kms/" + record.get("uuid").asText());
    assertTrue(created.body().has("job"));

    Reply patched = api.send("PATCH", "/api/security/barbican-kms/" + record.get("uuid").asText()
        + "?return_timeout=30", "{\"timeout\": 42}");
    assertEquals(200, patched.status(), patched.raw()::body);
    assertTrue(patched.body().has("job"));
    assertNull(patched.header("Location"));

    Reply failed = api.send("PATCH", "/api/security/barbican-kms/" + record.get("uuid").asText()
        + "?return_timeout=30", "{\"application_cred_id\": \"x\", \"application_cred_secret\": \"y\"}");
    assertEquals(400, failed.status(), failed.raw()::body);
    assertEquals("65539223", failed.errorCode());
  }

  @Test
  void acceptJson_dropsLinksExceptNext() throws Exception {
    Reply r = api.send("GET", "/api/storage/volumes?svm.name=qsvm&max_records=2&fields=svm", null, null,
        "application/json", ApiClient.basic("admin", api.ready.at("/admin/password").asText()));
    assertEquals("application/json", r.header("Content-Type"));
    assertFalse(r.raw().body().contains("\"self\""), r.raw()::body);
    assertTrue(r.body().at("/_links/next/href").isTextual());
    assertEquals(Set.of("next"), keys(r.body().get("_links")));
  }
}
