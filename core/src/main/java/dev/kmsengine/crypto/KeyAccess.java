package dev.kmsengine.crypto;

/**
 * The token that every read of raw key bytes out of a {@link KeyMaterial} must present, after Tink's
 * {@code SecretKeyAccess}. It protects nothing by itself: its point is that each place where key bytes leave a
 * {@code KeyMaterial} names {@link #insecure()}, so a review finds every one of them with one search, and an
 * accidental {@code copyBytes()} does not compile.
 *
 * <p>Immutable; thread-safe.
 */
public final class KeyAccess {
  private static final KeyAccess INSECURE = new KeyAccess();

  private KeyAccess() {}

  /**
   * The access for code that must hand key bytes to something outside the engine's key types (a node's key table,
   * a JCE key spec in a benchmark baseline, a test comparing keys); the caller zeroises what it receives.
   *
   * @return the one token
   */
  public static KeyAccess insecure() {
    return INSECURE;
  }
}
