package dev.kmsengine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Http1CodecTest {
  private static ByteArrayInputStream in(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void chunkedBody_isReassembled() throws IOException {
    HttpResponse r = Http1Codec.readResponse(in("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"), "GET");
    assertEquals("abcde", r.bodyText());
  }

  @Test
  void contentLengthBody_andCaseInsensitiveHeaders() throws IOException {
    HttpResponse r = Http1Codec.readResponse(in("HTTP/1.1 201 CREATED\r\nX-Subject-Token: t\r\n"
        + "Content-Length: 2\r\n\r\n{}"), "POST");
    assertEquals(201, r.status());
    assertEquals("CREATED", r.reason());
    assertEquals("t", r.header("x-subject-token"));
    assertArrayEquals("{}".getBytes(StandardCharsets.US_ASCII), r.body());
  }

  @Test
  void truncatedBody_isAnError() {
    assertThrows(IOException.class,
        () -> Http1Codec.readResponse(in("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), "GET"));
  }

  @Test
  void nonHttpAnswer_isAnError() {
    assertThrows(IOException.class, () -> Http1Codec.readResponse(in("SSH-2.0-OpenSSH\r\n\r\n"), "GET"));
  }

  @Test
  void request_carriesHostAndCloseAndBodyLength() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Http1Codec.writeRequest(out, new HttpRequest("POST", URI.create("https://h:5000/v3/auth/tokens?nocatalog"),
        List.of(Map.entry("Accept", "application/json")), "{}".getBytes(StandardCharsets.US_ASCII), true));
    String s = out.toString(StandardCharsets.ISO_8859_1);
    assertTrue(s.startsWith("POST /v3/auth/tokens?nocatalog HTTP/1.1\r\nHost: h:5000\r\n"), s);
    assertTrue(s.contains("Content-Length: 2\r\n"));
    assertTrue(s.endsWith("Connection: close\r\n\r\n{}"));
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
