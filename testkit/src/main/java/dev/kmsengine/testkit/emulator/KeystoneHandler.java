package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Keystone 22 as the connector and OpenStack's clients use it: the version documents at {@code /} and {@code /v3},
 * {@code POST /v3/auth/tokens} with the {@code application_credential} method (with a service catalog unless
 * {@code ?nocatalog}), and {@code GET}/{@code HEAD}/{@code DELETE /v3/auth/tokens}.
 */
final class KeystoneHandler implements HttpHandler {
  private static final DateTimeFormatter KEYSTONE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String REGION = "RegionOne";

  private final EmulatorState state;
  private final Faults faults;
  private final Clock clock;
  private final Supplier<Duration> lifetime;
  private final Supplier<String> keystoneBase;
  private final Supplier<String> barbicanBase;
  final AtomicLong tokenRequests = new AtomicLong();

  KeystoneHandler(EmulatorState state, Faults faults, Clock clock, Supplier<Duration> lifetime,
      Supplier<String> keystoneBase, Supplier<String> barbicanBase) {
    this.state = state;
    this.faults = faults;
    this.clock = clock;
    this.lifetime = lifetime;
    this.keystoneBase = keystoneBase;
    this.barbicanBase = barbicanBase;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      faults.delay();
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      boolean read = "GET".equals(method) || "HEAD".equals(method);
      if (path.equals("/") && read) {
        ObjectNode root = Replies.JSON.createObjectNode();
        root.putObject("versions").putArray("values").add(version());
        ex.getResponseHeaders().set("Location", keystoneBase.get() + "/");
        Replies.json(ex, 300, root);
      } else if ((path.equals("/v3") || path.equals("/v3/")) && read) {
        ObjectNode root = Replies.JSON.createObjectNode();
        root.set("version", version());
        Replies.json(ex, 200, root);
      } else if (!path.equals("/v3/auth/tokens")) {
        Replies.keystoneError(ex, 404, "Not Found", "The resource could not be found.");
      } else if ("POST".equals(method)) {
        tokenRequests.incrementAndGet();
        if (Faults.take(faults.keystoneFailures)) {
          Replies.keystoneError(ex, faults.keystoneFailureStatus, "Service Unavailable",
              "The service is temporarily unavailable (injected by the emulator).");
          return;
        }
        issue(ex);
      } else if (read || "DELETE".equals(method)) {
        validateOrRevoke(ex, "DELETE".equals(method));
      } else {
        Replies.keystoneError(ex, 405, "Method Not Allowed", "The method is not allowed for the requested URL.");
      }
    }
  }

  private ObjectNode version() {
    ObjectNode v = Replies.JSON.createObjectNode();
    v.put("id", "v3.14").put("status", "stable").put("updated", "2020-04-07T00:00:00Z");
    v.putArray("links").addObject().put("rel", "self").put("href", keystoneBase.get() + "/");
    v.putArray("media-types").addObject().put("base", "application/json")
        .put("type", "application/vnd.openstack.identity-v3+json");
    return v;
  }

  private void issue(HttpExchange ex) throws IOException {
    JsonNode identity;
    try {
      identity = Replies.JSON.readTree(ex.getRequestBody().readAllBytes()).path("auth").path("identity");
    } catch (IOException e) {
      Replies.keystoneBadRequest(ex, "Expecting to find valid JSON in request body.");
      return;
    }
    List<String> methods = new ArrayList<>();
    identity.path("methods").forEach(m -> methods.add(m.asText()));
    for (String m : methods) {
      if (!identity.has(m)) {
        Replies.keystoneBadRequest(ex, "Expecting to find " + m + " in identity.");
        return;
      }
    }
    if (!methods.contains("application_credential")) {
      // The emulator has no users with passwords and takes no token for a token: Keystone's answer to a login it
      // cannot verify.
      unauthorized(ex);
      return;
    }
    JsonNode cred = identity.path("application_credential");
    String id = cred.path("id").asText("");
    Credential c = state.credentials.get(id);
    if (c == null) {
      Replies.keystoneError(ex, 404, "Not Found", "Could not find Application Credential: " + id + ".");
      return;
    }
    String given = cred.path("secret").asText("");
    if (!MessageDigest.isEqual(Replies.utf8(c.secret()), Replies.utf8(given))) {
      unauthorized(ex);
      return;
    }
    byte[] raw = new byte[140];
    RANDOM.nextBytes(raw);
    String token = "gAAAAA" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Instant issued = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    IssuedToken t = new IssuedToken(id, Base64.getUrlEncoder().withoutPadding().encodeToString(raw).substring(0, 22),
        issued, issued.plus(lifetime.get()));
    state.tokens.put(token, t);
    ex.getResponseHeaders().set("X-Subject-Token", token);
    ex.getResponseHeaders().set("Vary", "X-Auth-Token");
    Replies.json(ex, 201, body(t, c, !hasQueryFlag(ex, "nocatalog")));
  }

  /** {@code GET}/{@code HEAD}: a token may validate itself, an admin any token; {@code DELETE} revokes it. */
  private void validateOrRevoke(HttpExchange ex, boolean revoke) throws IOException {
    String caller = ex.getRequestHeaders().getFirst("X-Auth-Token");
    Credential callerCred = caller == null ? null : valid(caller);
    if (callerCred == null) {
      unauthorized(ex);
      return;
    }
    String subject = ex.getRequestHeaders().getFirst("X-Subject-Token");
    if (subject == null) {
      Replies.keystoneError(ex, 403, "Forbidden", "You are not authorized to perform the requested action: "
          + (revoke ? "identity:revoke_token." : "identity:validate_token."));
      return;
    }
    IssuedToken t = state.tokens.get(subject);
    if (t == null) {
      Replies.keystoneError(ex, 404, "Not Found", "Could not recognize Fernet token");
      return;
    }
    Credential c = valid(subject);
    if (c == null) {
      Replies.keystoneError(ex, 404, "Not Found", "Failed to validate token");
      return;
    }
    if (!subject.equals(caller) && !callerCred.roles().contains("admin")) {
      Replies.keystoneError(ex, 403, "Forbidden", "You are not authorized to perform the requested action: "
          + (revoke ? "identity:revoke_token." : "identity:validate_token."));
      return;
    }
    if (revoke) {
      state.revoked.add(subject);
      Replies.send(ex, 204, null, new byte[0]);
      return;
    }
    ex.getResponseHeaders().set("X-Subject-Token", subject);
    ex.getResponseHeaders().set("Vary", "X-Auth-Token");
    Replies.json(ex, 200, body(t, c, !hasQueryFlag(ex, "nocatalog")));
  }

  /** The credential of a token Keystone itself would accept now, or {@code null}. */
  Credential valid(String token) {
    IssuedToken t = state.tokens.get(token);
    if (t == null || !clock.instant().isBefore(t.expiresAt()) || state.revoked.contains(token)) {
      return null;
    }
    return state.credentials.get(t.credentialId());
  }

  private static void unauthorized(HttpExchange ex) throws IOException {
    Replies.keystoneError(ex, 401, "Unauthorized", "The request you have made requires authentication.");
  }

  private static boolean hasQueryFlag(HttpExchange ex, String flag) {
    String q = ex.getRequestURI().getRawQuery();
    if (q == null) {
      return false;
    }
    for (String part : q.split("&")) {
      if (part.equals(flag) || part.startsWith(flag + "=")) {
        return true;
      }
    }
    return false;
  }

  private ObjectNode body(IssuedToken token, Credential c, boolean catalog) {
    ObjectNode root = Replies.JSON.createObjectNode();
    ObjectNode t = root.putObject("token");
    t.putArray("methods").add("application_credential");
    t.putObject("user").put("id", state.userId).put("name", EmulatorState.USER_NAME).putNull("password_expires_at")
        .putObject("domain").put("id", "default").put("name", "Default");
    t.putArray("audit_ids").add(token.auditId());
    t.put("expires_at", KEYSTONE_TIME.format(token.expiresAt()));
    t.put("issued_at", KEYSTONE_TIME.format(token.issuedAt()));
    t.putObject("project").put("id", c.projectId()).put("name", state.projects.getOrDefault(c.projectId(), ""))
        .putObject("domain").put("id", "default").put("name", "Default");
    t.put("is_domain", false);
    ArrayNode roles = t.putArray("roles");
    c.roles().forEach(r -> roles.addObject().put("id", stableId("role", r)).put("name", r));
    if (catalog) {
      ArrayNode cat = t.putArray("catalog");
      service(cat.addObject(), "identity", "keystone", keystoneBase.get() + "/");
      service(cat.addObject(), "key-manager", "barbican", barbicanBase.get());
    }
    t.putObject("application_credential").put("id", c.id()).put("name", c.name()).put("restricted", true);
    return root;
  }

  private static void service(ObjectNode s, String type, String name, String url) {
    ArrayNode eps = s.putArray("endpoints");
    for (String iface : List.of("public", "internal", "admin")) {
      eps.addObject().put("id", stableId(name, iface)).put("interface", iface).put("region_id", REGION)
          .put("url", url).put("region", REGION);
    }
    s.put("id", stableId("service", name)).put("type", type).put("name", name);
  }

  /** A 32-hex id that stays the same for the same names, as Keystone's stored role and endpoint ids do. */
  private static String stableId(String kind, String name) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((kind + "/" + name).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
