package dev.kmsengine.keystone;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.kmsengine.cache.SingleFlight;
import dev.kmsengine.kek.KekException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keystone tokens by {@link TokenKey}, renewed before they expire, with single-flight loading ({@link SingleFlight}):
 * however many threads ask for a missing or stale token at once, one of them asks Keystone on its own thread and
 * the others wait for its answer. Failures are not cached; the next caller asks again. Entries leave the cache when
 * their token expires on the injected clock.
 */
public final class TokenCache {
  /** Fetches a token on a cache miss. */
  @FunctionalInterface
  public interface Source {
    /**
     * Asks Keystone for a token.
     *
     * @return a fresh token
     * @throws KekException if Keystone refuses or cannot be reached
     */
    Token fetch() throws KekException;
  }

  private final Clock clock;
  private final Duration margin;
  private final AsyncCache<TokenKey, Token> cache;

  /**
   * A cache of at most {@code maximumSize} tokens, renewed {@code margin} before they expire.
   *
   * @param clock the clock that decides when a token is due
   * @param margin how long before expiry a token is renewed; not negative
   * @param maximumSize the most tokens kept
   * @throws IllegalArgumentException if {@code margin} is negative
   */
  public TokenCache(Clock clock, Duration margin, long maximumSize) {
    this.clock = Objects.requireNonNull(clock, "clock == null");
    this.margin = Objects.requireNonNull(margin, "margin == null");
    if (margin.isNegative()) {
      throw new IllegalArgumentException("margin < 0");
    }
    this.cache = Caffeine.newBuilder()
        .maximumSize(maximumSize)
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
        .executor(Runnable::run)
        .expireAfter(new UntilExpiry(clock))
        .buildAsync();
  }

  /**
   * A token for {@code key} that is not due for renewal, from the cache or from {@code source}.
   *
   * @param key the credential and Keystone URL the token is for
   * @param source what fetches a token on a miss; concurrent callers for one key share one fetch
   * @return a cached or fresh token that is not due for renewal
   * @throws KekException what {@code source} threw, to every caller that waited for it
   */
  public Token get(TokenKey key, Source source) throws KekException {
    for (int round = 0; ; round++) {
      Token t = load(key, source);
      // A token fetched in this call is used even if due (a lifetime shorter than the margin), never refetched twice.
      if (round > 0 || clock.instant().isBefore(t.refreshAt(margin))) {
        return t;
      }
      invalidate(key, t);
    }
  }

  private Token load(TokenKey key, Source source) throws KekException {
    return SingleFlight.get(cache, key, source::fetch, "a Keystone token");
  }

  /**
   * Drops {@code stale} for {@code key}, if it is still the cached token: after Barbican rejected it. A token
   * that another thread has already replaced stays.
   *
   * @param key the credential and Keystone URL the token is for
   * @param stale the token Barbican rejected
   */
  public void invalidate(TokenKey key, Token stale) {
    CompletableFuture<Token> f = cache.getIfPresent(key);
    if (f != null && f.isDone() && !f.isCompletedExceptionally() && f.join() == stale) {
      cache.asMap().remove(key, f);
    }
  }

  /**
   * Drops whatever is cached for {@code key}.
   *
   * @param key the credential and Keystone URL the token is for
   */
  public void invalidate(TokenKey key) {
    cache.synchronous().invalidate(key);
  }

  /** Drops every token. */
  public void invalidateAll() {
    cache.synchronous().invalidateAll();
  }

  /**
   * How many tokens are cached.
   *
   * @return the approximate number of cached tokens
   */
  public long size() {
    return cache.synchronous().estimatedSize();
  }

  @Override
  public String toString() {
    return "TokenCache[" + size() + " tokens, margin " + margin.toSeconds() + " s]";
  }

  /** An entry lives until its token expires. */
  private static final class UntilExpiry implements Expiry<TokenKey, Token> {
    private final Clock clock;

    UntilExpiry(Clock clock) {
      this.clock = clock;
    }

    private long left(Token t) {
      return Math.max(0, Duration.between(clock.instant(), t.expiresAt()).toNanos());
    }

    @Override
    public long expireAfterCreate(TokenKey key, Token value, long currentTime) {
      return left(value);
    }

    @Override
    public long expireAfterUpdate(TokenKey key, Token value, long currentTime, long currentDuration) {
      return left(value);
    }

    @Override
    public long expireAfterRead(TokenKey key, Token value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
