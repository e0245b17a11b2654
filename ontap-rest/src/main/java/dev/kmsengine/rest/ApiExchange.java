package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.kmsengine.rest.query.QueryParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request and its response: the method, the decoded path and query, the body (bounded, parsed as JSON), and
 * the HAL rule for the answer.
 *
 * <p>HAL: {@code Accept: application/hal+json} (or any other type, or none) gets every {@code _links};
 * {@code application/json} alone gets none of them "except a link needed to retrieve the next batch of records",
 * as ONTAP documents.
 */
final class ApiExchange {
  private final HttpExchange http;
  private final int maxBodyBytes;
  final String method;
  final String path;
  final List<String> segments;
  private final boolean hal;
  private QueryParameters params;

  ApiExchange(HttpExchange http, String path, List<String> segments, int maxBodyBytes) {
    this.http = http;
    this.maxBodyBytes = maxBodyBytes;
    this.method = http.getRequestMethod().toUpperCase(Locale.ROOT);
    this.path = path;
    this.segments = segments;
    this.hal = wantsHal(http.getRequestHeaders().get("Accept"));
  }

  /** The query parameters; decoded on first use so that a malformed query is answered as an API error. */
  QueryParameters params() {
    if (params == null) {
      params = QueryParameters.parse(http.getRequestURI().getRawQuery());
    }
    return params;
  }

  static boolean wantsHal(List<String> accept) {
    if (accept == null) {
      return true;
    }
    String all = String.join(",", accept).toLowerCase(Locale.ROOT);
    return all.contains("application/hal+json") || !all.contains("application/json");
  }

  /**
   * The body as a JSON object; an absent or empty body is {@code {}}. The Content-Type is not checked: the
   * reference's own curl examples send JSON as form data.
   */
  JsonBody body() {
    byte[] b = readBody();
    if (b.length == 0 || new String(b, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      return JsonBody.of(Json.object());
    }
    return JsonBody.of(Json.parse(b));
  }

  private byte[] readBody() {
    try (InputStream in = http.getRequestBody()) {
      byte[] b = in.readNBytes(maxBodyBytes + 1);
      if (b.length > maxBodyBytes) {
        throw new ApiException(413, "2", "The request body is larger than " + maxBodyBytes + " bytes.", "");
      }
      return b;
    } catch (IOException e) {
      throw new ApiException(400, "2", "The request body could not be read.", "");
    }
  }

  void header(String name, String value) {
    http.getResponseHeaders().set(name, value);
  }

  void send(int status, JsonNode body) throws IOException {
    JsonNode out = hal ? body : withoutLinks(body, true);
    byte[] bytes = Json.write(out);
    http.getResponseHeaders().set("Content-Type", hal ? "application/hal+json" : "application/json");
    http.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = http.getResponseBody()) {
      os.write(bytes);
    }
  }

  private static JsonNode withoutLinks(JsonNode node, boolean top) {
    if (node instanceof ObjectNode o) {
      ObjectNode copy = Json.object();
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        if (e.getKey().equals("_links")) {
          if (top && e.getValue().has("next")) {
            copy.putObject("_links").set("next", e.getValue().get("next"));
          }
        } else {
          copy.set(e.getKey(), withoutLinks(e.getValue(), false));
        }
      }
      return copy;
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode a = Json.MAPPER.createArrayNode();
      node.forEach(n -> a.add(withoutLinks(n, false)));
      return a;
    }
    return node;
  }

  void sendError(ApiException e) throws IOException {
    ObjectNode body = Json.object();
    ObjectNode error = body.putObject("error");
    error.put("message", e.getMessage());
    error.put("code", e.code);
    if (e.target != null && !e.target.isEmpty()) {
      error.put("target", e.target);
    }
    error.putArray("arguments");
    if (e.status == 401) {
      header("WWW-Authenticate", "Basic realm=\"kms-engine\"");
    }
    send(e.status, body);
  }
}
