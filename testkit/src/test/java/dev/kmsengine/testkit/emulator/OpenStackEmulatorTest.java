package dev.kmsengine.testkit.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.job.MutableClock;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keystone tokens and the emulator's lifecycle: faults, persistence, expiry. */
class OpenStackEmulatorTest {
  @Test
  void tokenExchange_answers201_withSubjectTokenCatalogAndKeystonesBody() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      HttpResponse<byte[]> r = new Http(os).token(c.id(), c.secret().reveal(), "");
      assertEquals(201, r.statusCode());
      assertTrue(r.headers().firstValue("X-Subject-Token").orElseThrow().startsWith("gAAAAA"));
      JsonNode t = Http.json(r).path("token");
      assertTrue(t.path("expires_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000000Z"));
      assertEquals(c.id(), t.path("application_credential").path("id").asText());
      assertEquals(os.defaultProject().id(), t.path("project").path("id").asText());
      assertEquals("creator", t.path("roles").path(0).path("name").asText());
      JsonNode catalog = t.path("catalog");
      assertEquals("identity", catalog.path(0).path("type").asText());
      assertEquals(os.keystoneUrl() + "/", catalog.path(0).path("endpoints").path(0).path("url").asText());
      assertEquals("key-manager", catalog.path(1).path("type").asText());
      List<String> interfaces = catalog.path(1).path("endpoints").findValuesAsText("interface");
      assertEquals(List.of("public", "internal", "admin"), interfaces);
      assertEquals(os.barbicanUrl(), catalog.path(1).path("endpoints").path(2).path("url").asText());
      assertEquals(1, os.tokenRequests());
    }
  }

  @Test
  void nocatalog_leavesTheCatalogOut() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      JsonNode t = Http.json(new Http(os).token(c.id(), c.secret().reveal(), "?nocatalog")).path("token");
      assertFalse(t.has("catalog"));
      assertTrue(t.has("roles"));
    }
  }

  @Test
  void wrongSecret_is401WithWwwAuthenticate_unknownId_is404() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      Http http = new Http(os);
      HttpResponse<byte[]> wrong = http.token(c.id(), "nope", "");
      assertEquals(401, wrong.statusCode());
      assertTrue(wrong.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Keystone uri="));
      assertEquals("The request you have made requires authentication.",
          Http.json(wrong).path("error").path("message").asText());
      HttpResponse<byte[]> unknown = http.token("00000000000000000000000000000000", "x", "");
      assertEquals(404, unknown.statusCode());
      assertEquals("Could not find Application Credential: 00000000000000000000000000000000.",
          Http.json(unknown).path("error").path("message").asText());
    }
  }

  @Test
  void methodsField_passwordLoginIs401_aMethodWithoutItsObjectIs400() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      Http http = new Http(os);
      HttpResponse<byte[]> password = http.send("POST", os.keystoneUrl() + "/auth/tokens", "{\"auth\":{\"identity\":"
          + "{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"u\",\"domain\":{\"id\":\"default\"},"
          + "\"password\":\"p\"}}}}}", "Content-Type", "application/json");
      assertEquals(401, password.statusCode());
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      HttpResponse<byte[]> missing = http.send("POST", os.keystoneUrl() + "/auth/tokens", "{\"auth\":{\"identity\":"
          + "{\"methods\":[\"password\"],\"application_credential\":{\"id\":\"" + c.id() + "\",\"secret\":\""
          + c.secret().reveal() + "\"}}}}", "Content-Type", "application/json");
      assertEquals(400, missing.statusCode());
      assertTrue(Http.json(missing).path("error").path("message").asText()
          .startsWith("Expecting to find password in identity."));
    }
  }

  @Test
  void versionDocuments_atTheRootsOfKeystoneAndBarbican() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      Http http = new Http(os);
      String keystoneRoot = os.keystoneUrl().substring(0, os.keystoneUrl().length() - 3);
      HttpResponse<byte[]> root = http.send("GET", keystoneRoot + "/", null);
      assertEquals(300, root.statusCode());
      assertEquals("v3.14", Http.json(root).path("versions").path("values").path(0).path("id").asText());
      HttpResponse<byte[]> v3 = http.send("GET", os.keystoneUrl(), null);
      assertEquals(200, v3.statusCode());
      assertEquals(os.keystoneUrl() + "/", Http.json(v3).path("version").path("links").path(0).path("href").asText());
      HttpResponse<byte[]> barbican = http.send("GET", os.barbicanUrl() + "/", null);
      assertEquals(300, barbican.statusCode());
      assertEquals("v1", Http.json(barbican).path("versions").path("values").path(0).path("id").asText());
      assertEquals(401, http.send("GET", os.barbicanUrl() + "/v1", null).statusCode());
      String token = http.token(os.createApplicationCredential());
      HttpResponse<byte[]> v1 = http.get(os.barbicanUrl() + "/v1", token, "application/json");
      assertEquals(200, v1.statusCode());
      assertEquals("stable", Http.json(v1).path("version").path("status").asText());
    }
  }

  @Test
  void tokenValidation_getAndHeadOfOwnToken_404ForGarbage_401WithoutCaller() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      Http http = new Http(os);
      String token = http.token(os.createApplicationCredential());
      String url = os.keystoneUrl() + "/auth/tokens";
      HttpResponse<byte[]> get = http.send("GET", url, null, "X-Auth-Token", token, "X-Subject-Token", token);
      assertEquals(200, get.statusCode());
      assertEquals(token, get.headers().firstValue("X-Subject-Token").orElseThrow());
      assertTrue(Http.json(get).path("token").has("catalog"));
      HttpResponse<byte[]> head = http.send("HEAD", url, null, "X-Auth-Token", token, "X-Subject-Token", token);
      assertEquals(200, head.statusCode());
      assertEquals(0, head.body().length);
      HttpResponse<byte[]> garbage = http.send("GET", url, null, "X-Auth-Token", token, "X-Subject-Token", "x");
      assertEquals(404, garbage.statusCode());
      assertEquals("Could not recognize Fernet token", Http.json(garbage).path("error").path("message").asText());
      assertEquals(401, http.send("GET", url, null, "X-Subject-Token", token).statusCode());
    }
  }

  @Test
  void revokedToken_keepsWorkingAtBarbicanUntilTheTokenCacheLetsGo() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (OpenStackEmulator os = OpenStackEmulator.builder().clock(clock).tokenCacheTime(Duration.ofSeconds(300))
        .start()) {
      Http http = new Http(os);
      String key = os.createSecret();
      String token = http.token(os.createApplicationCredential());
      assertEquals(200, http.get(key, token, "application/json").statusCode());
      HttpResponse<byte[]> revoke = http.send("DELETE", os.keystoneUrl() + "/auth/tokens", null,
          "X-Auth-Token", token, "X-Subject-Token", token);
      assertEquals(204, revoke.statusCode());
      clock.advance(Duration.ofSeconds(299));
      assertEquals(200, http.get(key, token, "application/json").statusCode());
      clock.advance(Duration.ofSeconds(1));
      assertEquals(401, http.get(key, token, "application/json").statusCode());
    }
  }

  @Test
  void revokedToken_withoutTokenCache_is401AtOnce() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      Http http = new Http(os);
      String key = os.createSecret();
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      String token = http.token(c);
      assertEquals(200, http.get(key, token, "application/json").statusCode());
      os.deleteApplicationCredential(c.id());
      assertEquals(401, http.get(key, token, "application/json").statusCode());
    }
  }

  @Test
  void expiredToken_byLifetime_is401() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (OpenStackEmulator os = OpenStackEmulator.builder().clock(clock).tokenLifetime(Duration.ofSeconds(30))
        .tokenCacheTime(Duration.ofSeconds(300)).start()) {
      Http http = new Http(os);
      String key = os.createSecret();
      String token = http.token(os.createApplicationCredential());
      assertEquals(200, http.get(key, token, "application/json").statusCode());
      clock.advance(Duration.ofSeconds(30));
      assertEquals(401, http.get(key, token, "application/json").statusCode());
    }
  }

  @Test
  void refusedConnections_thenListeningAgain_onTheSamePort() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      String url = os.keystoneUrl();
      Http http = new Http(os);
      os.refuseConnections(true);
      assertThrows(IOException.class, () -> http.token("a", "b", ""));
      os.refuseConnections(false);
      assertEquals(url, os.keystoneUrl());
      assertEquals(404, http.token("a", "b", "").statusCode());
    }
  }

  @Test
  void dataDirectory_restartedEmulator_servesTheSameKeyAtTheSameUrl(@TempDir Path dir) throws Exception {
    String key;
    OpenStackEmulator.ApplicationCredential c;
    OpenStackEmulator.Project other;
    byte[] payload;
    String caPem;
    try (OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(dir).start()) {
      other = os.addProject("other");
      c = os.createApplicationCredential(other, List.of("observer"));
      key = os.createSecret();
      payload = os.secretPayload(key);
      caPem = os.caCertificatePem();
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state.json"))));
    try (OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(dir).start()) {
      assertEquals(caPem, os.caCertificatePem());
      assertTrue(key.startsWith(os.barbicanUrl()));
      assertArrayEquals(payload, os.secretPayload(key));
      JsonNode t = Http.json(new Http(os).token(c.id(), c.secret().reveal(), "")).path("token");
      assertEquals(other.id(), t.path("project").path("id").asText());
      assertEquals("observer", t.path("roles").path(0).path("name").asText());
    }
  }

  @Test
  void stateOfTheFirstFormat_loads_withItsCredentialOnTheDefaultProject(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("state.json"), """
        {"keystone_port": 0, "barbican_port": 0, "credentials": {"c1": "s1"},
         "secrets": {"1b4e28ba-2fa1-4d3b-8a3c-5c5b5f5e8a11": {"payload": "AAEC", "secret_type": "symmetric",
           "algorithm": "aes", "bit_length": 256, "expiration": "", "created": "2026-01-01T00:00:00Z"}}}
        """);
    try (OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(dir).start()) {
      Http http = new Http(os);
      String token = http.token(new OpenStackEmulator.ApplicationCredential("c1",
          dev.kmsengine.keystore.Secret.of("s1"), "", List.of()));
      HttpResponse<byte[]> p = http.get(os.barbicanUrl() + "/v1/secrets/1b4e28ba-2fa1-4d3b-8a3c-5c5b5f5e8a11/payload",
          token, "application/octet-stream");
      assertEquals(200, p.statusCode());
      assertArrayEquals(new byte[] {0, 1, 2}, p.body());
      assertTrue(Files.readString(dir.resolve("state.json"), StandardCharsets.UTF_8).contains("default_project_id"));
    }
  }
}
