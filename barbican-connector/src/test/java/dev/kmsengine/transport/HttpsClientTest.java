package dev.kmsengine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpsClientTest {
  private CannedServer server;
  private HttpsClient client;

  @BeforeEach
  void start() throws IOException {
    server = new CannedServer();
    client = client(Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private HttpsClient client(Duration timeout) {
    return new HttpsClient(new TransportSettings(true, true, List.of(server.caPem()), ProxyType.HTTP, "", 0, "",
        Secret.empty(), timeout), NodeNetwork.direct(), RetryPolicy.NONE);
  }

  private HttpRequest get() {
    return HttpRequest.get(URI.create("https://127.0.0.1:" + server.port() + "/v1/secrets/x?limit=1"),
        List.of(Map.entry("Accept", "application/json")));
  }

  private TransportException fails(TransportException.Kind kind) {
    TransportException e = assertThrows(TransportException.class, () -> client.execute("node1", get()));
    assertEquals(kind, e.kind(), e.getMessage());
    assertTrue(e.getMessage().startsWith("GET https://127.0.0.1:" + server.port() + "/v1/secrets/x: "),
        e.getMessage());
    return e;
  }

  @Test
  void repeatedHeaders_keepEveryValue_inOrder() throws Exception {
    server.answer("HTTP/1.1 200 OK\r\nVary: Accept\r\nX-Subject-Token: t\r\nvary: X-Auth-Token\r\n"
        + "Content-Length: 0\r\n\r\n");
    HttpResponse r = client.execute("node1", get());
    assertEquals(List.of("Accept", "X-Auth-Token"), r.headers("VARY"));
    assertEquals("Accept", r.header("vary"));
    assertEquals("t", r.header("x-subject-token"));
    assertEquals(List.of(), r.headers("absent"));
  }

  @Test
  void chunkedBody_withExtensionsAndTrailers_isReassembled() throws Exception {
    server.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
    assertEquals("abcde", client.execute("node1", get()).bodyText());
  }

  @Test
  void informationalAnswers_areSkipped_andAStatusLineWithoutReasonIsRead() throws Exception {
    server.answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
        + "HTTP/1.1 404\r\nContent-Length: 2\r\n\r\n{}");
    HttpResponse r = client.execute("node1", get());
    assertEquals(404, r.status());
    assertEquals("", r.reason());
    assertEquals("{}", r.bodyText());
  }

  @Test
  void bodyWithoutLength_isReadToTheEndOfTheConnection() throws Exception {
    server.answer("HTTP/1.0 200 OK\r\n\r\n" + "k".repeat(70_000));
    assertEquals(70_000, client.execute("node1", get()).body().length);
  }

  @Test
  void request_carriesHostLengthAndClose_andNothingHttpClientWouldAddUnasked() throws Exception {
    server.answer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    HttpRequest post = new HttpRequest("POST", URI.create("https://127.0.0.1:" + server.port() + "/v3/auth/tokens"),
        List.of(Map.entry("Content-Type", "application/json")), "{}".getBytes(StandardCharsets.UTF_8), true);
    assertEquals(201, client.execute("node1", post).status());
    String head = server.requestHeads.poll(10, TimeUnit.SECONDS);
    assertTrue(head.startsWith("POST /v3/auth/tokens HTTP/1.1\r\n"), head);
    assertTrue(head.contains("\r\nHost: 127.0.0.1:" + server.port() + "\r\n"), head);
    assertTrue(head.contains("\r\nContent-Length: 2\r\n"), head);
    assertTrue(head.contains("\r\nContent-Type: application/json\r\n"), head);
    assertTrue(head.contains("\r\nConnection: close\r\n"), head);
    assertFalse(head.toLowerCase().contains("accept-encoding"), head);
    assertFalse(head.toLowerCase().contains("proxy-authorization"), head);
  }

  @Test
  void truncatedLengthBody_isAProtocolError() {
    server.answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    assertTrue(fails(TransportException.Kind.PROTOCOL).getMessage().contains("Content-Length"));
  }

  @Test
  void truncatedChunk_isAProtocolError() {
    server.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
    fails(TransportException.Kind.PROTOCOL);
  }

  @Test
  void nonHttpAnswer_isAProtocolError() {
    server.answer("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    fails(TransportException.Kind.PROTOCOL);
  }

  @Test
  void oversizedBody_andOversizedHeaderLine_areProtocolErrors() {
    server.answer("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n");
    assertTrue(fails(TransportException.Kind.PROTOCOL).getMessage().contains("larger than"));
    server.answer("HTTP/1.0 200 OK\r\n\r\n" + "x".repeat(HttpsClient.MAX_BODY + 1));
    assertTrue(fails(TransportException.Kind.PROTOCOL).getMessage().contains("larger than"));
    server.answer("HTTP/1.1 200 OK\r\nX-Long: " + "y".repeat(HttpsClient.MAX_LINE + 1) + "\r\n\r\n");
    fails(TransportException.Kind.PROTOCOL);
  }

  @Test
  void aServerThatTricklesForever_isCutOffAtTheAttemptDeadline() {
    client = client(Duration.ofSeconds(1));
    server.answer(out -> {
      try {
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // Each byte comes well inside the read timeout; only the attempt deadline stops this.
        for (int i = 0; i < 1_000_000; i++) {
          out.write('x');
          out.flush();
          Thread.sleep(50);
        }
      } catch (IOException e) {
        // The client closed the connection: the point of the test.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(fails(TransportException.Kind.TIMEOUT).getMessage().contains("within 1 s"));
  }

  /**
   * Mutated answers (a fixed seed, so a failure repeats): each ends in an answer or a PROTOCOL error naming the
   * request, none hangs or escapes as another exception. A smoke test of the mapping around HttpClient's parser,
   * which has its own fuzzing upstream; each case costs a TLS handshake, hence the modest count.
   */
  @Test
  void mutatedAnswers_endInAnAnswerOrAProtocolError() throws Exception {
    String[] seeds = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"status\":1}\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nT: 1\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Keystone\r\n"
          + "Content-Length: 2\r\n\r\n{}",
      "HTTP/1.0 204 No Content\r\nVary: a\r\nVary: b\r\n\r\n",
    };
    Random random = new Random(14);
    int answered = 0;
    int cases = 120;
    for (int i = 0; i < cases; i++) {
      server.answer(mutate(seeds[i % seeds.length], random));
      try {
        HttpResponse r = client.execute("node1", get());
        assertTrue(r.status() >= 100 && r.status() <= 999, "a parsed status: " + r.status());
        answered++;
      } catch (TransportException e) {
        assertEquals(TransportException.Kind.PROTOCOL, e.kind(), e.getMessage());
        assertTrue(e.getMessage().startsWith("GET https://127.0.0.1:"), e.getMessage());
      }
    }
    assertTrue(answered > 0 && answered < cases, answered + " of " + cases + " answered");
  }

  private static String mutate(String seed, Random random) {
    StringBuilder b = new StringBuilder(seed);
    for (int n = 1 + random.nextInt(3); n > 0 && b.length() > 0; n--) {
      int at = random.nextInt(b.length());
      switch (random.nextInt(6)) {
        case 0 -> b.setCharAt(at, (char) random.nextInt(256));
        case 1 -> b.delete(at, Math.min(b.length(), at + 1 + random.nextInt(8)));
        case 2 -> b.insert(at, "\r\n");
        case 3 -> b.insert(at, b.substring(at, Math.min(b.length(), at + 1 + random.nextInt(16))));
        case 4 -> b.setLength(at);
        default -> b.insert(at, (char) ('0' + random.nextInt(10)));
      }
    }
    return b.toString();
  }

  @Test
  void responseToString_andBodyWipe_keepTheBodyOutOfSight() throws Exception {
    server.answer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkey!");
    HttpResponse r = client.execute("node1", get());
    assertEquals("HttpResponse[200 OK, 4 bytes]", r.toString());
    r.wipe();
    assertArrayEquals(new byte[4], r.body());
  }

  @Test
  void backoff_doublesUpToTheCap_withJitterInTheUpperHalf() {
    RetryPolicy p = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofSeconds(10));
    assertEquals(50, p.backoffMillis(1, 0.0));
    assertEquals(99, p.backoffMillis(1, 0.999));
    assertEquals(100, p.backoffMillis(2, 0.0));
    assertEquals(150, p.backoffMillis(3, 0.0));
    assertEquals(150, p.backoffMillis(9, 0.0));
  }

  @Test
  void requestToString_showsNoQueryOrHeaders() {
    HttpRequest r = HttpRequest.get(URI.create("https://h/v1/secrets/x?token=abc"),
        List.of(Map.entry("X-Auth-Token", "secret-token")));
    assertEquals("HttpRequest[GET https://h/v1/secrets/x]", r.toString());
    assertThrows(IllegalArgumentException.class, () -> HttpRequest.get(URI.create("http://h/"), List.of()));
  }
}
