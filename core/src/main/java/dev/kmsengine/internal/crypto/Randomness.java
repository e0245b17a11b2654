package dev.kmsengine.internal.crypto;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The one source of randomness for keys and nonces, like Tink's {@code subtle.Random}: a single thread-safe
 * {@link SecureRandom}, so no code path invents its own.
 *
 * <p>It is the JDK's {@code DRBG} (SP 800-90A Hash_DRBG over SHA-256) instantiated at 256-bit security strength and
 * seeded by the JDK from the operating system, so that the RBG-based nonce construction of SP 800-38D §8.2.2
 * (see {@link NonceSource}) draws from an approved RBG, and keys at the strength of AES-256.
 */
public final class Randomness {
  private static final SecureRandom RANDOM = create();

  private Randomness() {}

  private static SecureRandom create() {
    try {
      return SecureRandom.getInstance("DRBG",
          DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, "kms-engine".getBytes(
              java.nio.charset.StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK provides no 256-bit DRBG", e);
    }
  }

  /**
   * The shared strong random source.
   *
   * @return a thread-safe {@link SecureRandom}
   */
  public static SecureRandom secureRandom() {
    return RANDOM;
  }
}
