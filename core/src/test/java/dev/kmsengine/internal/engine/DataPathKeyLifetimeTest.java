package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Restores back to back while two threads write blocks through a node and read each back: every block reads back.
 * Why: a restore reinstalls every VEK and zero-filled the node's old key array in place, while the data path was
 * sealing a block with that array, so acknowledged blocks were stored under an all-zero key and never read again.
 */
class DataPathKeyLifetimeTest {
  private static final int RESTORES = 1_500;

  @Test
  void restoresUnderConcurrentWrites_neverChangeTheKeyABlockIsSealedOrOpenedWith() throws Exception {
    Logger hierarchyLog = Logger.getLogger(KmsEngine.class.getPackageName());
    Level level = hierarchyLog.getLevel();
    hierarchyLog.setLevel(Level.WARNING);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (TestCluster t = new TestCluster(KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(2)
        .dataSvms("svm1").build()))) {
      UUID config = t.enabledConfig("svm1", "lifetime", KEY_1);
      UUID volume = t.volume("svm1", "v");
      AtomicBoolean restoring = new AtomicBoolean(true);
      AtomicInteger writes = new AtomicInteger();
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        long base = w * 1_000_000L;
        Random random = new Random(w);
        writers.add(pool.submit(() -> {
          for (long b = base; restoring.get(); b++) {
            byte[] data = new byte[64];
            random.nextBytes(data);
            t.engine.cluster().writeBlock("node1", volume, b, data);
            writes.incrementAndGet();
            if (!Arrays.equals(data, t.engine.cluster().readBlock("node2", volume, b))) {
              failures.add("block " + b);
            }
          }
          return null;
        }));
      }
      try {
        for (int i = 0; i < RESTORES; i++) {
          Engine.of(t.engine).restores.run(config, TestCluster.NO_REPORTS);
        }
      } finally {
        restoring.set(false);
      }
      for (Future<?> f : writers) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), List.copyOf(failures));
      assertTrue(writes.get() > 100, "writes raced the restores: " + writes);
    } finally {
      pool.shutdownNow();
      hierarchyLog.setLevel(level);
    }
  }
}
