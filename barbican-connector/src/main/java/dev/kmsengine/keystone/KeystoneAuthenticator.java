package dev.kmsengine.keystone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.transport.HttpRequest;
import dev.kmsengine.transport.HttpResponse;
import dev.kmsengine.transport.HttpsClient;
import dev.kmsengine.transport.TransportException;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Exchanges a Keystone v3 application credential for a token: {@code POST .../v3/auth/tokens} with the
 * {@code application_credential} method, the token from {@code X-Subject-Token} and its lifetime from
 * {@code expires_at - issued_at}. Failures become {@link KekException}s that name Keystone and never the secret.
 */
public final class KeystoneAuthenticator {
  private static final Logger LOG = Logger.getLogger(KeystoneAuthenticator.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;

  /**
   * An authenticator that dates tokens with {@code clock}.
   *
   * @param clock the clock that stamps when each token was received
   */
  public KeystoneAuthenticator(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  /**
   * Requests a token through {@code client} on behalf of {@code node}.
   *
   * @param client the client for the configuration's transport settings
   * @param node the node the request is sent from
   * @param tokensUrl the {@code .../v3/auth/tokens} URL
   * @param credentialId the application credential id
   * @param secret the application credential secret; sent in the request body only
   * @return the token with the lifetime Keystone granted
   * @throws KekException {@link KekFailure#AUTHENTICATION} if Keystone rejects the credential (401, 404 for an
   *     unknown id, other 4xx); {@link KekFailure#UNREACHABLE} or {@link KekFailure#TIMEOUT} if it cannot be
   *     asked or keeps failing
   */
  public Token authenticate(HttpsClient client, String node, URI tokensUrl, String credentialId, Secret secret)
      throws KekException {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode cred = body.putObject("auth").putObject("identity");
    cred.putArray("methods").add("application_credential");
    cred.putObject("application_credential").put("id", credentialId).put("secret", secret.reveal());
    // Creating a token changes nothing a second request could conflict with, so it is retried like a GET.
    HttpRequest request = new HttpRequest("POST", URI.create(tokensUrl + "?nocatalog"),
        List.of(Map.entry("Content-Type", "application/json"), Map.entry("Accept", "application/json")),
        body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
    HttpResponse response;
    try {
      response = client.execute(node, request);
    } catch (TransportException e) {
      throw new KekException(e.kind() == TransportException.Kind.TIMEOUT ? KekFailure.TIMEOUT : KekFailure.UNREACHABLE,
          "Keystone " + e.getMessage(), e);
    }
    String what = "Keystone " + request.describe();
    int status = response.status();
    if (status >= 500) {
      throw new KekException(KekFailure.UNREACHABLE, what + " returned " + response.summary());
    }
    if (status == 401 || status == 404) {
      throw new KekException(KekFailure.AUTHENTICATION, what + " returned " + response.summary()
          + " (application credential " + credentialId + " or its secret was rejected)");
    }
    if (status != 201 && status != 200) {
      throw new KekException(KekFailure.AUTHENTICATION, what + " returned " + response.summary());
    }
    String token = response.header("X-Subject-Token");
    if (token == null || token.isBlank()) {
      throw new KekException(KekFailure.UNREACHABLE, what + " returned " + status + " without an X-Subject-Token");
    }
    Instant now = clock.instant();
    Duration lifetime = lifetime(response, now, what);
    LOG.log(Level.FINE, "{0}: token for application credential {1} valid for {2} s",
        new Object[] {what, credentialId, lifetime.toSeconds()});
    return new Token(token.trim(), now, lifetime);
  }

  private static Duration lifetime(HttpResponse response, Instant now, String what) throws KekException {
    try {
      JsonNode t = JSON.readTree(response.body()).path("token");
      Instant expires = instant(t.path("expires_at").asText(""));
      String issuedText = t.path("issued_at").asText("");
      Instant issued = issuedText.isEmpty() ? now : instant(issuedText);
      Duration d = Duration.between(issued, expires);
      if (d.isNegative() || d.isZero()) {
        throw new KekException(KekFailure.AUTHENTICATION, what + " returned a token that is already expired");
      }
      return d;
    } catch (IOException | DateTimeParseException e) {
      throw new KekException(KekFailure.UNREACHABLE, what + " returned a token without a readable expires_at", e);
    }
  }

  /** Keystone writes {@code 2026-11-30T04:37:41.000000Z}; an offset instead of {@code Z} is accepted too. */
  static Instant instant(String text) {
    return OffsetDateTime.parse(text).toInstant();
  }
}
