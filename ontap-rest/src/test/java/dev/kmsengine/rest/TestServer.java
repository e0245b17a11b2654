package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An engine over an in-memory key provider, served by an {@link OntapRestServer} on loopback, with an
 * authenticated JDK client and a raw TLS client for requests no well-behaved client would send.
 */
final class TestServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("admin:pw".getBytes(StandardCharsets.UTF_8));
  static final String KEYSTONE = "https://keystone.test:5000/v3";

  final InMemoryKeyProvider keys = new InMemoryKeyProvider().addCredential("id", Secret.of("secret"));
  final KmsEngine engine;
  final OntapRestServer server;
  final SSLContext clientTls;
  private final HttpClient http;

  TestServer(UnaryOperator<OntapRestServer.Builder> options, String... svms) throws IOException {
    engine = KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(2).dataSvms(svms).build())
        .keyProvider(keys).build();
    CertificateAuthority ca = CertificateAuthority.create("test CA");
    server = options.apply(OntapRestServer.builder(engine).tls(ca.issueServer(List.of("127.0.0.1")).serverContext())
        .credentials("admin", Secret.of("pw")).port(0)).build();
    server.start();
    clientTls = ca.clientContext();
    http = HttpClient.newBuilder().sslContext(clientTls).connectTimeout(Duration.ofSeconds(20)).build();
  }

  /** A reply: status, Content-Type and body as JSON (an empty object for no body). */
  record Reply(int status, String contentType, JsonNode body, String raw) {}

  Reply send(String method, String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUri() + path.replace("|", "%7C")))
        .header("Authorization", AUTH).timeout(Duration.ofSeconds(150))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
        r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body()), r.body());
  }

  /** Creates a Barbican configuration over a new key (or a missing one) and waits for it; returns its uuid. */
  String createConfig(String svm, String name, boolean keyExists) throws IOException, InterruptedException {
    String key = "https://barbican.test:9311/v1/secrets/" + svm + "-" + name;
    if (keyExists) {
      keys.createKey(key);
    }
    Reply r = send("POST", "/api/security/barbican-kms?return_timeout=30&return_records=true",
        "{\"svm\": {\"name\": \"" + svm + "\"}, \"configuration\": {\"name\": \"" + name + "\"}, \"key_id\": \""
            + key + "\", \"keystone_url\": \"" + KEYSTONE + "\", \"application_cred_id\": \"id\","
            + " \"application_cred_secret\": \"secret\"}");
    if (r.status() != 201) {
      throw new AssertionError("create " + name + ": " + r.raw());
    }
    return r.body().at("/records/0/uuid").asText();
  }

  /** A TLS connection to the server, handshake done, reads bounded by {@code timeout}. */
  SSLSocket connect(Duration timeout) throws IOException {
    SSLSocket s = (SSLSocket) clientTls.getSocketFactory().createSocket();
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) timeout.toMillis());
    s.setSoTimeout((int) timeout.toMillis());
    s.startHandshake();
    return s;
  }

  /** One raw response: status, lower-cased headers and body. */
  record RawResponse(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends {@code request} as is on a new connection and reads up to {@code count} responses, stopping early when
   * the server closes the connection.
   */
  List<RawResponse> raw(byte[] request, int count) throws IOException {
    try (SSLSocket s = connect(Duration.ofSeconds(30))) {
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = s.getInputStream();
      List<RawResponse> responses = new ArrayList<>();
      while (responses.size() < count) {
        RawResponse r = readResponse(in);
        if (r == null) {
          break;
        }
        responses.add(r);
      }
      return responses;
    }
  }

  /** Reads one HTTP/1.1 response framed by Content-Length (the server always sends one), or null at EOF. */
  static RawResponse readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    int b = 0;
    while (last4 != 0x0d0a0d0a && (b = in.read()) >= 0) {
      head.write(b);
      last4 = (last4 << 8) | b;
    }
    if (b < 0) {
      if (head.size() == 0) {
        return null;
      }
      throw new IOException("connection closed inside a response head: " + head);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new IOException("connection closed inside a response body");
    }
    return new RawResponse(status, headers, body);
  }

  @Override
  public void close() {
    server.close();
    engine.close();
  }
}
