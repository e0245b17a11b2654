package dev.kmsengine.barbican;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kmsengine.cache.SingleFlight;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Top-level KEKs by node and target, for a bounded time, so that a rekey of many VEKs fetches the KEK once per
 * node. Loading is single-flight ({@link SingleFlight}), like the token cache. An evicted or invalidated key is zeroised; callers get
 * copies they own.
 */
final class KekCache {
  /** Fetches a key on a miss. */
  @FunctionalInterface
  interface Source {
    KeyMaterial fetch() throws KekException;
  }

  record Key(String node, Target target) {}

  private final AsyncCache<Key, KeyMaterial> cache;

  KekCache(Clock clock, Duration ttl, long maximumSize) {
    this.cache = Caffeine.newBuilder()
        .maximumSize(maximumSize)
        .expireAfterWrite(ttl)
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
        .executor(Runnable::run)
        .<Key, KeyMaterial>removalListener((k, v, cause) -> {
          if (v != null) {
            v.destroy();
          }
        })
        .buildAsync();
  }

  /** A copy of the cached key for {@code key}, loading it through {@code source} once if absent. */
  KeyMaterial get(Key key, Source source) throws KekException {
    KeyMaterial cached = SingleFlight.get(cache, key, source::fetch, "the KEK");
    try {
      return cached.duplicate();
    } catch (IllegalStateException evictedMeanwhile) {
      // Zeroised by an eviction between the lookup and the copy: fetch a copy of our own instead.
      return source.fetch();
    }
  }

  /** Drops (and zeroises) every key cached for {@code target}, on every node. */
  void invalidate(Target target) {
    cache.asMap().keySet().removeIf(k -> k.target().equals(target));
  }

  /** Drops (and zeroises) every key. */
  void invalidateAll() {
    cache.synchronous().invalidateAll();
  }

  long size() {
    return cache.synchronous().estimatedSize();
  }
}
