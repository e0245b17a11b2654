package dev.kmsengine.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP answer. The body may be key bytes, so {@code toString} shows only the status and length, and
 * {@link #wipe()} zeroises the body once the caller has copied what it needs.
 */
public final class HttpResponse {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final int status;
  private final String reason;
  private final Map<String, List<String>> headers;
  private final byte[] body;

  /** {@code headers} by lower-case name, each with its values in the order received. */
  HttpResponse(int status, String reason, Map<String, List<String>> headers, byte[] body) {
    this.status = status;
    this.reason = reason;
    Map<String, List<String>> copy = new HashMap<>();
    headers.forEach((name, values) -> copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
    this.headers = Map.copyOf(copy);
    this.body = body;
  }

  /**
   * The status code.
   *
   * @return the HTTP status code, e.g. 200
   */
  public int status() {
    return status;
  }

  /**
   * The reason phrase, as sent.
   *
   * @return the reason phrase, possibly empty
   */
  public String reason() {
    return reason;
  }

  /**
   * The first value of header {@code name} (case-insensitive), or {@code null}.
   *
   * @param name the header's name, in any case
   * @return the header's first value, or {@code null} if absent
   */
  public String header(String name) {
    List<String> values = headers(name);
    return values.isEmpty() ? null : values.get(0);
  }

  /**
   * Every value of header {@code name} (case-insensitive), in the order received: a header sent several times
   * keeps each value.
   *
   * @param name the header's name, in any case
   * @return the values, empty if the header is absent
   */
  public List<String> headers(String name) {
    return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
  }

  /**
   * The body; the same array on every call, so that {@link #wipe()} reaches it.
   *
   * @return the body bytes, empty for none; not a copy
   */
  public byte[] body() {
    return body;
  }

  /**
   * The body as UTF-8 text.
   *
   * @return the body decoded as UTF-8
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The status and the server's short explanation, for error messages: Keystone's {@code error.message},
   * Barbican's {@code description}, or the reason phrase. Cut to 200 characters and stripped of control
   * characters, since it is copied into exceptions.
   *
   * @return e.g. {@code 401 Unauthorized: The request you have made requires authentication.}, safe for exception
   *     messages
   */
  public String summary() {
    String detail = "";
    try {
      JsonNode root = JSON.readTree(body);
      if (root != null) {
        JsonNode err = root.has("error") ? root.get("error") : root;
        detail = text(err, "message");
        if (detail.isEmpty()) {
          detail = text(err, "description");
        }
        if (detail.isEmpty()) {
          detail = text(err, "title");
        }
      }
    } catch (IOException | RuntimeException e) {
      detail = "";
    }
    detail = detail.replaceAll("\\p{Cntrl}", " ").trim();
    if (detail.length() > 200) {
      detail = detail.substring(0, 200) + "...";
    }
    String head = status + (reason.isEmpty() ? "" : " " + reason);
    return detail.isEmpty() ? head : head + ": " + detail;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isTextual() ? v.asText() : "";
  }

  /** Overwrites the body with zeros. */
  public void wipe() {
    Arrays.fill(body, (byte) 0);
  }

  @Override
  public String toString() {
    return "HttpResponse[" + status + " " + reason + ", " + body.length + " bytes]";
  }
}
