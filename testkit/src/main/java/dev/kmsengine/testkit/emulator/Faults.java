package dev.kmsengine.testkit.emulator;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The faults currently injected into the emulated servers. */
final class Faults {
  volatile Duration latency = Duration.ZERO;
  final AtomicInteger keystoneFailures = new AtomicInteger();
  volatile int keystoneFailureStatus = 503;
  final AtomicInteger barbicanFailures = new AtomicInteger();
  volatile int barbicanFailureStatus = 503;
  final AtomicInteger rejectedTokens = new AtomicInteger();

  void delay() {
    Duration d = latency;
    if (!d.isZero()) {
      try {
        Thread.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Takes one injected failure from {@code counter}, if any is left. */
  static boolean take(AtomicInteger counter) {
    return counter.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0;
  }
}
