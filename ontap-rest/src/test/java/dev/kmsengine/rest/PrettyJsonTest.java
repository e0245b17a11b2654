package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The API's JSON writer gives, byte for byte, what Jackson's default pretty printer gives for the same tree. */
class PrettyJsonTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final List<String> STRINGS = List.of("", "plain", "with \"quotes\"", "back\\slash", "tab\there",
      "new\nline", "\u0000\u0001\u001f\u007f", "caf\u00e9", "\u4e2d\u6587", "emoji \ud83d\udd11", "/api/x?a=1&b=<2>",
      "\u2028\u2029");

  private static void assertSameAsJackson(JsonNode tree) throws Exception {
    String jackson = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
    assertEquals(jackson, new String(Json.write(tree), StandardCharsets.UTF_8));
  }

  @Test
  void anApiRecordCollection_isWrittenAsJacksonWritesIt() throws Exception {
    ObjectNode body = Json.object();
    ArrayNode records = body.putArray("records");
    for (int i = 0; i < 3; i++) {
      ObjectNode r = records.addObject().put("uuid", "cafbc46f-9254-3afa-99ea-159eb72dc9d" + i).put("name", "node" + i);
      r.set("_links", Json.selfLink("/api/cluster/nodes/" + i));
    }
    body.put("num_records", 3);
    body.set("_links", Json.selfLink("/api/cluster/nodes"));
    assertSameAsJackson(body);
  }

  @Test
  void emptyAndNestedContainers_scalarsOfEveryKind_andEscapedStrings_areWrittenAsJacksonWritesThem()
      throws Exception {
    ObjectNode o = Json.object();
    o.putObject("empty");
    o.putArray("none");
    o.putArray("nested").add(F.arrayNode()).add(Json.object()).add(F.arrayNode().add(1).add(F.arrayNode().add("x")))
        .addObject().put("a", 1).putObject("b").putArray("c").addObject();
    o.put("int", -7).put("long", Long.MIN_VALUE).put("double", 0.1).put("small", 1e-9).put("big", 1e300)
        .put("float", 1.5f).put("t", true).put("f", false).put("decimal", new BigDecimal("12.3400"))
        .put("bigint", new BigInteger("123456789012345678901234567890")).putNull("null");
    o.put("nan", Double.NaN).put("short", (short) 3);
    ArrayNode strings = o.putArray("strings");
    for (String s : STRINGS) {
      strings.add(s);
      o.put(s, s);
    }
    assertSameAsJackson(o);
    assertSameAsJackson(F.arrayNode());
    assertSameAsJackson(Json.object());
    assertSameAsJackson(F.textNode("top \"level\""));
    assertSameAsJackson(F.numberNode(42));
  }

  @Test
  void randomTrees_areWrittenAsJacksonWritesThem() throws Exception {
    Random random = new Random(12);
    for (int i = 0; i < 300; i++) {
      assertSameAsJackson(randomNode(random, 0));
    }
  }

  private static JsonNode randomNode(Random random, int depth) {
    int kind = random.nextInt(depth > 4 ? 5 : 7);
    switch (kind) {
      case 0:
        return F.textNode(STRINGS.get(random.nextInt(STRINGS.size())));
      case 1:
        return F.numberNode(random.nextInt());
      case 2:
        return F.numberNode(random.nextDouble() * 1000);
      case 3:
        return F.booleanNode(random.nextBoolean());
      case 4:
        return F.nullNode();
      case 5: {
        ObjectNode o = Json.object();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.set(STRINGS.get(random.nextInt(STRINGS.size())) + i, randomNode(random, depth + 1));
        }
        return o;
      }
      default: {
        ArrayNode a = F.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.add(randomNode(random, depth + 1));
        }
        return a;
      }
    }
  }
}
