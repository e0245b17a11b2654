package dev.kmsengine.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * When an idempotent request is sent again: after a connection error, a timeout or a 5xx answer, with
 * exponential backoff and jitter, while both the attempt count and the time budget allow. TLS failures, proxy
 * refusals and 4xx answers are never retried.
 *
 * @param maxAttempts the most attempts per request, at least 1
 * @param initialBackoff the pause before the second attempt, before jitter
 * @param maxBackoff the longest pause
 * @param budget the time after which no new attempt starts
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration budget) {
  /** Three attempts, 200 ms doubling up to 2 s, within 30 s. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(30));

  /** A single attempt. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);

  /**
   * Checks the values.
   *
   * @param maxAttempts the most attempts per request, at least 1
   * @param initialBackoff the pause before the second attempt, before jitter
   * @param maxBackoff the longest pause
   * @param budget the time after which no new attempt starts
   * @throws IllegalArgumentException if {@code maxAttempts} is below 1 or a duration is negative
   */
  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts < 1");
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff == null");
    Objects.requireNonNull(maxBackoff, "maxBackoff == null");
    Objects.requireNonNull(budget, "budget == null");
    if (initialBackoff.isNegative() || maxBackoff.isNegative() || budget.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
  }

  /**
   * The pause before attempt {@code attempt + 1}: the doubled backoff, capped, times a random factor in
   * [0.5, 1.0) so that many clients failing together do not retry together.
   */
  long backoffMillis(int attempt, double random) {
    long base = initialBackoff.toMillis();
    for (int i = 1; i < attempt && base < maxBackoff.toMillis(); i++) {
      base *= 2;
    }
    base = Math.min(base, maxBackoff.toMillis());
    return (long) (base * (0.5 + random / 2));
  }
}
