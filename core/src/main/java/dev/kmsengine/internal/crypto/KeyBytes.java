package dev.kmsengine.internal.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import java.util.Objects;

/**
 * The cipher code's way into {@link KeyMaterial}'s live bytes, which the public type keeps to itself. Why a bridge
 * and not a public method: {@code KeyMaterial} is API, and a public accessor would hand every caller the array the
 * engine zeroises; this class lives in a package the core module does not export, so only the engine (and code on
 * the class path that chooses to depend on internals) reaches it. {@code KeyMaterial} installs the bridge when its
 * class initialises. Not API.
 *
 * <p>Thread-safe: the bridge is set once, before any {@code KeyMaterial} exists.
 */
public final class KeyBytes {
  /** What {@link KeyMaterial} lends the cipher code. */
  public interface Bridge {
    /**
     * Takes ownership of {@code bytes} without copying.
     *
     * @param bytes exactly {@value KeyMaterial#LENGTH} bytes the engine allocated
     * @return key material wrapping that array
     */
    KeyMaterial adopt(byte[] bytes);

    /**
     * The live array of {@code key}; the caller must neither keep nor change it.
     *
     * @param key a live key
     * @return its bytes, not a copy
     */
    byte[] live(KeyMaterial key);
  }

  private static volatile Bridge bridge;

  private KeyBytes() {}

  /**
   * Called once by {@link KeyMaterial}'s static initialiser.
   *
   * @param b the bridge
   * @throws IllegalStateException if a bridge was installed already
   */
  public static synchronized void install(Bridge b) {
    if (bridge != null) {
      throw new IllegalStateException("the key-bytes bridge is installed already");
    }
    bridge = Objects.requireNonNull(b);
  }

  static KeyMaterial adopt(byte[] bytes) {
    return bridge().adopt(bytes);
  }

  static byte[] live(KeyMaterial key) {
    return bridge().live(key);
  }

  private static Bridge bridge() {
    Bridge b = bridge;
    if (b == null) {
      // Initialising KeyMaterial installs the bridge.
      try {
        Class.forName(KeyMaterial.class.getName(), true, KeyMaterial.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      b = bridge;
    }
    return b;
  }
}
