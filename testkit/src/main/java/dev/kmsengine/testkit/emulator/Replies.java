package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Writes answers in the shapes the real servers use (recorded in scripts/openstack/NOTES.md). */
final class Replies {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Barbican's timestamps: UTC, always six fraction digits, no zone letter ({@code 2026-12-01T17:45:32.606491}). */
  private static final DateTimeFormatter BARBICAN_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private Replies() {}

  static String barbicanTime(Instant t) {
    return BARBICAN_TIME.format(t);
  }

  static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(status, body.length == 0 || head ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      if (!head) {
        out.write(body);
      }
    }
  }

  static void json(HttpExchange ex, int status, Object node) throws IOException {
    send(ex, status, "application/json", JSON.writeValueAsBytes(node));
  }

  /** Keystone's error: {@code {"error":{"code":N,"message":"…","title":"…"}}}. */
  static void keystoneError(HttpExchange ex, int status, String title, String message) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("code", status).put("message", message).put("title", title);
    if (status == 401) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Keystone uri=\"" + keystoneUri(ex) + "\"");
    }
    json(ex, status, root);
  }

  /** Keystone's 400 for a body that lacks what it must hold. */
  static void keystoneBadRequest(HttpExchange ex, String what) throws IOException {
    keystoneError(ex, 400, "Bad Request", what + " The server could not comply with the request since it is "
        + "either malformed or otherwise incorrect. The client is assumed to be in error.");
  }

  /** Barbican's own error: {@code {"code": N, "title": "…", "description": "…"}}. */
  static void barbicanError(HttpExchange ex, int status, String title, String description) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("code", status).put("title", title).put("description", description);
    json(ex, status, root);
  }

  /** Barbican's 403, whose description names the attempted action. */
  static void forbidden(HttpExchange ex, String action) throws IOException {
    barbicanError(ex, 403, "Forbidden", action + " attempt not allowed - please review your user/project privileges");
  }

  /** keystonemiddleware's 401 inside Barbican. */
  static void tokenRejected(HttpExchange ex, String keystoneBase) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("code", 401).put("title", "Unauthorized")
        .put("message", "The request you have made requires authentication.");
    ex.getResponseHeaders().set("WWW-Authenticate", "Keystone uri=\"" + keystoneBase + "\"");
    json(ex, 401, root);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String keystoneUri(HttpExchange ex) {
    String host = ex.getRequestHeaders().getFirst("Host");
    return "https://" + (host == null ? "127.0.0.1" : host) + "/v3";
  }
}
