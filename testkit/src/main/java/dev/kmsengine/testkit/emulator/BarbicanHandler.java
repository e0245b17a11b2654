package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Barbican's v1 API behind a token check like keystonemiddleware's: the version documents, secrets and key orders
 * (delegated to {@link SecretCalls} and {@link OrderCalls}), and an empty container list.
 */
final class BarbicanHandler implements HttpHandler {
  private final EmulatorState state;
  private final Faults faults;
  private final Clock clock;
  private final KeystoneHandler keystone;
  private final Supplier<String> baseUrl;
  private final Supplier<String> keystoneBase;
  private final SecretCalls secrets;
  private final OrderCalls orders;
  /** keystonemiddleware's token cache: when each token was last validated with Keystone. */
  private final Map<String, Validated> validated = new ConcurrentHashMap<>();
  volatile Duration tokenCacheTime = Duration.ZERO;
  final AtomicLong metadataRequests = new AtomicLong();
  final AtomicLong payloadRequests = new AtomicLong();

  BarbicanHandler(EmulatorState state, Faults faults, Clock clock, KeystoneHandler keystone,
      Supplier<String> baseUrl, Supplier<String> keystoneBase) {
    this.state = state;
    this.faults = faults;
    this.clock = clock;
    this.keystone = keystone;
    this.baseUrl = baseUrl;
    this.keystoneBase = keystoneBase;
    this.secrets = new SecretCalls(state, clock, baseUrl);
    this.orders = new OrderCalls(state, clock, baseUrl, secrets);
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      faults.delay();
      ex.getResponseHeaders().set("openstack-api-version", "key-manager 1.0");
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      boolean read = "GET".equals(method) || "HEAD".equals(method);
      if ((path.isEmpty() || path.equals("/")) && read) {
        ObjectNode root = Replies.JSON.createObjectNode();
        root.putObject("versions").putArray("values").add(version());
        Replies.json(ex, 300, root);
        return;
      }
      String[] parts = path.split("/");
      // "", "v1", collection[, id[, "payload"]]
      boolean secretPath = parts.length >= 4 && parts[1].equals("v1") && parts[2].equals("secrets");
      if (secretPath && "GET".equals(method)) {
        (parts.length == 5 && parts[4].equals("payload") ? payloadRequests : metadataRequests).incrementAndGet();
      }
      Caller caller = caller(ex);
      if (caller == null) {
        Replies.tokenRejected(ex, keystoneBase.get());
        return;
      }
      if (parts.length == 2 && parts[1].equals("v1")) {
        if (read) {
          ObjectNode root = Replies.JSON.createObjectNode();
          root.set("version", version());
          Replies.json(ex, 200, root);
        } else {
          notAllowed(ex, "GET");
        }
        return;
      }
      if (parts.length < 3 || !parts[1].equals("v1")) {
        notFound(ex);
        return;
      }
      if (Faults.take(faults.barbicanFailures)) {
        Replies.barbicanError(ex, faults.barbicanFailureStatus, "Service Unavailable",
            "Secret retrieval failure seen - please contact site administrator (injected by the emulator).");
        return;
      }
      switch (parts[2]) {
        case "secrets" -> secrets.handle(ex, caller, parts);
        case "orders" -> orders.handle(ex, caller, parts);
        case "containers" -> {
          if (parts.length == 3 && read) {
            ObjectNode root = Replies.JSON.createObjectNode();
            root.putArray("containers");
            root.put("total", 0);
            Replies.json(ex, 200, root);
          } else {
            notFound(ex);
          }
        }
        default -> notFound(ex);
      }
    }
  }

  /**
   * The caller of a request whose token keystonemiddleware would accept: valid at Keystone now, or validated less
   * than {@link #tokenCacheTime} ago and not yet expired (so a revoked token keeps working for a while, as with
   * {@code token_cache_time}).
   */
  private Caller caller(HttpExchange ex) {
    String token = ex.getRequestHeaders().getFirst("X-Auth-Token");
    IssuedToken t = token == null ? null : state.tokens.get(token);
    Instant now = clock.instant();
    if (t == null || !now.isBefore(t.expiresAt())) {
      return null;
    }
    Validated last = validated.get(token);
    Caller caller;
    if (last != null && now.isBefore(last.at().plus(tokenCacheTime))) {
      caller = last.caller();
    } else {
      Credential c = keystone.valid(token);
      if (c == null) {
        validated.remove(token);
        return null;
      }
      caller = new Caller(state.userId, c.projectId(), c.roles());
      validated.put(token, new Validated(now, caller));
    }
    return Faults.take(faults.rejectedTokens) ? null : caller;
  }

  /** A cache entry: when the token was validated, and what Keystone said about it. */
  private record Validated(Instant at, Caller caller) {}

  private ObjectNode version() {
    ObjectNode v = Replies.JSON.createObjectNode();
    v.put("id", "v1").put("status", "stable");
    ArrayNode links = v.putArray("links");
    links.addObject().put("rel", "self").put("href", baseUrl.get() + "/v1/");
    links.addObject().put("rel", "describedby").put("type", "text/html").put("href", "https://docs.openstack.org/");
    v.putArray("media-types").addObject().put("base", "application/json")
        .put("type", "application/vnd.openstack.key-manager-v1+json");
    return v;
  }

  SecretCalls secrets() {
    return secrets;
  }

  /**
   * The JSON body of a create call, or {@code null} once Barbican's answer to it is sent: 415 for a body that is not
   * JSON, 403 for a caller who may not create ({@code action} names the attempt), 400 for malformed JSON.
   */
  static JsonNode creationBody(HttpExchange ex, Caller caller, String action) throws IOException {
    String ct = ex.getRequestHeaders().getFirst("Content-Type");
    if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      Replies.barbicanError(ex, 415, "Unsupported Media Type",
          "Unexpected content type. Expected content types are: ['application/json']");
      return null;
    }
    if (!caller.canCreate()) {
      Replies.forbidden(ex, action);
      return null;
    }
    try {
      return Replies.JSON.readTree(ex.getRequestBody().readAllBytes());
    } catch (IOException e) {
      Replies.barbicanError(ex, 400, "Bad Request", "Malformed JSON");
      return null;
    }
  }

  /**
   * One page of a listed collection, in Barbican's shape: the items from {@code offset}, at most {@code limit},
   * the {@code total}, and {@code previous} and {@code next} links where there are such pages.
   */
  static void page(HttpExchange ex, String v1, String collection, int offset, int limit, List<ObjectNode> all)
      throws IOException {
    ObjectNode root = Replies.JSON.createObjectNode();
    ArrayNode items = root.putArray(collection);
    all.stream().skip(offset).limit(limit).forEach(items::add);
    String url = v1 + "/" + collection;
    if (offset > 0) {
      root.put("previous", url + "?limit=" + limit + "&offset=" + Math.max(0, offset - limit));
    }
    if (offset + limit < all.size()) {
      root.put("next", url + "?limit=" + limit + "&offset=" + (offset + limit));
    }
    root.put("total", all.size());
    Replies.json(ex, 200, root);
  }

  static void notFound(HttpExchange ex) throws IOException {
    Replies.barbicanError(ex, 404, "Not Found", "The resource could not be found.");
  }

  static void notAllowed(HttpExchange ex, String allow) throws IOException {
    ex.getResponseHeaders().set("Allow", allow);
    Replies.barbicanError(ex, 405, "Method Not Allowed", "");
  }
}
