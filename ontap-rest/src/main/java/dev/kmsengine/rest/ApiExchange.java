package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.rest.query.QueryParameters;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request and its response: the method, the decoded path and query, the body (bounded, parsed as JSON), and
 * the HAL rule for the answer.
 *
 * <p>HAL: {@code Accept: application/hal+json} (or any other type, or none) gets every {@code _links};
 * {@code application/json} alone gets none of them "except a link needed to retrieve the next batch of records",
 * as ONTAP documents.
 *
 * <p>Exactly one {@link #send} completes the exchange: it writes the whole response and then completes Jetty's
 * callback. Used by one thread at a time: the one that read the request, then perhaps a worker it is handed to.
 */
final class ApiExchange {
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final int maxBodyBytes;
  final String method;
  final String path;
  final List<String> segments;
  private final boolean hal;
  private QueryParameters params;
  private boolean sent;
  private boolean bodyRead;

  ApiExchange(Request request, Response response, Callback callback, String path, List<String> segments,
      int maxBodyBytes) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.maxBodyBytes = maxBodyBytes;
    this.method = request.getMethod().toUpperCase(Locale.ROOT);
    this.path = path;
    this.segments = segments;
    this.hal = wantsHal(request.getHeaders().getValuesList(HttpHeader.ACCEPT));
  }

  /** The query parameters; decoded on first use so that a malformed query is answered as an API error. */
  QueryParameters params() {
    if (params == null) {
      params = QueryParameters.parse(request.getHttpURI().getQuery());
    }
    return params;
  }

  static boolean wantsHal(List<String> accept) {
    if (accept == null || accept.isEmpty()) {
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

  /** The body's bytes as they came (bounded like {@link #body()}), for a request sent on to another process. */
  byte[] rawBody() {
    return readBody();
  }

  /** The path and query exactly as the client sent them (still percent-encoded), e.g. {@code /api/x?node=n}. */
  String rawPathAndQuery() {
    String query = request.getHttpURI().getQuery();
    return request.getHttpURI().getPath() + (query == null ? "" : "?" + query);
  }

  private byte[] readBody() {
    bodyRead = true;
    if (request.getLength() > maxBodyBytes) {
      throw tooLarge();
    }
    try (InputStream in = Request.asInputStream(request)) {
      byte[] b = in.readNBytes(maxBodyBytes + 1);
      if (b.length > maxBodyBytes) {
        throw tooLarge();
      }
      return b;
    } catch (IOException e) {
      throw new ApiException(400, ErrorCode.INVALID_FIELD, "The request body could not be read.", "");
    }
  }

  private ApiException tooLarge() {
    // The rest of the body is not read, so the connection cannot carry another request.
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    return new ApiException(413, ErrorCode.INVALID_FIELD,
        "The request body is larger than " + maxBodyBytes + " bytes.", "");
  }

  /** The raw value of a request header, or null; a repeated header gives all its values. */
  List<String> requestHeader(String name) {
    return request.getHeaders().getValuesList(name);
  }

  void header(String name, String value) {
    response.getHeaders().put(name, value);
  }

  /** Whether the response was sent (or its sending started). */
  boolean sent() {
    return sent;
  }

  void send(int status, JsonNode body) {
    JsonNode out = hal ? body : withoutLinks(body, true);
    consumeUnreadBody();
    sent = true;
    write(response, callback, status, out, hal);
  }

  /**
   * Drops a body the operation did not read (an error found before it, such as 401 or a bad query), as far as it
   * has arrived. Jetty would otherwise close the connection after the response, which a keep-alive client could
   * already have sent its next request on. Waiting for the rest would let a client without credentials hold a
   * request thread, so a body not all here yet gets {@code Connection: close} on the response instead.
   */
  private void consumeUnreadBody() {
    if (bodyRead) {
      return;
    }
    bodyRead = true;
    long dropped = 0;
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null || Content.Chunk.isFailure(chunk) || dropped > maxBodyBytes) {
        if (chunk != null) {
          chunk.release();
        }
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        return;
      }
      dropped += chunk.remaining();
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        return;
      }
    }
  }

  /**
   * Sends a response another process gave, as it is: its status, content type and body. Completes the exchange like
   * {@link #send}.
   */
  void sendRaw(int status, String contentType, byte[] body) {
    consumeUnreadBody();
    sent = true;
    response.setStatus(status);
    if (contentType != null) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    }
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** Writes a whole JSON response and completes {@code callback} when it is on the wire (or failed). */
  static void write(Response response, Callback callback, int status, JsonNode body, boolean hal) {
    byte[] bytes = Json.write(body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, hal ? "application/hal+json" : "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
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
      ArrayNode a = Json.MAPPER.createArrayNode();
      node.forEach(n -> a.add(withoutLinks(n, false)));
      return a;
    }
    return node;
  }

  void sendError(ApiException e) {
    if (e.status == 401) {
      header("WWW-Authenticate", "Basic realm=\"kms-engine\"");
    }
    send(e.status, errorBody(e));
  }

  /** ONTAP's error body: {@code {"error": {"message", "code", "target"?, "arguments"}}}. */
  static ObjectNode errorBody(ApiException e) {
    ObjectNode body = Json.object();
    ObjectNode error = body.putObject("error");
    error.put("message", e.getMessage());
    error.put("code", e.code.wireCode());
    if (e.target != null && !e.target.isEmpty()) {
      error.put("target", e.target);
    }
    ArrayNode arguments = error.putArray("arguments");
    for (ApiException.Argument a : e.arguments) {
      arguments.addObject().put("code", a.code().wireCode()).put("message", a.message());
    }
    return body;
  }
}
