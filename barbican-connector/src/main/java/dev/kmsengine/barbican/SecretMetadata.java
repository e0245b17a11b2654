package dev.kmsengine.barbican;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;

/**
 * The parts of a Barbican secret's metadata that decide whether it can be a top-level KEK.
 *
 * @param status {@code ACTIVE} when usable
 * @param secretType {@code symmetric} (or legacy {@code opaque})
 * @param algorithm {@code aes}
 * @param bitLength 256, or -1 when absent
 * @param expiration when the secret stops being available, or {@code null}
 */
record SecretMetadata(String status, String secretType, String algorithm, int bitLength, Instant expiration) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEY_TYPES = Set.of("symmetric", "opaque");

  static SecretMetadata parse(byte[] body, String what) throws KekException {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || !n.isObject()) {
        throw new KekException(KekFailure.UNREACHABLE, what + " returned metadata that is not a JSON object");
      }
      JsonNode bits = n.get("bit_length");
      return new SecretMetadata(n.path("status").asText(""), n.path("secret_type").asText(""),
          n.path("algorithm").asText(""), bits != null && bits.canConvertToInt() ? bits.asInt() : -1,
          expiration(n.get("expiration")));
    } catch (IOException | DateTimeParseException e) {
      throw new KekException(KekFailure.UNREACHABLE, what + " returned unreadable metadata", e);
    }
  }

  /** Barbican writes UTC without a zone ({@code 2015-12-28T19:14:44.180394}); a zone is accepted too. */
  private static Instant expiration(JsonNode n) {
    if (n == null || n.isNull() || n.asText("").isEmpty()) {
      return null;
    }
    String t = n.asText();
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
    }
  }

  /**
   * Checks that this secret is an active, unexpired 256-bit AES key.
   *
   * @throws KekException {@link KekFailure#KEY_NOT_FOUND} if it is not active or has expired,
   *     {@link KekFailure#WRONG_KEY_TYPE} if it is not a 256-bit AES key
   */
  void requireUsableAesKey(Instant now, String what) throws KekException {
    if (!"ACTIVE".equalsIgnoreCase(status)) {
      throw new KekException(KekFailure.KEY_NOT_FOUND, what + ": the secret's status is " + quoted(status)
          + ", not ACTIVE");
    }
    if (expiration != null && !now.isBefore(expiration)) {
      throw new KekException(KekFailure.KEY_NOT_FOUND, what + ": the secret expired at " + expiration);
    }
    if (!KEY_TYPES.contains(secretType.toLowerCase(Locale.ROOT))) {
      throw new KekException(KekFailure.WRONG_KEY_TYPE, what + ": secret_type is " + quoted(secretType)
          + ", not symmetric");
    }
    if (!"aes".equalsIgnoreCase(algorithm)) {
      throw new KekException(KekFailure.WRONG_KEY_TYPE, what + ": algorithm is " + quoted(algorithm)
          + ", not aes");
    }
    if (bitLength != 256) {
      throw new KekException(KekFailure.WRONG_KEY_TYPE, what + ": bit_length is "
          + (bitLength < 0 ? "missing" : String.valueOf(bitLength)) + ", not 256");
    }
  }

  private static String quoted(String s) {
    String clean = s.replaceAll("[^A-Za-z0-9_.-]", "?");
    return clean.isEmpty() ? "missing" : "'" + (clean.length() > 40 ? clean.substring(0, 40) : clean) + "'";
  }
}
