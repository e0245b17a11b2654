package dev.kmsengine.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kmsengine.keystore.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.transport.HttpRequest;
import dev.kmsengine.transport.HttpResponse;
import dev.kmsengine.transport.HttpsClient;
import dev.kmsengine.transport.NodeNetwork;
import dev.kmsengine.transport.RetryPolicy;
import dev.kmsengine.transport.TransportException;
import dev.kmsengine.transport.TransportSettings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenStackEmulatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static HttpsClient client(OpenStackEmulator os) {
    return new HttpsClient(new TransportSettings(true, true, List.of(os.caCertificatePem()), ProxyType.HTTPS, "", 0,
        "", Secret.empty(), Duration.ofSeconds(5)), NodeNetwork.direct(), RetryPolicy.NONE);
  }

  private static HttpResponse tokenRequest(OpenStackEmulator os, String id, String secret) throws Exception {
    String body = "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],"
        + "\"application_credential\":{\"id\":\"" + id + "\",\"secret\":\"" + secret + "\"}}}}";
    return client(os).execute("n", new HttpRequest("POST", URI.create(os.keystoneUrl() + "/auth/tokens"),
        List.of(Map.entry("Content-Type", "application/json")), body.getBytes(StandardCharsets.UTF_8), false));
  }

  private static HttpResponse get(OpenStackEmulator os, String url, String token, String accept) throws Exception {
    return client(os).execute("n", HttpRequest.get(URI.create(url),
        List.of(Map.entry("X-Auth-Token", token), Map.entry("Accept", accept))));
  }

  @Test
  void tokenExchange_answers201_withSubjectTokenAndKeystonesBody() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      HttpResponse r = tokenRequest(os, c.id(), c.secret().reveal());
      assertEquals(201, r.status());
      assertNotNull(r.header("X-Subject-Token"));
      JsonNode t = JSON.readTree(r.body()).path("token");
      assertTrue(t.path("expires_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000000Z"));
      assertEquals(c.id(), t.path("application_credential").path("id").asText());
      assertEquals(1, os.tokenRequests());
    }
  }

  @Test
  void wrongSecret_is401WithWwwAuthenticate_unknownId_is404() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      HttpResponse wrong = tokenRequest(os, c.id(), "nope");
      assertEquals(401, wrong.status());
      assertTrue(wrong.header("WWW-Authenticate").startsWith("Keystone uri="));
      assertEquals("401 Unauthorized: The request you have made requires authentication.", wrong.summary());
      HttpResponse unknown = tokenRequest(os, "00000000000000000000000000000000", "x");
      assertEquals(404, unknown.status());
      assertTrue(unknown.summary().contains("Could not find Application Credential: 00000000000000000000000000000000."));
    }
  }

  @Test
  void barbican_servesMetadataAndPayload_406ForJson_401WithoutToken() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      String key = os.createSecret();
      String token = tokenRequest(os, c.id(), c.secret().reveal()).header("X-Subject-Token");
      JsonNode meta = JSON.readTree(get(os, key, token, "application/json").body());
      assertEquals("ACTIVE", meta.path("status").asText());
      assertEquals("symmetric", meta.path("secret_type").asText());
      assertEquals(256, meta.path("bit_length").asInt());
      assertEquals(key, meta.path("secret_ref").asText());
      HttpResponse payload = get(os, key + "/payload", token, "application/octet-stream");
      assertEquals("application/octet-stream", payload.header("Content-Type"));
      assertArrayEquals(os.secretPayload(key), payload.body());
      assertEquals(406, get(os, key + "/payload", token, "application/json").status());
      HttpResponse noToken = get(os, key, "garbage", "application/json");
      assertEquals(401, noToken.status());
      assertEquals(2, os.metadataRequests());
      assertEquals(2, os.payloadRequests());
    }
  }

  @Test
  void expiredToken_byLifetime_is401() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().tokenLifetime(Duration.ofSeconds(1)).start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      String key = os.createSecret();
      String token = tokenRequest(os, c.id(), c.secret().reveal()).header("X-Subject-Token");
      Thread.sleep(1_100);
      assertEquals(401, get(os, key, token, "application/json").status());
    }
  }

  @Test
  void refusedConnections_thenListeningAgain_onTheSamePort() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      String url = os.keystoneUrl();
      os.refuseConnections(true);
      TransportException e = assertThrows(TransportException.class,
          () -> tokenRequest(os, "a", "b"));
      assertEquals(TransportException.Kind.CONNECT, e.kind());
      os.refuseConnections(false);
      assertEquals(url, os.keystoneUrl());
      assertEquals(404, tokenRequest(os, "a", "b").status());
    }
  }

  @Test
  void dataDirectory_restartedEmulator_servesTheSameKeyAtTheSameUrl(@TempDir Path dir) throws Exception {
    String key;
    OpenStackEmulator.ApplicationCredential c;
    byte[] payload;
    String caPem;
    try (OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(dir).start()) {
      c = os.createApplicationCredential();
      key = os.createSecret();
      payload = os.secretPayload(key);
      caPem = os.caCertificatePem();
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state.json"))));
    try (OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(dir).start()) {
      assertEquals(caPem, os.caCertificatePem());
      assertTrue(key.startsWith(os.barbicanUrl()));
      String token = tokenRequest(os, c.id(), c.secret().reveal()).header("X-Subject-Token");
      assertArrayEquals(payload, get(os, key + "/payload", token, "application/octet-stream").body());
    }
  }

  @Test
  void deletedSecret_is404WithBarbicansDescription() throws Exception {
    try (OpenStackEmulator os = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential c = os.createApplicationCredential();
      String key = os.createSecret();
      os.deleteSecret(key);
      String token = tokenRequest(os, c.id(), c.secret().reveal()).header("X-Subject-Token");
      HttpResponse r = get(os, key, token, "application/json");
      assertEquals("404 Not Found: Secret not found.", r.summary());
      assertEquals("404 Not Found: Not Found. Provided secret id is invalid.",
          get(os, os.barbicanUrl() + "/v1/secrets/not-a-uuid", token, "application/json").summary());
    }
  }
}
