package dev.kmsengine.crypto;

import java.security.SecureRandom;

/**
 * The one source of randomness for keys and nonces, like Tink's {@code subtle.Random}: a single
 * {@link SecureRandom} (thread-safe) chosen by the JDK's configuration, so no code path invents its own.
 */
public final class Randomness {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Randomness() {}

  /**
   * The shared strong random source.
   *
   * @return a thread-safe {@link SecureRandom}
   */
  public static SecureRandom secureRandom() {
    return RANDOM;
  }
}
