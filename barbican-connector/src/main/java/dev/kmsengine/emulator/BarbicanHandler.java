package dev.kmsengine.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/secrets/{uuid}} (metadata), {@code GET /v1/secrets/{uuid}/payload} and
 * {@code DELETE /v1/secrets/{uuid}}, behind a token check like keystonemiddleware's.
 */
final class BarbicanHandler implements HttpHandler {
  private static final Pattern UUID_FORM =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private final EmulatorState state;
  private final Faults faults;
  private final Clock clock;
  private final Supplier<String> baseUrl;
  private final Supplier<String> keystoneBase;
  final AtomicLong metadataRequests = new AtomicLong();
  final AtomicLong payloadRequests = new AtomicLong();

  BarbicanHandler(EmulatorState state, Faults faults, Clock clock, Supplier<String> baseUrl,
      Supplier<String> keystoneBase) {
    this.state = state;
    this.faults = faults;
    this.clock = clock;
    this.baseUrl = baseUrl;
    this.keystoneBase = keystoneBase;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      faults.delay();
      String[] parts = ex.getRequestURI().getPath().split("/");
      // "", "v1", "secrets", uuid[, "payload"]
      boolean secretPath = parts.length >= 4 && parts[1].equals("v1") && parts[2].equals("secrets");
      boolean payload = secretPath && parts.length == 5 && parts[4].equals("payload");
      if (!secretPath || parts.length > 5 || (parts.length == 5 && !payload)) {
        Replies.barbicanError(ex, 404, "Not Found", "The resource could not be found.");
        return;
      }
      String method = ex.getRequestMethod();
      if ("GET".equals(method)) {
        (payload ? payloadRequests : metadataRequests).incrementAndGet();
      }
      if (!tokenValid(ex)) {
        Replies.tokenRejected(ex, keystoneBase.get());
        return;
      }
      if (Faults.take(faults.barbicanFailures)) {
        Replies.barbicanError(ex, faults.barbicanFailureStatus, "Service Unavailable",
            "Secret retrieval failure seen - please contact site administrator (injected by the emulator).");
        return;
      }
      String uuid = parts[3];
      if (!UUID_FORM.matcher(uuid).matches()) {
        Replies.barbicanError(ex, 404, "Not Found", "Not Found. Provided secret id is invalid.");
        return;
      }
      StoredSecret s = state.secrets.get(uuid);
      if (s == null || (s.expiration() != null && !clock.instant().isBefore(s.expiration()))) {
        Replies.barbicanError(ex, 404, "Not Found", "Secret not found.");
        return;
      }
      if ("DELETE".equals(method) && !payload) {
        state.secrets.remove(uuid);
        state.save();
        Replies.send(ex, 204, null, new byte[0]);
      } else if (!"GET".equals(method)) {
        Replies.barbicanError(ex, 405, "Method Not Allowed", "The method is not allowed for the requested URL.");
      } else if (payload) {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        if (accept != null && !accept.isBlank() && !accept.contains("application/octet-stream")
            && !accept.contains("*/*")) {
          Replies.barbicanError(ex, 406, "Not Acceptable",
              "Secret payload retrieval issue seen - Wrong payload content-type.");
          return;
        }
        ex.getResponseHeaders().set("openstack-api-version", "key-manager 1.0");
        Replies.send(ex, 200, "application/octet-stream", s.payload().clone());
      } else {
        Replies.json(ex, 200, metadata(uuid, s));
      }
    }
  }

  private boolean tokenValid(HttpExchange ex) {
    String token = ex.getRequestHeaders().getFirst("X-Auth-Token");
    EmulatorState.IssuedToken t = token == null ? null : state.tokens.get(token);
    if (t == null || !clock.instant().isBefore(t.expiresAt()) || !state.credentials.containsKey(t.credentialId())) {
      return false;
    }
    return !Faults.take(faults.rejectedTokens);
  }

  private ObjectNode metadata(String uuid, StoredSecret s) {
    ObjectNode n = Replies.JSON.createObjectNode();
    String created = LocalDateTime.ofInstant(s.created(), ZoneOffset.UTC).toString();
    n.put("created", created).put("updated", created).put("status", "ACTIVE").put("name", "emulated-" + uuid)
        .put("secret_type", s.secretType());
    Instant exp = s.expiration();
    if (exp == null) {
      n.putNull("expiration");
    } else {
      n.put("expiration", LocalDateTime.ofInstant(exp, ZoneOffset.UTC).toString());
    }
    n.put("algorithm", s.algorithm()).put("bit_length", s.bitLength()).put("mode", "cbc")
        .put("creator_id", "emulated-user");
    n.putObject("content_types").put("default", "application/octet-stream");
    n.put("secret_ref", baseUrl.get() + "/v1/secrets/" + uuid);
    return n;
  }
}
