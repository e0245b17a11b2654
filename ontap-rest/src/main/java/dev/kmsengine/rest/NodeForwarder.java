package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/**
 * Sends a node-scoped request (a block read or write through a node, a node's controls) on to the process that
 * hosts the node, when that is not this one: with several simulator processes on one cluster database each hosts
 * some nodes ({@code --node}), and every one serves the whole API. The request goes to the endpoint the host
 * announced ({@link NodeEndpoint}) with the same method, path, query, body and {@code Authorization}, over TLS
 * that accepts only the certificate the host announced; its status and body come back as they are. A node no live
 * process hosts is down: the answer is {@link ErrorCode#VEK_NOT_LOADED} (409), the code of a node that is down,
 * naming the node.
 *
 * <p>A forwarded request carries {@value #FORWARDED} (the node's name); a process that gets one for a node it does
 * not host either answers it itself or refuses it, never forwards it again, so two processes whose views of the
 * cluster differ for a moment cannot send a request back and forth. Nothing of the request but its method and path
 * is logged. Thread-safe.
 */
final class NodeForwarder {
  /** The header that marks a forwarded request. */
  static final String FORWARDED = "X-Kms-Engine-Forwarded-For";
  private static final Logger LOG = Logger.getLogger(NodeForwarder.class.getName());
  /** Past this many distinct certificates (processes restarted with new ones), the clients are made again. */
  private static final int MAX_CLIENTS = 256;

  private final KmsEngine engine;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  NodeForwarder(KmsEngine engine, Duration connectTimeout, Duration requestTimeout) {
    this.engine = engine;
    this.connectTimeout = connectTimeout;
    this.requestTimeout = requestTimeout;
  }

  /** What the host answered. */
  record Reply(int status, String contentType, byte[] body, Optional<String> authenticate) {
    /**
     * The host's error answer as this process's own: the same status, code, message and target (for a record of a
     * collection PATCH, which reports each record's error itself).
     */
    ApiException asError() {
      JsonNode error;
      try {
        error = Json.parse(body).path("error");
      } catch (RuntimeException e) {
        error = Json.object();
      }
      String wire = error.path("code").asText("");
      int status = status();
      ErrorCode code = Arrays.stream(ErrorCode.values())
          .filter(c -> c.wireCode().equals(wire) && ErrorStatus.of(c) == status).findFirst()
          .orElse(ErrorCode.INTERNAL_ERROR);
      String message = error.path("message").asText("");
      return new ApiException(status, code, message.isEmpty() ? code.message() : message,
          error.path("target").asText(""));
    }
  }

  /**
   * Answers {@code ex} by forwarding it if another process hosts {@code node}.
   *
   * @return {@code false} if this process hosts the node (or none has that name): the caller serves the request;
   *     {@code true} if it was answered
   * @throws ApiException if the node is down (no live process hosts it), its host did not answer, or the request
   *     was already forwarded once
   */
  boolean forwarded(ApiExchange ex, String node) throws IOException {
    Optional<NodeInfo> info = engine.cluster().nodes().stream().filter(n -> n.name().equals(node)).findFirst();
    if (info.isEmpty() || info.get().local()) {
      return false;
    }
    Reply r = send(ex, node, ex.method, ex.rawPathAndQuery(), bodyOf(ex));
    r.authenticate().ifPresent(v -> ex.header("WWW-Authenticate", v));
    ex.sendRaw(r.status(), r.contentType(), r.body());
    return true;
  }

  private static byte[] bodyOf(ApiExchange ex) {
    return ex.method.equals("GET") || ex.method.equals("DELETE") ? new byte[0] : ex.rawBody();
  }

  /** Whether {@code node} is hosted by another process. */
  boolean remote(String node) {
    return engine.cluster().nodes().stream().anyMatch(n -> n.name().equals(node) && !n.local());
  }

  /**
   * Sends {@code method pathAndQuery} with {@code body} and {@code ex}'s {@code Authorization} and {@code Accept}
   * to the host of the remote {@code node}.
   *
   * @throws ApiException as {@link #forwarded}
   */
  Reply send(ApiExchange ex, String node, String method, String pathAndQuery, byte[] body) throws IOException {
    if (!ex.requestHeader(FORWARDED).isEmpty()) {
      throw new ApiException(409, ErrorCode.VEK_NOT_LOADED, "Node \"" + node + "\" is not hosted by the process"
          + " this request was forwarded to (the processes' views of who hosts it differ for a moment); retry.",
          "node");
    }
    NodeEndpoint to = endpoint(node);
    URI uri;
    try {
      uri = new URI(to.url() + pathAndQuery);
    } catch (URISyntaxException e) {
      throw new ApiException(400, ErrorCode.INVALID_ARGUMENT_VALUE, "Node \"" + node + "\" is hosted by another"
          + " process, and this request's path or query cannot be sent on to it as it is; percent-encode it.", "");
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout).header(FORWARDED, node)
        .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    for (String h : List.of("Authorization", "Accept", "Content-Type")) {
      ex.requestHeader(h).forEach(v -> b.header(h, v));
    }
    try {
      HttpResponse<byte[]> r = client(to.sha256()).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body(),
          r.headers().firstValue("WWW-Authenticate"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unreachable(node, to, "interrupted");
    } catch (IOException e) {
      String why = e instanceof SSLException ? "its TLS certificate is not the one it announced, or the handshake"
          + " failed" : e instanceof java.net.http.HttpTimeoutException ? "no answer within the timeout"
          : "it does not answer";
      LOG.warning(() -> "forwarding " + method + " " + ex.path + " for " + node + " to " + to.url() + ": " + why
          + " (" + e.getClass().getSimpleName() + ")");
      throw unreachable(node, to, why);
    }
  }

  private NodeEndpoint endpoint(String node) {
    NodeInfo n = engine.cluster().nodes().stream().filter(i -> i.name().equals(node)).findFirst()
        .orElseThrow(() -> new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "entry doesn't exist", "node"));
    if (!n.up() || n.endpoint().isEmpty()) {
      throw new ApiException(409, ErrorCode.VEK_NOT_LOADED, "Node \"" + node + "\" is down: no live process hosts"
          + " it (start a simulator with --node " + node + " on this cluster database).", "node");
    }
    return NodeEndpoint.parse(n.endpoint().get()).orElseThrow(() -> new ApiException(409,
        ErrorCode.VEK_NOT_LOADED, "Node \"" + node + "\" is hosted by a process that serves no REST API to forward"
        + " to (it announced \"" + n.endpoint().get() + "\").", "node"));
  }

  private static ApiException unreachable(String node, NodeEndpoint to, String why) {
    return new ApiException(409, ErrorCode.VEK_NOT_LOADED, "Node \"" + node + "\" is hosted by the process at "
        + to.url() + ", which cannot be reached: " + why + ".", "node");
  }

  private HttpClient client(String sha256) {
    if (clients.size() > MAX_CLIENTS) {
      clients.clear();
    }
    return clients.computeIfAbsent(sha256, pin -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(PinnedCertificateTrust.context(pin)).connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER).build());
  }
}
