package dev.kmsengine.keystone;

import dev.kmsengine.keystore.Secret;
import dev.kmsengine.transport.TransportSettings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Everything that changes which token Keystone would hand out: the token URL, the application credential (its id
 * and a keyed, non-reversible fingerprint of its secret) and the transport settings. Two configurations with the
 * same key share a token; changing any part gives a new key, so a stale token is never used for new settings.
 *
 * @param tokensUrl the {@code .../v3/auth/tokens} URL
 * @param credentialId the application credential id
 * @param secretFingerprint HMAC-SHA-256 of the secret under a key that lives only in this process
 * @param transport the transport settings
 */
public record TokenKey(URI tokensUrl, String credentialId, String secretFingerprint, TransportSettings transport) {
  private static final byte[] FINGERPRINT_KEY = randomKey();

  /**
   * Checks nullness.
   *
   * @param tokensUrl the {@code .../v3/auth/tokens} URL
   * @param credentialId the application credential id
   * @param secretFingerprint HMAC-SHA-256 of the secret under a key that lives only in this process
   * @param transport the transport settings
   */
  public TokenKey {
    Objects.requireNonNull(tokensUrl, "tokensUrl == null");
    Objects.requireNonNull(credentialId, "credentialId == null");
    Objects.requireNonNull(secretFingerprint, "secretFingerprint == null");
    Objects.requireNonNull(transport, "transport == null");
  }

  /**
   * The key for a credential, fingerprinting its secret.
   *
   * @param tokensUrl the {@code .../v3/auth/tokens} URL
   * @param credentialId the application credential id
   * @param secret the application credential secret; only its fingerprint is kept
   * @param transport the transport settings
   * @return the key, holding no secret
   */
  public static TokenKey of(URI tokensUrl, String credentialId, Secret secret, TransportSettings transport) {
    return new TokenKey(tokensUrl, credentialId, fingerprint(secret), transport);
  }

  /** A keyed hash of {@code secret} that identifies it within this process and reveals nothing about it. */
  static String fingerprint(Secret secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(FINGERPRINT_KEY, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(secret.reveal().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  private static byte[] randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  @Override
  public String toString() {
    return "TokenKey[" + tokensUrl + ", credential " + credentialId + "]";
  }
}
