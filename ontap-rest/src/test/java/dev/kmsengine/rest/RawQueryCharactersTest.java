package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The characters of ONTAP's query language as curl sends them, unencoded ({@code |}, {@code <}, {@code >},
 * {@code !}, {@code *}, {@code "}, and {@code +} for a space), mean exactly what their percent-encoded forms mean.
 */
class RawQueryCharactersTest {
  private static TestServer t;

  @BeforeAll
  static void start() throws Exception {
    t = new TestServer(b -> b, "svm1");
    for (String name : List.of("vol1", "vol2", "test", "other")) {
      TestServer.Reply r = t.send("POST", "/api/storage/volumes?return_timeout=30",
          "{\"name\": \"" + name + "\", \"svm\": {\"name\": \"svm1\"}}");
      assertEquals(201, r.status(), r.raw());
    }
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  private static JsonNode get(String pathAndQuery) throws Exception {
    byte[] request = ("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + TestServer.AUTH
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    TestServer.RawResponse r = t.raw(request, 1).get(0);
    assertEquals(200, r.status(), () -> pathAndQuery + " -> " + r.text());
    return TestServer.JSON.readTree(r.body());
  }

  private static List<String> names(JsonNode body) {
    List<String> out = new ArrayList<>();
    body.get("records").forEach(r -> out.add(r.get("name").asText()));
    return out;
  }

  private static void assertSameAnswer(String raw, String encoded, List<String> expected) throws Exception {
    JsonNode a = get("/api/storage/volumes?" + raw);
    JsonNode b = get("/api/storage/volumes?" + encoded);
    assertEquals(b, a, raw + " and " + encoded);
    assertEquals(expected, names(a), raw);
  }

  @Test
  void alternativesAndWildcards_rawAsCurlSendsThem_matchAsEncoded() throws Exception {
    assertSameAnswer("name=vol*|test", "name=vol%2A%7Ctest", List.of("test", "vol1", "vol2"));
  }

  @Test
  void comparisonsAndNegation_raw_matchAsEncoded() throws Exception {
    assertSameAnswer("name=>test", "name=%3Etest", List.of("vol1", "vol2"));
    assertSameAnswer("name=<other", "name=%3Cother", List.of());
    assertSameAnswer("name=!vol*", "name=%21vol%2A", List.of("other", "test"));
  }

  @Test
  void quotesAndSpaces_rawPlusAndPercentTwenty_meanTheSame() throws Exception {
    assertSameAnswer("name=\"vol1\"", "name=%22vol1%22", List.of("vol1"));
    JsonNode plus = get("/api/cluster/jobs?return_records=false&description=*+*");
    assertEquals(get("/api/cluster/jobs?return_records=false&description=*%20*").get("num_records"),
        plus.get("num_records"));
    assertEquals(4, plus.get("num_records").asInt(), "the four volume jobs have a space in their description");
    assertEquals(0, get("/api/cluster/jobs?return_records=false&description=*%2B*").get("num_records").asInt());
    assertEquals(get("/api/storage/volumes?fields=name&name=vol*"), get("/api/storage/volumes?fields=name&name=vol%2A"));
  }
}
