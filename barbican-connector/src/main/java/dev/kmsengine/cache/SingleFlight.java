package dev.kmsengine.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Single-flight loading into a Caffeine {@link AsyncCache}, shared by the connector's token and KEK caches: however
 * many threads ask for a missing key at once, one of them loads it and the others wait for its answer. Failures are
 * not cached; the next caller loads again.
 *
 * <p>Why not {@code AsyncCache.get(key, mappingFunction)}: the loading caller runs the load on its own thread (its
 * future is registered first, then completed), so a slow Keystone or Barbican never holds a lock that unrelated keys
 * need, and no executor thread is tied up waiting on the network.
 */
public final class SingleFlight {
  /**
   * Loads a value on a miss.
   *
   * @param <V> the value type
   */
  @FunctionalInterface
  public interface Loader<V> {
    /**
     * Loads the value.
     *
     * @return the value
     * @throws KekException if the source refuses or cannot be reached
     */
    V load() throws KekException;
  }

  private SingleFlight() {}

  /**
   * The value cached for {@code key}, loading it through {@code loader} on this thread if no one else is.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param cache the cache
   * @param key the key
   * @param loader what loads the value on a miss
   * @param what what is loaded, for messages: {@code "the KEK"}, {@code "a Keystone token"}
   * @return the cached or loaded value
   * @throws KekException what {@code loader} threw, as a fresh exception for each waiting caller (so each stack
   *     trace shows where its caller was), or {@link KekFailure#UNREACHABLE} if interrupted while waiting
   */
  public static <K, V> V get(AsyncCache<K, V> cache, K key, Loader<V> loader, String what) throws KekException {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> existing = cache.asMap().putIfAbsent(key, mine);
    if (existing == null) {
      try {
        mine.complete(loader.load());
      } catch (KekException | RuntimeException e) {
        cache.asMap().remove(key, mine);
        mine.completeExceptionally(e);
      }
    }
    try {
      return (existing == null ? mine : existing).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KekException(KekFailure.UNREACHABLE, "interrupted while waiting for " + what, e);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof KekException k) {
        throw new KekException(k.failure(), k.getMessage(), k);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new KekException(KekFailure.UNREACHABLE, "loading " + what + " failed", cause);
    }
  }
}
