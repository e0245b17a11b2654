package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** {@code /v1/secrets}: store, list, metadata, payload and delete, with Barbican's checks and answers. */
final class SecretCalls {
  /** Barbican's rule: the id must be the canonical lower-case form of a version-4 UUID. */
  static final Pattern V4_UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  private static final String OCTET = "application/octet-stream";
  private static final String TEXT = "text/plain";
  private static final int DEFAULT_LIMIT = 10;

  private final EmulatorState state;
  private final Clock clock;
  private final Supplier<String> baseUrl;

  SecretCalls(EmulatorState state, Clock clock, Supplier<String> baseUrl) {
    this.state = state;
    this.clock = clock;
    this.baseUrl = baseUrl;
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
    boolean payload = parts.length == 5 && parts[4].equals("payload");
    if (parts.length > 5 || (parts.length == 5 && !payload)) {
      BarbicanHandler.notFound(ex);
      return;
    }
    String uuid = parts[3];
    if (!V4_UUID.matcher(uuid).matches()) {
      Replies.barbicanError(ex, 404, "Not Found", "Not Found. Provided secret id is invalid.");
      return;
    }
    StoredSecret s = state.secrets.get(uuid);
    if (s == null || s.expiredAt(clock.instant())) {
      Replies.barbicanError(ex, 404, "Not Found", "Secret not found.");
      return;
    }
    if (payload) {
      if ("GET".equals(method)) {
        payload(ex, caller, s, accept(ex));
      } else {
        BarbicanHandler.notAllowed(ex, "GET");
      }
    } else if ("DELETE".equals(method)) {
      if (!caller.canDelete(s.projectId(), s.creatorId())) {
        Replies.forbidden(ex, "Secret deletion");
        return;
      }
      delete(uuid);
      Replies.send(ex, 204, null, new byte[0]);
    } else if ("GET".equals(method)) {
      String accept = accept(ex);
      // Barbican serves metadata only for exactly these Accept values; anything else is the deprecated payload GET.
      if (accept == null || accept.equals("application/json") || accept.equals("*/*")) {
        if (!caller.canRead(s.projectId())) {
          Replies.forbidden(ex, "Secret retrieval");
          return;
        }
        Replies.json(ex, 200, metadata(uuid, s));
      } else {
        payload(ex, caller, s, accept);
      }
    } else {
      BarbicanHandler.notAllowed(ex, "GET, DELETE, PUT");
    }
  }

  private static String accept(HttpExchange ex) {
    String a = ex.getRequestHeaders().getFirst("Accept");
    return a == null || a.isBlank() ? null : a.trim();
  }

  private void payload(HttpExchange ex, Caller caller, StoredSecret s, String accept) throws IOException {
    if (!caller.canRead(s.projectId())) {
      Replies.forbidden(ex, "Secret payload retrieval");
      return;
    }
    if (s.payload() == null) {
      Replies.barbicanError(ex, 404, "Not Found", "Not Found. Sorry but your secret has no payload.");
      return;
    }
    String type;
    if (accept == null || accept.contains("*/*")) {
      type = "*/*";
    } else if (accept.contains(OCTET)) {
      type = OCTET;
    } else if (accept.contains(TEXT)) {
      type = "text/plain; charset=UTF-8";
    } else {
      Replies.barbicanError(ex, 406, "Not Acceptable",
          "Secret payload retrieval issue seen - Wrong payload content-type.");
      return;
    }
    Replies.send(ex, 200, type, s.payload().clone());
  }

  private void list(HttpExchange ex, Caller caller) throws IOException {
    if (!caller.canRead()) {
      Replies.forbidden(ex, "Secret(s) retrieval");
      return;
    }
    Map<String, String> q = query(ex);
    int limit = intParam(q, "limit", DEFAULT_LIMIT);
    int offset = intParam(q, "offset", 0);
    Instant now = clock.instant();
    List<Map.Entry<String, StoredSecret>> found = state.secrets.entrySet().stream()
        .filter(e -> e.getValue().projectId().equals(caller.projectId()) && !e.getValue().expiredAt(now))
        .filter(e -> matches(q.get("name"), e.getValue().name()))
        .filter(e -> matches(q.get("alg"), e.getValue().algorithm()))
        .filter(e -> matches(q.get("mode"), e.getValue().mode()))
        .filter(e -> matches(q.get("secret_type"), e.getValue().secretType()))
        .filter(e -> matches(q.get("bits"), e.getValue().bitLength() == null ? null
            : String.valueOf(e.getValue().bitLength())))
        .sorted(Comparator.comparing((Map.Entry<String, StoredSecret> e) -> e.getValue().created())
            .thenComparing(Map.Entry::getKey))
        .toList();
    BarbicanHandler.page(ex, baseUrl.get() + "/v1", "secrets", offset, limit,
        found.stream().map(e -> metadata(e.getKey(), e.getValue())).toList());
  }

