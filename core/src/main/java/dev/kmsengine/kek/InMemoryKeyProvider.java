package dev.kmsengine.kek;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.Secret;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link TopLevelKeyProvider} that holds its keys and credentials in memory: for unit tests of code that embeds
 * the engine, and for the engine's own tests. It behaves like Barbican and Keystone in the ways the engine can
 * observe: unknown credentials fail with {@link KekFailure#AUTHENTICATION}, unknown or deleted keys with
 * {@link KekFailure#KEY_NOT_FOUND}, and a node can be cut off ({@link KekFailure#UNREACHABLE}).
 *
 * <p>Keys are addressed by {@code key_id} with any trailing {@code /} removed, as the connector does.
 * Thread-safe.
 */
public final class InMemoryKeyProvider implements TopLevelKeyProvider {
  private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
  private final Map<String, Secret> credentials = new ConcurrentHashMap<>();
  private final Set<String> cutOff = ConcurrentHashMap.newKeySet();
  private final Map<String, KekFailure> injected = new ConcurrentHashMap<>();
  private final AtomicLong fetches = new AtomicLong();
  private final AtomicLong checks = new AtomicLong();
  private final Set<UUID> invalidated = ConcurrentHashMap.newKeySet();

  /** A provider with no key and no credential yet. */
  public InMemoryKeyProvider() {}

  /**
   * Adds an application credential that may fetch every key.
   *
   * @param id the credential id
   * @param secret the credential secret
   * @return this provider
   */
  public InMemoryKeyProvider addCredential(String id, Secret secret) {
    credentials.put(Objects.requireNonNull(id), Objects.requireNonNull(secret));
    return this;
  }

  /**
   * Creates a random AES-256 key at {@code keyId} and returns the URL to configure.
   *
   * @param keyId the key's URL, the {@code key_id} of a configuration
   * @return {@code keyId}
   */
  public String createKey(String keyId) {
    byte[] b = new byte[KeyMaterial.LENGTH];
    Randomness.secureRandom().nextBytes(b);
    keys.put(normalise(keyId), b);
    return keyId;
  }

  /**
   * Stores {@code key} (a copy) at {@code keyId}; any length, so tests can store wrong-sized keys.
   *
   * @param keyId the key's URL
   * @param key the key bytes
   * @return this provider
   */
  public InMemoryKeyProvider putKey(String keyId, byte[] key) {
    keys.put(normalise(keyId), key.clone());
    return this;
  }

  /**
   * Deletes a key, as deleting a Barbican secret would.
   *
   * @param keyId the key's URL; an unknown one is ignored
   */
  public void deleteKey(String keyId) {
    byte[] old = keys.remove(normalise(keyId));
    if (old != null) {
      java.util.Arrays.fill(old, (byte) 0);
    }
  }

  /**
   * Cuts {@code node} off from Barbican (true) or reconnects it (false).
   *
   * @param node the node's name
   * @param value {@code true} to cut the node off, {@code false} to reconnect it
   */
  public void cutOff(String node, boolean value) {
    if (value) {
      cutOff.add(node);
    } else {
      cutOff.remove(node);
    }
  }

  /**
   * Makes every call from {@code node} fail with {@code failure}; {@code null} clears it.
   *
   * @param node the node's name
   * @param failure the reason every call fails with, or {@code null} to stop failing
   */
  public void inject(String node, KekFailure failure) {
    if (failure == null) {
      injected.remove(node);
    } else {
      injected.put(node, failure);
    }
  }

  /**
   * How many times {@link #fetchKey} was called.
   *
   * @return the number of {@code fetchKey} calls so far, failed ones included
   */
  public long fetchCount() {
    return fetches.get();
  }

  /**
   * How many times {@link #checkReachability} was called.
   *
   * @return the number of {@code checkReachability} calls so far, failed ones included
   */
  public long checkCount() {
    return checks.get();
  }

  /**
   * Whether {@link #invalidate} was called for {@code configuration}.
   *
   * @param configuration the configuration's uuid
   * @return {@code true} once the engine dropped cached state for it
   */
  public boolean wasInvalidated(UUID configuration) {
    return invalidated.contains(configuration);
  }

  @Override
  public KeyMaterial fetchKey(String node, BarbicanConnection c) throws KekException {
    fetches.incrementAndGet();
    byte[] key = authorise(node, c);
    if (key.length != KeyMaterial.LENGTH) {
      throw new KekException(KekFailure.WRONG_KEY_TYPE,
          "GET " + c.keyId() + "/payload returned " + key.length + " bytes, not a 256-bit AES key");
    }
    return KeyMaterial.copyOf(key);
  }

  @Override
  public void checkReachability(String node, BarbicanConnection c) throws KekException {
    checks.incrementAndGet();
    authorise(node, c);
  }

  private byte[] authorise(String node, BarbicanConnection c) throws KekException {
    if (cutOff.contains(node)) {
      throw new KekException(KekFailure.UNREACHABLE, "node " + node + " cannot connect to " + host(c.keystoneUrl()));
    }
    KekFailure forced = injected.get(node);
    if (forced != null) {
      throw new KekException(forced, "injected " + forced + " for node " + node);
    }
    Secret expected = credentials.get(c.applicationCredId());
    if (expected == null || !expected.equals(c.applicationCredSecret())) {
      throw new KekException(KekFailure.AUTHENTICATION,
          "Keystone POST " + c.keystoneUrl() + " returned 401: the application credential was rejected");
    }
    byte[] key = keys.get(normalise(c.keyId()));
    if (key == null) {
      throw new KekException(KekFailure.KEY_NOT_FOUND, "Barbican GET " + normalise(c.keyId()) + " returned 404");
    }
    return key;
  }

  @Override
  public void invalidate(UUID configurationUuid) {
    invalidated.add(configurationUuid);
  }

  private static String normalise(String keyId) {
    String k = keyId.trim();
    while (k.endsWith("/")) {
      k = k.substring(0, k.length() - 1);
    }
    return k;
  }

  private static String host(String url) {
    try {
      return java.net.URI.create(url).getHost();
    } catch (IllegalArgumentException e) {
      return "the key manager";
    }
  }

  @Override
  public String toString() {
    return "InMemoryKeyProvider[keys=" + keys.size() + ", credentials=" + credentials.size() + "]";
  }
}
