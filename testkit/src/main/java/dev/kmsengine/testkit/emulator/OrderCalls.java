package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * {@code /v1/orders} of type {@code key}: Barbican generates the key asynchronously; the emulator does it before
 * answering, so the order is {@code ACTIVE} with its {@code secret_ref} on the first look.
 */
final class OrderCalls {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final EmulatorState state;
  private final Clock clock;
  private final Supplier<String> baseUrl;
  private final SecretCalls secrets;

  OrderCalls(EmulatorState state, Clock clock, Supplier<String> baseUrl, SecretCalls secrets) {
    this.state = state;
    this.clock = clock;
    this.baseUrl = baseUrl;
    this.secrets = secrets;
  }

  void handle(HttpExchange ex, Caller caller, String[] parts) throws IOException {
    String method = ex.getRequestMethod();
    if (parts.length == 3) {
      switch (method) {
        case "GET" -> list(ex, caller);
        case "POST" -> create(ex, caller);
        default -> BarbicanHandler.notAllowed(ex, "GET, POST");
      }
      return;
    }
    if (parts.length > 4) {
      BarbicanHandler.notFound(ex);
      return;
    }
    String uuid = parts[3];
    StoredOrder o = SecretCalls.V4_UUID.matcher(uuid).matches() ? state.orders.get(uuid) : null;
    if (o == null) {
      Replies.barbicanError(ex, 404, "Not Found", "Not Found. Sorry but your order is in another castle.");
      return;
    }
    if ("GET".equals(method)) {
      if (!caller.canRead(o.projectId())) {
        Replies.forbidden(ex, "Order retrieval");
        return;
      }
      Replies.json(ex, 200, describe(uuid, o));
    } else if ("DELETE".equals(method)) {
      if (!caller.canAdminister(o.projectId())) {
        Replies.forbidden(ex, "Order deletion");
        return;
      }
      state.orders.remove(uuid);
      Replies.send(ex, 204, null, new byte[0]);
    } else {
      BarbicanHandler.notAllowed(ex, "GET, DELETE");
    }
  }

  private void list(HttpExchange ex, Caller caller) throws IOException {
    if (!caller.canRead()) {
      Replies.forbidden(ex, "Order(s) retrieval");
      return;
    }
    Map<String, String> q = SecretCalls.query(ex);
    int limit = SecretCalls.intParam(q, "limit", 10);
    int offset = SecretCalls.intParam(q, "offset", 0);
    List<Map.Entry<String, StoredOrder>> found = state.orders.entrySet().stream()
        .filter(e -> e.getValue().projectId().equals(caller.projectId()))
        .sorted(Comparator.comparing((Map.Entry<String, StoredOrder> e) -> e.getValue().created())
            .thenComparing(Map.Entry::getKey))
        .toList();
    BarbicanHandler.page(ex, baseUrl.get() + "/v1", "orders", offset, limit,
        found.stream().map(e -> describe(e.getKey(), e.getValue())).toList());
  }

  private void create(HttpExchange ex, Caller caller) throws IOException {
    JsonNode body = BarbicanHandler.creationBody(ex, caller, "Order creation");
    if (body == null) {
      return;
    }
    JsonNode meta = body.path("meta");
    int bits = meta.path("bit_length").asInt(0);
    if (!"key".equals(body.path("type").asText())) {
      schemaError(ex, "The emulator fulfils orders of type 'key' only.", "type");
      return;
    }
    if (!meta.path("algorithm").isTextual() || bits <= 0 || bits % 8 != 0) {
      schemaError(ex, "'algorithm' and a 'bit_length' that is a positive multiple of 8 are required.", "meta");
      return;
    }
    byte[] key = new byte[bits / 8];
    RANDOM.nextBytes(key);
    String name = meta.path("name").isTextual() ? meta.path("name").asText() : null;
    String mode = meta.path("mode").isTextual() ? meta.path("mode").asText() : null;
    String contentType = meta.path("payload_content_type").isTextual() ? meta.path("payload_content_type").asText()
        : null;
    String secretId = secrets.store(new StoredSecret(name, caller.projectId(), caller.userId(), key,
        "application/octet-stream", "symmetric", meta.path("algorithm").asText(), bits, mode, null, clock.instant()));
    String uuid = UUID.randomUUID().toString();
    state.orders.put(uuid, new StoredOrder(caller.projectId(), caller.userId(), name, meta.path("algorithm").asText(),
        bits, mode, contentType, secretId, clock.instant()));
    String ref = baseUrl.get() + "/v1/orders/" + uuid;
    ex.getResponseHeaders().set("Location", ref);
    ObjectNode root = Replies.JSON.createObjectNode();
    root.put("order_ref", ref);
    Replies.json(ex, 202, root);
  }

  private static void schemaError(HttpExchange ex, String what, String property) throws IOException {
    Replies.barbicanError(ex, 400, "Bad Request", "Provided object does not match schema 'Order': " + what
        + " Invalid property: '" + property + "'");
  }

  private ObjectNode describe(String uuid, StoredOrder o) {
    ObjectNode n = Replies.JSON.createObjectNode();
    String created = Replies.barbicanTime(o.created());
    n.put("created", created).put("updated", created).put("status", "ACTIVE").put("type", "key");
    n.putObject("meta").put("name", o.name()).put("algorithm", o.algorithm()).put("bit_length", o.bitLength())
        .put("mode", o.mode()).put("payload_content_type", o.contentType()).putNull("expiration");
    n.put("sub_status", "Unknown").put("sub_status_message", "Unknown").put("creator_id", o.creatorId());
    n.put("secret_ref", baseUrl.get() + "/v1/secrets/" + o.secretId());
    n.put("order_ref", baseUrl.get() + "/v1/orders/" + uuid);
    return n;
  }
}
