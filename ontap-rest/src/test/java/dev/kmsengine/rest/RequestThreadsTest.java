package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests are answered on the thread that read them only when their route never waits; one that waits, here for
 * the rest of its body, runs on a worker thread, so the socket threads keep serving every other connection.
 */
class RequestThreadsTest {
  /** More than the server's socket threads (2), so a wait on any of them would hold some connection up. */
  private static final int WAITING = 6;
  private TestServer t;

  @BeforeEach
  void start() throws Exception {
    // An idle timeout far longer than the client's timeout: a blocked socket thread would not be freed by it.
    t = new TestServer(b -> b.idleTimeout(Duration.ofSeconds(120)).headerTimeout(Duration.ofSeconds(120)), "svm1");
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void requestsWaitingForTheirBody_holdUpNoOtherConnection_andAreAnsweredWhenItArrives() throws Exception {
    List<SSLSocket> waiting = new ArrayList<>();
    List<String> rests = new ArrayList<>();
    try {
      for (int i = 0; i < WAITING; i++) {
        String body = "{\"name\": \"svm-waiting-" + i + "\"}";
        SSLSocket s = t.connect(Duration.ofSeconds(60));
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/svm/svms HTTP/1.1\r\nHost: h\r\nAuthorization: " + TestServer.AUTH
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n"
            + body.substring(0, 5)).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        waiting.add(s);
        rests.add(body.substring(5));
      }

      // Each on a new connection, which reads for 30 s at most: far less than the server would take to give up
      // on the waiting bodies.
      for (int i = 0; i < 5; i++) {
        for (String path : List.of("/api/cluster/nodes", "/api/svm/svms")) {
          List<TestServer.RawResponse> r = t.raw(("GET " + path + " HTTP/1.1\r\nHost: h\r\nAuthorization: "
              + TestServer.AUTH + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 1);
          assertEquals(200, r.isEmpty() ? -1 : r.get(0).status(), path);
        }
      }

      for (int i = 0; i < WAITING; i++) {
        OutputStream out = waiting.get(i).getOutputStream();
        out.write(rests.get(i).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        TestServer.RawResponse created = TestServer.readResponse(waiting.get(i).getInputStream());
        assertEquals(201, created == null ? -1 : created.status(), () -> created == null ? "closed" : created.text());
      }
      assertEquals(WAITING + 1, t.send("GET", "/api/svm/svms", null).body().get("num_records").asInt());
    } finally {
      for (SSLSocket s : waiting) {
        s.close();
      }
    }
  }
}
