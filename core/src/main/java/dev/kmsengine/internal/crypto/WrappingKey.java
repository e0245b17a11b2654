package dev.kmsengine.internal.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import java.lang.ref.WeakReference;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.DestroyFailedException;
import javax.security.auth.Destroyable;

/**
 * An AES-256-GCM key that wraps and unwraps other 256-bit keys into the {@link WrappedKeyFormat} blob, binding each
 * to its place in the hierarchy through {@link KeyBinding} associated data.
 *
 * <p>The top-level KEK wraps SVM-KEKs; an SVM-KEK wraps VEKs. A blob unwraps only under the same key and the same
 * binding, so tampering, truncation and moving a blob to another volume, SVM or generation all fail closed.
 *
 * <h2>Performance</h2>
 * Every thread keeps one {@link Gcm} per wrapping key: a JDK AES cipher initialised once (no
 * {@code Cipher.getInstance} or {@code init} per operation) and the key's GHASH tables, built on first use and
 * shared by all threads ({@link GhashKey}). The {@code ...Into} paths write into caller-provided buffers and
 * allocate nothing; nonces are leased per thread (see {@link NonceSource#LEASED}). The AES itself is the JDK's
 * AES-NI intrinsic, faster here than BouncyCastle's table-based AES and free of its cache-timing exposure.
 *
 * <h2>Security</h2>
 * {@link #destroy()} zeroises the engine's copy of the key, its GHASH tables and every cipher state made for it
 * (each thread's and each {@link VekRewrapper}'s: running sums, memoised products of H, counters, nonce leases),
 * and drops their AES ciphers. A state whose thread has ended is zeroised as soon as another thread takes a state,
 * and a rewrapper's when it is closed, so the registry holds only states that can still be used. The JDK's own
 * internal copies (inside {@link SecretKeySpec} and the AES ciphers' key schedules) are released to the garbage
 * collector; Java 17 offers no way to wipe them (see {@code docs/security-model.md}). Nothing here prints key bytes.
 *
 * <h2>Thread safety</h2>
 * Wrapping and unwrapping are safe from any number of threads. {@code destroy} must not race with a wrap or unwrap
 * still in flight, as with {@link KeyMaterial}: one in flight may fail, or write derived values back after they
 * were cleared.
 */
public final class WrappingKey implements Destroyable, AutoCloseable {
  private final byte[] keyBytes;
  private final SecretKeySpec keySpec;
  private final NonceSource nonces;
  private final ThreadLocal<CipherState> states = ThreadLocal.withInitial(() -> register(Thread.currentThread()));
  /** Built on first use: a node may hold many SVM-KEKs it never wraps with. Guarded by {@code this}. */
  private GhashKey ghash;
  /** Every cipher state made for this key and not yet released, for {@link #destroy()}. Guarded by {@code this}. */
  private final List<Registered> live = new ArrayList<>();
  private volatile boolean destroyed;

  WrappingKey(KeyMaterial key, NonceSource nonces) {
    this.keyBytes = key.copyBytes(KeyAccess.insecure());
    this.keySpec = new SecretKeySpec(keyBytes, "AES");
    this.nonces = nonces;
  }

  /**
   * A wrapping key holding its own copy of {@code key}; the caller may destroy {@code key} afterwards.
   *
   * @param key the 32-byte key
   * @return the wrapping key
   */
  public static WrappingKey of(KeyMaterial key) {
    return new WrappingKey(key, NonceSource.LEASED);
  }

  /**
   * Wraps {@code key} for {@code binding}.
   *
   * @param key the key to wrap (a VEK or an SVM-KEK)
   * @param binding what the blob is for: its role, SVM, subject and generation, authenticated as associated data
   * @return a new {@value WrappedKeyFormat#LENGTH}-byte blob
   * @throws GeneralSecurityException if the JCE refuses the key or cipher
   */
  public byte[] wrap(KeyMaterial key, KeyBinding binding) throws GeneralSecurityException {
    byte[] out = new byte[WrappedKeyFormat.LENGTH];
    CipherState state = state();
    binding.writeTo(state.aad);
    wrapInto(state, binding.role(), KeyBytes.live(key), 0, out, 0);
    return out;
  }

  /**
   * Unwraps a blob made by {@link #wrap} for the same binding.
   *
   * @param blob the {@value WrappedKeyFormat#LENGTH}-byte blob
   * @param binding the binding it was wrapped for
   * @return the unwrapped key, which the caller must destroy when done
   * @throws MalformedBlobException if the blob has the wrong length, version or role
   * @throws javax.crypto.AEADBadTagException if it was tampered with, or wrapped under another key or binding
   */
  public KeyMaterial unwrap(byte[] blob, KeyBinding binding) throws GeneralSecurityException {
    checkShape(blob, 0, blob == null ? 0 : blob.length, binding.role());
    CipherState state = state();
    binding.writeTo(state.aad);
    byte[] plain = new byte[KeyMaterial.LENGTH];
    try {
      unwrapInto(state, blob, 0, plain, 0);
    } catch (GeneralSecurityException | RuntimeException e) {
      Arrays.fill(plain, (byte) 0);
      throw e;
    }
    return KeyBytes.adopt(plain);
  }

