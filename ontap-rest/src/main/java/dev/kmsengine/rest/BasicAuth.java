package dev.kmsengine.rest;

import dev.kmsengine.keystore.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * HTTP Basic authentication against one user. The presented {@code user:password} is hashed and compared with
 * {@link MessageDigest#isEqual}, so the time taken does not depend on how much of it was right.
 */
final class BasicAuth {
  private final byte[] expected;

  BasicAuth(String username, Secret password) {
    this.expected = digest(username + ":" + password.reveal());
  }

  boolean accepts(List<String> authorization) {
    if (authorization == null || authorization.size() != 1) {
      return false;
    }
    String h = authorization.get(0).trim();
    if (h.length() < 6 || !h.substring(0, 6).equalsIgnoreCase("Basic ")) {
      return false;
    }
    byte[] presented;
    try {
      presented = Base64.getDecoder().decode(h.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(expected, digest(new String(presented, StandardCharsets.UTF_8)));
  }

  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "BasicAuth[redacted]";
  }
}