  private static boolean matches(String wanted, String value) {
    return wanted == null || wanted.equalsIgnoreCase(value);
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new HashMap<>();
    String raw = ex.getRequestURI().getQuery();
    if (raw != null) {
      for (String part : raw.split("&")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          q.put(part.substring(0, eq), part.substring(eq + 1));
        }
      }
    }
    return q;
  }

  static int intParam(Map<String, String> q, String name, int dflt) {
    try {
      return Math.max(0, Integer.parseInt(q.getOrDefault(name, String.valueOf(dflt))));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private void create(HttpExchange ex, Caller caller) throws IOException {
    JsonNode body = BarbicanHandler.creationBody(ex, caller, "Secret creation");
    if (body == null) {
      return;
    }
    byte[] payload = null;
    String contentType = null;
    String given = text(body, "payload");
    if (given != null && !given.isEmpty()) {
      contentType = text(body, "payload_content_type");
      if (contentType == null) {
        schemaError(ex, "If 'payload' is supplied, 'payload_content_type' must also be supplied.",
            "payload_content_type");
        return;
      }
      contentType = contentType.toLowerCase(Locale.ROOT).startsWith(TEXT) ? TEXT : contentType.toLowerCase(Locale.ROOT);
      if (OCTET.equals(contentType)) {
        try {
          payload = Base64.getDecoder().decode(given);
        } catch (IllegalArgumentException e) {
          schemaError(ex, "Invalid payload for payload_content_encoding.", "payload");
          return;
        }
      } else if (TEXT.equals(contentType)) {
        payload = given.getBytes(StandardCharsets.UTF_8);
      } else {
        schemaError(ex, "payload_content_type is not one of ['text/plain', 'application/octet-stream'].",
            "payload_content_type");
        return;
      }
    }
    Instant expiration;
    try {
      expiration = expiration(text(body, "expiration"));
    } catch (DateTimeParseException e) {
      schemaError(ex, "Invalid expiration.", "expiration");
      return;
    }
    String uuid = store(new StoredSecret(text(body, "name"), caller.projectId(), caller.userId(), payload,
        contentType, body.path("secret_type").asText("opaque"), text(body, "algorithm"),
        body.path("bit_length").isInt() ? body.path("bit_length").asInt() : null, text(body, "mode"),
        expiration, clock.instant()));
    String ref = baseUrl.get() + "/v1/secrets/" + uuid;
    ex.getResponseHeaders().set("Location", ref);
    ObjectNode root = Replies.JSON.createObjectNode();
    root.put("secret_ref", ref);
    Replies.json(ex, 201, root);
  }

  private static void schemaError(HttpExchange ex, String what, String property) throws IOException {
    Replies.barbicanError(ex, 400, "Bad Request", "Provided object does not match schema 'Secret': " + what
        + ". Invalid property: '" + property + "'");
  }

  private static Instant expiration(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isTextual() ? v.asText() : null;
  }

  /** Stores a secret under a new v4 UUID and saves the state. */
  String store(StoredSecret s) {
    String uuid = UUID.randomUUID().toString();
    state.secrets.put(uuid, s);
    state.save();
    return uuid;
  }

  void delete(String uuid) {
    StoredSecret s = state.secrets.remove(uuid);
    if (s != null && s.payload() != null) {
      Arrays.fill(s.payload(), (byte) 0);
    }
    state.save();
  }

  ObjectNode metadata(String uuid, StoredSecret s) {
    ObjectNode n = Replies.JSON.createObjectNode();
    String created = Replies.barbicanTime(s.created());
    n.put("created", created).put("updated", created).put("status", "ACTIVE").put("name", s.name())
        .put("secret_type", s.secretType());
    n.put("expiration", s.expiration() == null ? null : Replies.barbicanTime(s.expiration()));
    n.put("algorithm", s.algorithm()).put("bit_length", s.bitLength()).put("mode", s.mode())
        .put("creator_id", s.creatorId());
    if (s.payload() != null) {
      n.putObject("content_types").put("default", s.contentType());
    }
    n.put("secret_ref", baseUrl.get() + "/v1/secrets/" + uuid);
    return n;
  }
}