  /** This thread's cipher state for this key. */
  CipherState state() {
    checkLive();
    return states.get();
  }

  /**
   * A cipher state owned by the caller rather than by the current thread: a {@link VekRewrapper} holds its own, so
   * its hot loop does no {@link ThreadLocal} lookup and leaves no cipher behind in a pool thread's map when the
   * rekey ends. The caller must confine it to one thread at a time.
   */
  CipherState newState() {
    return register(null);
  }

  /** Zeroises a state from {@link #newState()} that its owner no longer needs, and forgets it. */
  synchronized void release(CipherState state) {
    live.removeIf(r -> r.state == state);
    state.destroy();
  }

  /**
   * A new state, registered for {@link #destroy()}; {@code owner} is the thread it belongs to, or null for one
   * that its owner {@linkplain #release releases}. States of ended threads are zeroised and forgotten here.
   */
  private synchronized CipherState register(Thread owner) {
    checkLive();
    if (ghash == null) {
      ghash = Gcm.subkey(keySpec);
    }
    live.removeIf(r -> {
      if (r.ended()) {
        r.state.destroy();
        return true;
      }
      return false;
    });
    CipherState state = new CipherState(new Gcm(keySpec, ghash));
    live.add(new Registered(state, owner == null ? null : new WeakReference<>(owner)));
    return state;
  }

  /** How many states {@link #destroy()} would zeroise now. */
  synchronized int liveStates() {
    return live.size();
  }

  /** A registered state and, for a thread's own state, its thread. */
  private record Registered(CipherState state, WeakReference<Thread> owner) {
    boolean ended() {
      if (owner == null) {
        return false;
      }
      Thread t = owner.get();
      return t == null || !t.isAlive();
    }
  }

  void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("wrapping key was destroyed");
    }
  }

  /**
   * Hot path: wraps 32 bytes at {@code key[keyOff]} into {@code out[outOff..outOff+62)} with the associated data
   * already written to {@code state.aad}. Allocates nothing.
   */
  void wrapInto(CipherState state, KeyRole role, byte[] key, int keyOff, byte[] out, int outOff)
      throws GeneralSecurityException {
    out[outOff] = WrappedKeyFormat.VERSION_1;
    out[outOff + 1] = role.id();
    nonces.next(state, out, outOff + WrappedKeyFormat.NONCE_OFFSET);
    state.gcm.seal(out, outOff + WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH,
        state.aad, 0, KeyBinding.LENGTH, key, keyOff, KeyMaterial.LENGTH,
        out, outOff + WrappedKeyFormat.CIPHERTEXT_OFFSET);
  }

  /**
   * Hot path: unwraps the blob at {@code blob[blobOff]} (shape already checked) into 32 bytes at
   * {@code out[outOff]}, with the associated data already written to {@code state.aad}.
   */
  void unwrapInto(CipherState state, byte[] blob, int blobOff, byte[] out, int outOff)
      throws GeneralSecurityException {
    state.gcm.open(blob, blobOff + WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH,
        state.aad, 0, KeyBinding.LENGTH, blob, blobOff + WrappedKeyFormat.CIPHERTEXT_OFFSET,
        KeyMaterial.LENGTH + WrappedKeyFormat.TAG_LENGTH, out, outOff);
  }

  static void checkShape(byte[] blob, int off, int len, KeyRole expected) throws MalformedBlobException {
    if (blob == null || len != WrappedKeyFormat.LENGTH || off < 0 || off + len > blob.length) {
      throw new MalformedBlobException("wrapped key must be " + WrappedKeyFormat.LENGTH + " bytes");
    }
    if (blob[off] != WrappedKeyFormat.VERSION_1) {
      throw new MalformedBlobException("unknown wrapped key format version " + (blob[off] & 0xff));
    }
    if (blob[off + 1] != expected.id()) {
      throw new MalformedBlobException("wrapped key role byte " + (blob[off + 1] & 0xff) + " is not " + expected);
    }
  }

  /**
   * Zeroises this object's copy of the key, its GHASH tables and every cipher state made for it; later use throws
   * {@link IllegalStateException}. Idempotent.
   */
  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(keyBytes, (byte) 0);
    synchronized (this) {
      if (ghash != null) {
        ghash.destroy();
      }
      for (Registered r : live) {
        r.state.destroy();
      }
      live.clear();
    }
    // Other threads' maps still reference their (now zeroised) states until this key is collected.
    states.remove();
    try {
      keySpec.destroy();
    } catch (DestroyFailedException e) {
      // Java 17's SecretKeySpec cannot be destroyed; its copy is left to the garbage collector (see class doc).
    }
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Same as {@link #destroy()}. */
  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return destroyed ? "WrappingKey[AES-256-GCM, destroyed]" : "WrappingKey[AES-256-GCM, redacted]";
  }
}
