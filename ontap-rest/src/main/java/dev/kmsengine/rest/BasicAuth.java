package dev.kmsengine.rest;

import dev.kmsengine.keystore.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * HTTP Basic authentication against one user, checked on every request. The presented {@code user:password} is
 * hashed and compared with {@link MessageDigest#isEqual}, so the time taken does not depend on how much of it was
 * right. Only SHA-256 digests of the secret are kept, never the secret itself.
 *
 * <p>Clients send the same header on every request, spelled as RFC 7617 writes it ({@code Basic} and the padded
 * Base64 of {@code user:password}), so the whole header is first compared, as a digest, with the digest of that
 * spelling: one hash, no decoding. Any other spelling (another case of {@code basic}, extra spaces) is decoded and
 * checked as before. Thread-safe.
 */
final class BasicAuth {
  private static final MessageDigest SHA_256 = sha256();

  private final byte[] expected;
  private final byte[] expectedHeader;

  BasicAuth(String username, Secret password) {
    String credentials = username + ":" + password.reveal();
    this.expected = digest(credentials);
    this.expectedHeader = digest("Basic "
        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
  }

  boolean accepts(List<String> authorization) {
    if (authorization == null || authorization.size() != 1) {
      return false;
    }
    if (MessageDigest.isEqual(expectedHeader, digest(authorization.get(0)))) {
      return true;
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
    return digester().digest(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A fresh SHA-256 digester: a copy of one made once, as looking the algorithm up costs more than hashing. */
  private static MessageDigest digester() {
    try {
      return (MessageDigest) SHA_256.clone();
    } catch (CloneNotSupportedException e) {
      return sha256();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "BasicAuth[redacted]";
  }
}
