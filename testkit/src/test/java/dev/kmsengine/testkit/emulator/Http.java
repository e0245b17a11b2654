package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A JDK HTTP client that trusts one emulator's CA, with the few calls the emulator tests make. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client;
  private final OpenStackEmulator os;

  Http(OpenStackEmulator os) {
    this.os = os;
    this.client = HttpClient.newBuilder().sslContext(os.certificateAuthority().clientContext())
        .connectTimeout(Duration.ofSeconds(20)).build();
  }

  HttpResponse<byte[]> send(String method, String url, String body, String... headers) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (headers.length > 0) {
      b.headers(headers);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  HttpResponse<byte[]> token(String id, String secret, String query) throws IOException {
    return send("POST", os.keystoneUrl() + "/auth/tokens" + query, "{\"auth\":{\"identity\":{\"methods\":"
        + "[\"application_credential\"],\"application_credential\":{\"id\":\"" + id + "\",\"secret\":\"" + secret
        + "\"}}}}", "Content-Type", "application/json");
  }

  String token(OpenStackEmulator.ApplicationCredential c) throws IOException {
    HttpResponse<byte[]> r = token(c.id(), c.secret().reveal(), "?nocatalog");
    return r.headers().firstValue("X-Subject-Token").orElseThrow(() -> new AssertionError(r.statusCode()));
  }

  HttpResponse<byte[]> get(String url, String token, String accept) throws IOException {
    return send("GET", url, null, "X-Auth-Token", token, "Accept", accept);
  }

  HttpResponse<byte[]> postJson(String url, String token, String body) throws IOException {
    return send("POST", url, body, "X-Auth-Token", token, "Content-Type", "application/json");
  }

  static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    return JSON.readTree(r.body());
  }
}
