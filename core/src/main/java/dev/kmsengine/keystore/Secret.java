package dev.kmsengine.keystore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret string such as {@code application_cred_secret} or {@code proxy_password}: ONTAP calls these fields
 * "not audited", and here that means they are never printed.
 *
 * <p>{@link #toString()} is redacted, so records and log lines that contain a {@code Secret} cannot leak it.
 * {@link #equals} compares in constant time. {@link #reveal()} is the one way to read the value; callers use it
 * only to put the secret on the wire.
 *
 * <p>Immutable; thread-safe.
 */
public final class Secret {
  private static final Secret EMPTY = new Secret("");

  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /**
   * A secret holding {@code value} (may be empty, never null).
   *
   * @param value the secret text
   * @return the secret; its {@code toString()} is redacted
   */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    return value.isEmpty() ? EMPTY : new Secret(value);
  }

  /**
   * The empty secret.
   *
   * @return a secret holding {@code ""}
   */
  public static Secret empty() {
    return EMPTY;
  }

  /**
   * The secret value, for the wire only.
   *
   * @return the secret text; never log it or put it in a message
   */
  public String reveal() {
    return value;
  }

  /**
   * Whether the secret is the empty string.
   *
   * @return {@code true} if the secret is {@code ""}
   */
  public boolean isEmpty() {
    return value.isEmpty();
  }

  /**
   * Whether the secret is empty or only white space.
   *
   * @return {@code true} if the secret holds nothing but white space
   */
  public boolean isBlank() {
    return value.isBlank();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret other
        && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    // Constant: a hash of the value would leak a little of it through bucket placement timing.
    return 0x5ec7e7;
  }

  @Override
  public String toString() {
    return value.isEmpty() ? "Secret[empty]" : "Secret[redacted]";
  }
}
