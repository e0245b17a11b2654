package dev.kmsengine.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/** Heap in use after full collections: how much a structure retains, measured from outside it. */
final class HeapProbe {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private HeapProbe() {}

  /**
   * Bytes of heap in use after collecting garbage until the figure settles. {@code System.gc()} is a full
   * collection with G1 unless {@code -XX:+ExplicitGCInvokesConcurrent} is set, which the benchmarks never set.
   */
  static long retainedBytes() {
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      long used = MEMORY.getHeapMemoryUsage().getUsed();
      if (Math.abs(last - used) < 1 << 20) {
        return used;
      }
      last = used;
    }
    return last;
  }
}
