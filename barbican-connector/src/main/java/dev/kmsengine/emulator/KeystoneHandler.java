package dev.kmsengine.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** {@code POST /v3/auth/tokens} with the {@code application_credential} method, as Keystone 22 answers it. */
final class KeystoneHandler implements HttpHandler {
  private static final DateTimeFormatter KEYSTONE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final EmulatorState state;
  private final Faults faults;
  private final Clock clock;
  private final Supplier<Duration> lifetime;
  final AtomicLong tokenRequests = new AtomicLong();

  KeystoneHandler(EmulatorState state, Faults faults, Clock clock, Supplier<Duration> lifetime) {
    this.state = state;
    this.faults = faults;
    this.clock = clock;
    this.lifetime = lifetime;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      faults.delay();
      String path = ex.getRequestURI().getPath();
      if (!path.equals("/v3/auth/tokens")) {
        Replies.keystoneError(ex, 404, "Not Found", "The resource could not be found.");
        return;
      }
      if (!"POST".equals(ex.getRequestMethod())) {
        Replies.keystoneError(ex, 405, "Method Not Allowed", "The method is not allowed for the requested URL.");
        return;
      }
      tokenRequests.incrementAndGet();
      if (Faults.take(faults.keystoneFailures)) {
        Replies.keystoneError(ex, faults.keystoneFailureStatus, "Service Unavailable",
            "The service is temporarily unavailable (injected by the emulator).");
        return;
      }
      issue(ex);
    }
  }

  private void issue(HttpExchange ex) throws IOException {
    JsonNode cred;
    try {
      cred = Replies.JSON.readTree(ex.getRequestBody().readAllBytes()).path("auth").path("identity")
          .path("application_credential");
    } catch (IOException e) {
      Replies.keystoneError(ex, 400, "Bad Request", "Expecting to find valid JSON in request body. The server could "
          + "not comply with the request since it is either malformed or otherwise incorrect. The client is "
          + "assumed to be in error.");
      return;
    }
    String id = cred.path("id").asText("");
    String expected = state.credentials.get(id);
    if (expected == null) {
      Replies.keystoneError(ex, 404, "Not Found", "Could not find Application Credential: " + id + ".");
      return;
    }
    String given = cred.path("secret").asText("");
    if (!MessageDigest.isEqual(Replies.utf8(expected), Replies.utf8(given))) {
      Replies.keystoneError(ex, 401, "Unauthorized", "The request you have made requires authentication.");
      return;
    }
    byte[] raw = new byte[140];
    RANDOM.nextBytes(raw);
    String token = "gAAAAA" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Instant issued = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant expires = issued.plus(lifetime.get());
    state.tokens.put(token, new EmulatorState.IssuedToken(id, expires));
    ObjectNode root = Replies.JSON.createObjectNode();
    ObjectNode t = root.putObject("token");
    t.putArray("methods").add("application_credential");
    t.putObject("user").put("id", "emulated-user").put("name", "emulated-user").putNull("password_expires_at")
        .putObject("domain").put("id", "default").put("name", "Default");
    t.putArray("audit_ids").add(Base64.getUrlEncoder().withoutPadding().encodeToString(raw).substring(0, 22));
    t.put("expires_at", KEYSTONE_TIME.format(expires));
    t.put("issued_at", KEYSTONE_TIME.format(issued));
    t.putObject("project").put("id", "emulated-project").put("name", "emulated-project")
        .putObject("domain").put("id", "default").put("name", "Default");
    t.put("is_domain", false);
    t.putArray("roles").addObject().put("id", "creator").put("name", "creator");
    t.putObject("application_credential").put("id", id).put("name", id).put("restricted", true);
    ex.getResponseHeaders().set("X-Subject-Token", token);
    ex.getResponseHeaders().set("Vary", "X-Auth-Token");
    Replies.json(ex, 201, root);
  }
}
