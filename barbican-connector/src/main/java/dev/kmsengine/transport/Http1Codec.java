package dev.kmsengine.transport;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes an HTTP/1.1 request and reads the answer, one request per connection ({@code Connection: close}): the
 * connector makes few requests, so a pool would add state without a measurable gain. Sizes are bounded so a
 * misbehaving server cannot exhaust memory.
 */
final class Http1Codec {
  static final int MAX_LINE = 16 * 1024;
  static final int MAX_HEADERS = 200;
  static final int MAX_BODY = 1024 * 1024;

  private Http1Codec() {}

  static void writeRequest(OutputStream out, HttpRequest r) throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append(r.method()).append(' ').append(r.target()).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(hostHeader(r)).append("\r\n");
    for (Map.Entry<String, String> h : r.headers()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    if (r.body().length > 0 || !"GET".equals(r.method())) {
      head.append("Content-Length: ").append(r.body().length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(r.body());
    out.flush();
  }

  static String hostHeader(HttpRequest r) {
    String host = r.uri().getHost();
    return r.uri().getPort() == -1 ? host : host + ":" + r.uri().getPort();
  }

  /**
   * A status line and headers (names lower-cased, first value kept).
   *
   * @param status the status code
   * @param reason the reason phrase
   * @param headers the headers
   */
  record Head(int status, String reason, Map<String, String> headers) {}

  static Head readHead(InputStream in) throws IOException {
    String line = readLine(in);
    if (!line.startsWith("HTTP/1.") || line.length() < 12) {
      throw new IOException("not an HTTP/1.x status line");
    }
    int status;
    try {
      status = Integer.parseInt(line.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("unparsable HTTP status", e);
    }
    String reason = line.length() > 13 ? line.substring(13).trim() : "";
    Map<String, String> headers = new HashMap<>();
    for (int n = 0; ; n++) {
      if (n > MAX_HEADERS) {
        throw new IOException("too many response headers");
      }
      String h = readLine(in);
      if (h.isEmpty()) {
        return new Head(status, reason, headers);
      }
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
    }
  }

  static HttpResponse readResponse(InputStream in, String method) throws IOException {
    Head head = readHead(in);
    while (head.status() == 100) {
      head = readHead(in);
    }
    int status = head.status();
    Map<String, String> headers = head.headers();
    byte[] body;
    if ("HEAD".equals(method) || status == 204 || status == 304) {
      body = new byte[0];
    } else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
      body = readChunked(in);
    } else if (headers.containsKey("content-length")) {
      long len;
      try {
        len = Long.parseLong(headers.get("content-length"));
      } catch (NumberFormatException e) {
        throw new IOException("unparsable Content-Length", e);
      }
      if (len < 0 || len > MAX_BODY) {
        throw new IOException("response body of " + len + " bytes is out of bounds");
      }
      body = in.readNBytes((int) len);
      if (body.length != len) {
        throw new EOFException("connection closed after " + body.length + " of " + len + " body bytes");
      }
    } else {
      body = readToEnd(in);
    }
    return new HttpResponse(status, head.reason(), headers, body);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      int semi = sizeLine.indexOf(';');
      int size;
      try {
        size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("unparsable chunk size", e);
      }
      if (size < 0 || out.size() + (long) size > MAX_BODY) {
        throw new IOException("chunked response body out of bounds");
      }
      if (size == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers carry nothing the connector uses
        }
        return out.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length != size) {
        throw new EOFException("connection closed inside a chunk");
      }
      out.write(chunk);
      readLine(in);
    }
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while ((n = in.read(buf)) != -1) {
      if (out.size() + n > MAX_BODY) {
        throw new IOException("response body larger than " + MAX_BODY + " bytes");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int len = b.length();
        return len > 0 && b.charAt(len - 1) == '\r' ? b.substring(0, len - 1) : b.toString();
      }
      if (b.length() >= MAX_LINE) {
        throw new IOException("response line longer than " + MAX_LINE + " bytes");
      }
      b.append((char) c);
    }
    throw new EOFException("connection closed before the end of the response head");
  }
}
