package dev.kmsengine.keystone;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A Keystone token and when it must be replaced. The expiry is measured on the local clock (time of receipt plus
 * the lifetime Keystone granted), so a skewed server clock cannot make a token look fresher than it is.
 * {@code toString} never shows the token.
 */
public final class Token {
  private final String value;
  private final Instant receivedAt;
  private final Instant expiresAt;

  /**
   * A token received at {@code receivedAt} (local clock) that Keystone granted for {@code lifetime}.
   *
   * @param value the {@code X-Subject-Token} value; kept out of {@code toString()}
   * @param receivedAt when the token arrived, on the local clock
   * @param lifetime how long Keystone said it is valid
   */
  public Token(String value, Instant receivedAt, Duration lifetime) {
    this.value = Objects.requireNonNull(value, "value == null");
    this.receivedAt = Objects.requireNonNull(receivedAt, "receivedAt == null");
    this.expiresAt = receivedAt.plus(Objects.requireNonNull(lifetime, "lifetime == null"));
  }

  /**
   * The token, for the {@code X-Auth-Token} header only.
   *
   * @return the token value; a secret
   */
  public String reveal() {
    return value;
  }

  /**
   * When the token expires, on the local clock.
   *
   * @return the instant the token stops being valid
   */
  public Instant expiresAt() {
    return expiresAt;
  }

  /**
   * When the token should be replaced: {@code margin} before expiry, or half-way through its life if the
   * lifetime is shorter than twice the margin, so a short-lived token is still used for a while.
   *
   * @param margin how long before expiry to renew
   * @return the instant from which the token is due for renewal
   */
  public Instant refreshAt(Duration margin) {
    Duration lifetime = Duration.between(receivedAt, expiresAt);
    return margin.multipliedBy(2).compareTo(lifetime) <= 0
        ? expiresAt.minus(margin)
        : receivedAt.plus(lifetime.dividedBy(2));
  }

  @Override
  public String toString() {
    return "Token[redacted, expires " + expiresAt + "]";
  }
}
