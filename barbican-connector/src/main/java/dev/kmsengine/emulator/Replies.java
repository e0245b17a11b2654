package dev.kmsengine.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes answers in the shapes the real servers use (recorded in scripts/openstack/NOTES.md). */
final class Replies {
  static final ObjectMapper JSON = new ObjectMapper();

  private Replies() {}

  static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
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

  /** Barbican's own error: {@code {"code": N, "title": "…", "description": "…"}}. */
  static void barbicanError(HttpExchange ex, int status, String title, String description) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("code", status).put("title", title).put("description", description);
    json(ex, status, root);
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
