package dev.kmsengine.rest.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The query conventions on plain records, without HTTP. */
class CollectionQueryTest {
  private static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("name", FieldType.STRING)
      .field("size", FieldType.INTEGER)
      .field("svm.name", FieldType.STRING)
      .field("online", FieldType.BOOLEAN)
      .advanced("health.ok", FieldType.BOOLEAN)
      .defaultOrder("name")
      .build();

  private record Item(String uuid, String name, Integer size, String svm, boolean online) {}

  private static final List<Item> ITEMS = List.of(
      new Item("00000000-0000-0000-0000-000000000003", "alpha", 10, "svm1", true),
      new Item("00000000-0000-0000-0000-000000000001", "beta", 20, "svm2", false),
      new Item("00000000-0000-0000-0000-000000000002", "gamma", null, "svm1", true),
      new Item("00000000-0000-0000-0000-000000000004", "Delta", 40, "svm2", true));

  private final AtomicInteger advancedRenders = new AtomicInteger();

  private ObjectNode render(Item i, Set<String> advanced) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("uuid", i.uuid());
    o.put("name", i.name());
    if (i.size() != null) {
      o.put("size", i.size());
    }
    o.putObject("svm").put("name", i.svm()).putObject("_links").putObject("self").put("href", "/svm");
    o.put("online", i.online());
    if (advanced.contains("health")) {
      advancedRenders.incrementAndGet();
      o.putObject("health").put("ok", i.online());
    }
    o.putObject("_links").putObject("self").put("href", "/x/" + i.uuid());
    return o;
  }

  private ObjectNode run(String query) {
    return CollectionQuery.parse(SCHEMA, QueryParameters.parse(query)).run(ITEMS, this::render, "/x");
  }

  private List<String> names(String query) {
    List<String> out = new ArrayList<>();
    run(query).get("records").forEach(r -> out.add(r.get("name").asText()));
    return out;
  }

  @Test
  void filter_operators_selectAsDocumented() {
    assertEquals(List.of("alpha", "gamma"), names("svm.name=svm1"));
    assertEquals(List.of("alpha", "beta"), names("size=%3C=20"));
    assertEquals(List.of("beta", "Delta"), names("size=15..40"));
    assertEquals(List.of("gamma"), names("size=null"));
    assertEquals(List.of("alpha", "beta", "Delta"), names("size=!null"));
    assertEquals(List.of("alpha", "beta", "Delta"), names("size=!30"));
    assertEquals(List.of("Delta", "gamma"), names("name=*a&name=!alpha&name=!beta"));
    assertEquals(List.of("beta"), names("online=false"));
    assertEquals(List.of("alpha", "Delta"), names("name=ALPHA%7Cd*"));
  }

  @Test
  void advancedProperty_isComputedOnlyWhenSelectedFilteredOrOrdered() {
    run("fields=*");
    assertEquals(0, advancedRenders.get());
    assertFalse(run("fields=*").at("/records/0").has("health"));
    assertTrue(run("fields=**").at("/records/0").has("health"));
    assertEquals(List.of("beta"), names("health.ok=false"));
    assertFalse(run("health.ok=false").at("/records/0").has("health"));
    assertTrue(advancedRenders.get() > 0);
  }

  @Test
  void projection_keepsKeysAndLinksOfSelectedObjects() {
    JsonNode r = run("fields=svm.name&name=alpha").at("/records/0");
    assertEquals(List.of("uuid", "name", "svm", "_links"), fieldNames(r));
    assertEquals(List.of("name", "_links"), fieldNames(r.get("svm")));
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void paging_withNullsInTheOrderField_visitsEveryRecordOnce() {
    List<String> seen = new ArrayList<>();
    String query = "order_by=size%20desc&max_records=1";
    for (int i = 0; i < 10 && query != null; i++) {
      ObjectNode page = run(query);
      page.get("records").forEach(r -> seen.add(r.get("name").asText()));
      JsonNode next = page.at("/_links/next/href");
      query = next.isMissingNode() ? null : next.asText().substring("/x?".length());
    }
    assertEquals(List.of("Delta", "beta", "alpha", "gamma"), seen);
  }

  @Test
  void badValues_areRejectedWithTheirCodes() {
    assertEquals(ErrorCode.INVALID_ARGUMENT_VALUE,
        assertThrows(KmsException.class, () -> run("size=big")).errorCode());
    assertEquals(ErrorCode.INVALID_ARGUMENT_VALUE,
        assertThrows(KmsException.class, () -> run("online=%3Etrue")).errorCode());
    assertEquals(ErrorCode.UNEXPECTED_ARGUMENT,
        assertThrows(KmsException.class, () -> run("svm=svm1")).errorCode());
    assertEquals(ErrorCode.UNEXPECTED_ARGUMENT,
        assertThrows(KmsException.class, () -> run("fields=nope")).errorCode());
    assertEquals(ErrorCode.INVALID_ARGUMENT_VALUE,
        assertThrows(KmsException.class, () -> run("return_timeout=121")).errorCode());
    assertEquals(ErrorCode.INVALID_ARGUMENT_VALUE,
        assertThrows(KmsException.class, () -> run("max_records=1&max_records=2")).errorCode());
    assertEquals(ErrorCode.INVALID_ARGUMENT_VALUE,
        assertThrows(KmsException.class, () -> run("name=%ZZ")).errorCode());
  }
}
