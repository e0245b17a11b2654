package dev.kmsengine.kek;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.keystore.BarbicanConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * A {@link TopLevelKeyProvider} that answers like another one after a fixed per-call latency, as a node far from
 * Barbican would: restore benchmarks use it to show that the nodes' fetches overlap instead of adding up.
 *
 * <p>It stands in for the connector's Keystone/Barbican emulator with injected latency until that module is
 * merged (see {@code benchmarks/README.md}). Thread-safe if the delegate is.
 */
public final class DelayingKeyProvider implements TopLevelKeyProvider {
  private final TopLevelKeyProvider delegate;
  private final long delayNanos;

  /**
   * A provider that sleeps {@code delay} before each call to {@code delegate}.
   *
   * @param delegate the provider that answers
   * @param delay how long each call sleeps first
   */
  public DelayingKeyProvider(TopLevelKeyProvider delegate, Duration delay) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay < 0: " + delay);
    }
    this.delayNanos = delay.toNanos();
  }

  @Override
  public KeyMaterial fetchKey(String node, BarbicanConnection connection) throws KekException {
    pause();
    return delegate.fetchKey(node, connection);
  }

  @Override
  public void checkReachability(String node, BarbicanConnection connection) throws KekException {
    pause();
    delegate.checkReachability(node, connection);
  }

  @Override
  public void invalidate(UUID configurationUuid) {
    delegate.invalidate(configurationUuid);
  }

  private void pause() throws KekException {
    try {
      Thread.sleep(delayNanos / 1_000_000, (int) (delayNanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KekException(KekFailure.TIMEOUT, "interrupted while waiting for the simulated network");
    }
  }

  @Override
  public String toString() {
    return "DelayingKeyProvider[" + Duration.ofNanos(delayNanos) + ", " + delegate + "]";
  }
}
