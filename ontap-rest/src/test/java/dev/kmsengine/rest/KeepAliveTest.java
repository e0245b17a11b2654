package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An error answered before the request's body was read (401 here) leaves the connection usable when the body is
 * in, and says {@code Connection: close} when it is not, so a keep-alive client never sends its next request on a
 * connection the server is about to close.
 */
class KeepAliveTest {
  private static final String BODY = "{\"name\": \"v\", \"svm\": {\"name\": \"svm1\"}}";
  private static final String UNAUTHENTICATED_POST = "POST /api/storage/volumes HTTP/1.1\r\nHost: h\r\n"
      + "Content-Type: application/json\r\nContent-Length: " + BODY.length() + "\r\n\r\n";
  private TestServer t;

  @BeforeEach
  void start() throws Exception {
    t = new TestServer(b -> b, "svm1");
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void anErrorWithTheBodyUnread_butArrived_keepsTheConnectionForTheNextRequest() throws Exception {
    try (SSLSocket s = t.connect(Duration.ofSeconds(30))) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write((UNAUTHENTICATED_POST + BODY + "GET /api/cluster/nodes HTTP/1.1\r\nHost: h\r\nAuthorization: "
          + TestServer.AUTH + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();

      TestServer.RawResponse denied = TestServer.readResponse(in);
      TestServer.RawResponse next = TestServer.readResponse(in);

      assertEquals(401, denied.status(), denied::text);
      assertEquals(200, next == null ? -1 : next.status(), "the next request on the connection is answered");
    }
  }

  @Test
  void anErrorWithTheBodyNotYetSent_answersAndClosesTheConnection() throws Exception {
    try (SSLSocket s = t.connect(Duration.ofSeconds(30))) {
      s.getOutputStream().write(UNAUTHENTICATED_POST.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();

      TestServer.RawResponse denied = TestServer.readResponse(s.getInputStream());

      assertEquals(401, denied.status(), denied::text);
      assertEquals("close", denied.headers().get("connection"), denied.headers()::toString);
    }
  }
}
