package dev.kmsengine.crypto;

import dev.kmsengine.internal.crypto.KeyBytes;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * 256 bits of secret key material: a top-level KEK fetched from Barbican, an SVM-KEK, or a volume encryption key.
 *
 * <p>Immutable until {@link #destroy()}, which overwrites the bytes with zeros; any later use throws
 * {@link IllegalStateException}. The bytes are never shown by {@link #toString()}, never compared with
 * {@code Arrays.equals} (see {@link #sameAs}), and handed out only as copies the caller must zeroise.
 *
 * <h2>Thread safety</h2>
 * Reads are safe from any thread. Copies ({@link #copyBytes}, {@link #copyInto}, {@link #duplicate}) and
 * {@link #destroy} exclude each other, so a copy taken while another thread destroys the key is either whole or
 * refused, never part zeros: an all-zero copy of a cached top-level KEK would wrap an SVM-KEK under a key nobody
 * can fetch again.
 */
public final class KeyMaterial implements Destroyable, AutoCloseable {
  /** The only key size the hierarchy uses: AES-256. */
  public static final int LENGTH = 32;

  static {
    KeyBytes.install(new KeyBytes.Bridge() {
      @Override
      public KeyMaterial adopt(byte[] bytes) {
        return KeyMaterial.adopt(bytes);
      }

      @Override
      public byte[] live(KeyMaterial key) {
        return key.unsafeBytes();
      }
    });
  }

  private final byte[] bytes;
  private volatile boolean destroyed;

  private KeyMaterial(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Fresh random key material.
   *
   * @param random the source of the key bytes
   * @return a new {@value #LENGTH}-byte key
   */
  public static KeyMaterial generate(SecureRandom random) {
    byte[] b = new byte[LENGTH];
    random.nextBytes(b);
    return new KeyMaterial(b);
  }

  /**
   * Copies {@code length} bytes at {@code offset}; the caller keeps (and should zeroise) its array.
   *
   * @param source the array holding the key
   * @param offset where the key starts in {@code source}
   * @param length the key's length, which must be {@value #LENGTH}
   * @return a new key holding a copy of the bytes
   * @throws IllegalArgumentException if {@code length} is not {@value #LENGTH}
   */
  public static KeyMaterial copyOf(byte[] source, int offset, int length) {
    if (length != LENGTH) {
      throw new IllegalArgumentException("key material must be " + LENGTH + " bytes, got " + length);
    }
    // copyOfRange would silently zero-pad a range running past the end: a weakened key, not an error.
    java.util.Objects.checkFromIndexSize(offset, length, source.length);
    return new KeyMaterial(Arrays.copyOfRange(source, offset, offset + length));
  }

  /**
   * Copies a whole 32-byte array; the caller keeps (and should zeroise) its array.
   *
   * @param source a {@value #LENGTH}-byte array
   * @return a new key holding a copy of the bytes
   * @throws IllegalArgumentException if {@code source} is not {@value #LENGTH} bytes long
   */
  public static KeyMaterial copyOf(byte[] source) {
    return copyOf(source, 0, source.length);
  }

  /** Takes ownership of {@code bytes} without copying; used where the engine itself allocated them. */
  static KeyMaterial adopt(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("key material must be " + LENGTH + " bytes, got " + bytes.length);
    }
    return new KeyMaterial(bytes);
  }

  /**
   * A copy of the key bytes; the caller must zeroise it when done.
   *
   * @param access {@link KeyAccess#insecure()}, which marks the call as one that takes raw key bytes out
   * @return a new {@value #LENGTH}-byte array
   * @throws IllegalStateException if this key was destroyed
   */
  public synchronized byte[] copyBytes(KeyAccess access) {
    java.util.Objects.requireNonNull(access, "access");
    checkLive();
    return bytes.clone();
  }

  /**
   * Copies the key bytes into {@code dest} at {@code offset}, allocating nothing.
   *
   * @param access {@link KeyAccess#insecure()}, which marks the call as one that takes raw key bytes out
   * @param dest the array to copy into
   * @param offset where in {@code dest} the {@value #LENGTH} bytes go
   * @throws IllegalStateException if this key was destroyed
   */
  public synchronized void copyInto(KeyAccess access, byte[] dest, int offset) {
    java.util.Objects.requireNonNull(access, "access");
    checkLive();
    System.arraycopy(bytes, 0, dest, offset, LENGTH);
  }

  /**
   * A new, independent copy that can be destroyed separately.
   *
   * @return a new key with the same bytes
   * @throws IllegalStateException if this key was destroyed
   */
  public synchronized KeyMaterial duplicate() {
    checkLive();
    return new KeyMaterial(bytes.clone());
  }

  /**
   * Constant-time comparison of two keys' bytes.
   *
   * @param other the key to compare with
   * @return {@code true} if both keys hold the same bytes
   * @throws IllegalStateException if either key was destroyed
   */
  public boolean sameAs(KeyMaterial other) {
    checkLive();
    other.checkLive();
    return MessageDigest.isEqual(bytes, other.bytes);
  }

  /** Constant-time comparison with {@code LENGTH} bytes of {@code other} at {@code offset}. */
  boolean sameAs(byte[] other, int offset) {
    checkLive();
    int diff = 0;
    for (int i = 0; i < LENGTH; i++) {
      diff |= bytes[i] ^ other[offset + i];
    }
    return diff == 0;
  }

  /** The live array, for the engine's cipher code only (through {@link KeyBytes}). */
  byte[] unsafeBytes() {
    checkLive();
    return bytes;
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("key material was destroyed");
    }
  }

  /** Overwrites the key bytes with zeros. Idempotent. */
  @Override
  public synchronized void destroy() {
    destroyed = true;
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Same as {@link #destroy()}, for try-with-resources. */
  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return destroyed ? "KeyMaterial[destroyed]" : "KeyMaterial[256 bits, redacted]";
  }

  /**
   * The token that every read of raw key bytes out of a {@link KeyMaterial} must present, after Tink's
   * {@code SecretKeyAccess}. It protects nothing by itself: its point is that each place where key bytes leave a
   * {@code KeyMaterial} names {@link #insecure()}, so a review finds every one of them with one search, and an
   * accidental {@code copyBytes()} does not compile.
   *
   * <p>Immutable; thread-safe.
   */
  public static final class KeyAccess {
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
}
