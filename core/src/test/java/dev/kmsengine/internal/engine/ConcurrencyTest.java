package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static dev.kmsengine.internal.engine.TestCluster.KEY_2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.job.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {
  @Test
  void operationsOnSeveralSvms_runConcurrently_andReadersNeverSeeAHalfDoneRekey() throws Exception {
    try (TestCluster t = new TestCluster()) {
      UUID c1 = t.enabledConfig("svm1", "c1", KEY_1);
      UUID c2 = t.enabledConfig("svm2", "c2", KEY_2);
      UUID svm1 = t.svmUuid("svm1");
      List<UUID> volumes1 = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        volumes1.add(t.volume("svm1", "a" + i));
      }
      for (UUID v : volumes1) {
        t.engine.cluster().writeBlock("node1", v, 0, v.toString().getBytes());
      }

      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<String> violation = new AtomicReference<>();
      AtomicInteger observations = new AtomicInteger();
      Thread reader = new Thread(() -> {
        while (!stop.get()) {
          long before = Engine.of(t.engine).state.keyState(svm1).generation();
          int blobs = Engine.of(t.engine).state.db.count(Buckets.veks(svm1, before));
          long after = Engine.of(t.engine).state.keyState(svm1).generation();
          if (before == after && blobs != 300) {
            violation.compareAndSet(null, "generation " + before + " had " + blobs + " blobs");
          }
          observations.incrementAndGet();
        }
      });
      reader.start();

      // Submit everything at once: svm1 rekeys 5 times while svm2 creates volumes and rekeys in between.
      List<Job> jobs = new ArrayList<>();
      for (int round = 0; round < 5; round++) {
        jobs.add(t.engine.barbican().rekeyInternal(c1));
        for (int i = 0; i < 20; i++) {
          jobs.add(t.engine.cluster().createVolume("svm2", null, "b" + round + "-" + i, true));
        }
        jobs.add(t.engine.barbican().rekeyInternal(c2));
      }
      jobs.forEach(t::succeed);
      stop.set(true);
      reader.join();

      assertEquals(null, violation.get());
      assertTrue(observations.get() > 0);
      assertEquals(6, Engine.of(t.engine).state.keyState(svm1).generation());
      assertEquals(6, Engine.of(t.engine).state.keyState(t.svmUuid("svm2")).generation());
      assertEquals(100, t.engine.cluster().volumes(t.svmUuid("svm2")).size());
      for (UUID v : volumes1) {
        assertArrayEquals(v.toString().getBytes(), t.engine.cluster().readBlock("node4", v, 0));
      }
    }
  }
}
