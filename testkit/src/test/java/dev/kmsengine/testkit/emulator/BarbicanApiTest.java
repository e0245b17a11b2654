package dev.kmsengine.testkit.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Barbican's secrets and orders, Accept negotiation and policy, as the real Barbican of the suite answers them. */
class BarbicanApiTest {
  private static OpenStackEmulator os;
  private static Http http;
  private static String token;

  @BeforeAll
  static void start() throws Exception {
    os = OpenStackEmulator.builder().start();
    http = new Http(os);
    token = http.token(os.createApplicationCredential());
  }

  @AfterAll
  static void stop() {
    os.close();
  }

  private static String store(String body) throws Exception {
    HttpResponse<byte[]> r = http.postJson(os.barbicanUrl() + "/v1/secrets", token, body);
    assertEquals(201, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
    String ref = Http.json(r).path("secret_ref").asText();
    assertEquals(ref, r.headers().firstValue("Location").orElseThrow());
    return ref;
  }

  @Test
  void storedSecret_withPayload_hasBarbicansMetadataAndServesItsBytes() throws Exception {
    String ref = store("{\"name\":\"with-payload\",\"payload\":\"aGVsbG8=\",\"payload_content_type\":"
        + "\"application/octet-stream\",\"payload_content_encoding\":\"base64\",\"algorithm\":\"aes\","
        + "\"bit_length\":256,\"mode\":\"cbc\",\"secret_type\":\"symmetric\"}");
    assertTrue(ref.substring(ref.lastIndexOf('/') + 1).matches(SecretCalls.V4_UUID.pattern()));
    JsonNode meta = Http.json(http.get(ref, token, "application/json"));
    assertEquals("with-payload", meta.path("name").asText());
    assertEquals("ACTIVE", meta.path("status").asText());
    assertTrue(meta.path("created").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}"),
        meta.path("created").asText());
    assertEquals("application/octet-stream", meta.path("content_types").path("default").asText());
    assertTrue(meta.path("expiration").isNull());
    HttpResponse<byte[]> p = http.get(ref + "/payload", token, "application/octet-stream");
    assertEquals("application/octet-stream", p.headers().firstValue("Content-Type").orElseThrow());
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), p.body());
  }

  @Test
  void secretWithoutPayload_hasNoContentTypes_andItsPayloadIs404() throws Exception {
    String ref = store("{\"name\":\"no-payload\",\"algorithm\":\"aes\",\"bit_length\":256}");
    JsonNode meta = Http.json(http.get(ref, token, "application/json"));
    assertFalse(meta.has("content_types"));
    assertEquals("opaque", meta.path("secret_type").asText());
    HttpResponse<byte[]> p = http.get(ref + "/payload", token, "*/*");
    assertEquals(404, p.statusCode());
    assertEquals("Not Found. Sorry but your secret has no payload.", Http.json(p).path("description").asText());
  }

  @Test
  void payloadWithoutContentType_is400_andANonJsonBodyIs415() throws Exception {
    HttpResponse<byte[]> r = http.postJson(os.barbicanUrl() + "/v1/secrets", token, "{\"payload\":\"x\"}");
    assertEquals(400, r.statusCode());
    assertTrue(Http.json(r).path("description").asText().contains("'payload_content_type' must also be supplied"));
    HttpResponse<byte[]> plain = http.send("POST", os.barbicanUrl() + "/v1/secrets", "x", "X-Auth-Token", token,
        "Content-Type", "text/plain");
    assertEquals(415, plain.statusCode());
  }

  @Test
  void acceptNegotiation_starEchoes_octetStreamOnTheDeprecatedGetReturnsThePayload_jsonOnPayloadIs406()
      throws Exception {
    String ref = store("{\"payload\":\"aGk=\",\"payload_content_type\":\"application/octet-stream\","
        + "\"payload_content_encoding\":\"base64\"}");
    HttpResponse<byte[]> star = http.get(ref + "/payload", token, "*/*");
    assertEquals("*/*", star.headers().firstValue("Content-Type").orElseThrow());
    assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), star.body());
    HttpResponse<byte[]> deprecated = http.get(ref, token, "application/octet-stream");
    assertEquals(200, deprecated.statusCode());
    assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), deprecated.body());
    HttpResponse<byte[]> json = http.get(ref + "/payload", token, "application/json");
    assertEquals(406, json.statusCode());
    assertEquals("Secret payload retrieval issue seen - Wrong payload content-type.",
        Http.json(json).path("description").asText());
  }

  @Test
  void ids_mustBeCanonicalV4Uuids_elseInvalid_andUnknownV4IsNotFound() throws Exception {
    String base = os.barbicanUrl() + "/v1/secrets/";
    for (String bad : List.of("not-a-uuid", "12345678-1234-1234-1234-123456789012",
        "1B4E28BA-2FA1-4D3B-8A3C-5C5B5F5E8A11")) {
      HttpResponse<byte[]> r = http.get(base + bad, token, "application/json");
      assertEquals(404, r.statusCode(), bad);
      assertEquals("Not Found. Provided secret id is invalid.", Http.json(r).path("description").asText(), bad);
    }
    HttpResponse<byte[]> unknown = http.get(base + "12345678-1234-4234-8234-123456789012", token, "application/json");
    assertEquals("Secret not found.", Http.json(unknown).path("description").asText());
  }

  @Test
  void list_filtersByName_pagesWithLimitAndOffset_andLinksBothWays() throws Exception {
    List<String> refs = List.of(store("{\"name\":\"paged\"}"), store("{\"name\":\"paged\"}"),
        store("{\"name\":\"paged\"}"));
    JsonNode page = Http.json(http.get(os.barbicanUrl() + "/v1/secrets?name=paged&limit=1&offset=1", token,
        "application/json"));
    assertEquals(3, page.path("total").asInt());
    assertEquals(1, page.path("secrets").size());
    assertTrue(refs.contains(page.path("secrets").path(0).path("secret_ref").asText()));
    assertTrue(page.path("previous").asText().endsWith("?limit=1&offset=0"));
    assertTrue(page.path("next").asText().endsWith("?limit=1&offset=2"));
    JsonNode none = Http.json(http.get(os.barbicanUrl() + "/v1/secrets?name=nothing-has-this-name", token,
        "application/json"));
    assertEquals(0, none.path("total").asInt());
    assertFalse(none.has("next"));
  }

  @Test
  void deletedSecret_is204ThenNotFound() throws Exception {
    String ref = store("{\"name\":\"to-delete\"}");
    assertEquals(204, http.send("DELETE", ref, null, "X-Auth-Token", token).statusCode());
    HttpResponse<byte[]> again = http.get(ref, token, "application/json");
    assertEquals(404, again.statusCode());
    assertEquals("Secret not found.", Http.json(again).path("description").asText());
  }

  @Test
  void keyOrder_isActiveAtOnce_andItsSecretHoldsAKeyOfTheAskedLength() throws Exception {
    HttpResponse<byte[]> r = http.postJson(os.barbicanUrl() + "/v1/orders", token, "{\"type\":\"key\",\"meta\":"
        + "{\"name\":\"ordered\",\"algorithm\":\"aes\",\"bit_length\":256,\"mode\":\"cbc\","
        + "\"payload_content_type\":\"application/octet-stream\"}}");
    assertEquals(202, r.statusCode());
    JsonNode order = Http.json(http.get(Http.json(r).path("order_ref").asText(), token, "application/json"));
    assertEquals("ACTIVE", order.path("status").asText());
    assertEquals("key", order.path("type").asText());
    String secret = order.path("secret_ref").asText();
    assertEquals(32, os.secretPayload(secret).length);
    JsonNode meta = Http.json(http.get(secret, token, "application/json"));
    assertEquals("ordered", meta.path("name").asText());
    assertEquals("symmetric", meta.path("secret_type").asText());
  }

  @Test
  void credentialWithoutABarbicanRole_gets403WithBarbicansDescriptions() throws Exception {
    String member = http.token(os.createApplicationCredential(os.defaultProject(), List.of("member")));
    String key = os.createSecret();
    assertEquals("Secret retrieval attempt not allowed - please review your user/project privileges",
        forbidden(http.get(key, member, "application/json")));
    assertEquals("Secret payload retrieval attempt not allowed - please review your user/project privileges",
        forbidden(http.get(key + "/payload", member, "*/*")));
    assertEquals("Secret(s) retrieval attempt not allowed - please review your user/project privileges",
        forbidden(http.get(os.barbicanUrl() + "/v1/secrets", member, "application/json")));
    assertEquals("Secret creation attempt not allowed - please review your user/project privileges",
        forbidden(http.postJson(os.barbicanUrl() + "/v1/secrets", member, "{}")));
    assertEquals("Secret deletion attempt not allowed - please review your user/project privileges",
        forbidden(http.send("DELETE", key, null, "X-Auth-Token", member)));
    assertEquals("Order creation attempt not allowed - please review your user/project privileges",
        forbidden(http.postJson(os.barbicanUrl() + "/v1/orders", member, "{}")));
    assertEquals(32, os.secretPayload(key).length);
  }

  @Test
  void observer_readsButCannotStore_andAnotherProjectsCreatorCannotRead() throws Exception {
    String key = os.createSecret();
    String observer = http.token(os.createApplicationCredential(os.defaultProject(), List.of("observer")));
    assertEquals(200, http.get(key + "/payload", observer, "application/octet-stream").statusCode());
    assertEquals(403, http.postJson(os.barbicanUrl() + "/v1/secrets", observer, "{}").statusCode());
    OpenStackEmulator.Project other = os.addProject("other");
    String stranger = http.token(os.createApplicationCredential(other, List.of("creator")));
    assertEquals(403, http.get(key, stranger, "application/json").statusCode());
    JsonNode list = Http.json(http.get(os.barbicanUrl() + "/v1/secrets", stranger, "application/json"));
    assertEquals(0, list.path("total").asInt());
  }

  private static String forbidden(HttpResponse<byte[]> r) throws Exception {
    assertEquals(403, r.statusCode());
    return Http.json(r).path("description").asText();
  }
}
