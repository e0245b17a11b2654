package dev.kmsengine.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.Buckets;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.internal.engine.Node;
import dev.kmsengine.job.Job;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The bulk-populated SVM behind the rekey and restore benchmarks is an SVM the engine fully accepts. */
class LargeSvmTest {
  @Test
  void populate_thenRekeyAndRestore_everyVekSurvivesUnchanged() {
    try (LargeSvm s = new LargeSvm(3000, /* nodes= */ 2, /* parallelism= */ 2)) {
      List<VolumeInfo> volumes = s.engine.cluster().volumes(s.svm);
      assertEquals(3000, volumes.size());
      assertTrue(volumes.stream().allMatch(VolumeInfo::encrypted));
      Map<UUID, byte[]> before = veksOn(s, Engine.of(s.engine).state().nodes.get(0));
      assertEquals(3000, before.size());
      long generation = Engine.of(s.engine).state().keyState(s.svm).generation();
      InMemoryKeyProvider keys = (InMemoryKeyProvider) s.kms.provider();
      long fetches = keys.fetchCount();

      s.rekey();
      assertEquals(fetches + 1, keys.fetchCount(), "one top-level KEK fetch per rekey, whatever the VEK count");
      assertEquals(generation + 1, Engine.of(s.engine).state().keyState(s.svm).generation());
      assertEquals(3000, Engine.of(s.engine).state().db.count(Buckets.veks(s.svm, generation + 1)));
      assertEquals(0, Engine.of(s.engine).state().db.count(Buckets.veks(s.svm, generation)));

      rebootRestoreAndAssertEveryNodeHolds(s, before);
    }
  }

  @Test
  void rekeyOfSeveralStagingPages_twoWorkersStaging_everyVekRewrappedExactlyOnce() {
    // 150,000 VEKs are three pages of 65,536: the workers stage them as they go rather than this thread at the end.
    int count = 150_000;
    try (LargeSvm s = new LargeSvm(count, /* nodes= */ 1, /* parallelism= */ 2)) {
      Map<UUID, byte[]> before = veksOn(s, Engine.of(s.engine).state().nodes.get(0));
      assertEquals(count, before.size());
      long generation = Engine.of(s.engine).state().keyState(s.svm).generation();

      s.rekey();
      assertEquals(generation + 1, Engine.of(s.engine).state().keyState(s.svm).generation());
      assertEquals(count, Engine.of(s.engine).state().db.count(Buckets.veks(s.svm, generation + 1)));
      assertEquals(List.of(Buckets.veks(s.svm, generation + 1)),
          Engine.of(s.engine).state().db.buckets(Buckets.vekPrefix(s.svm)));

      rebootRestoreAndAssertEveryNodeHolds(s, before);
    }
  }

  @Test
  void rekeyOfSeveralPages_withUnencryptedVolumesToCount_stagesEveryPageOnce() {
    // Unencrypted volumes make the rekey count the encrypted ones while the workers rewrap. The count is slowed
    // down here (the pass over the volume records sleeps first), so pages finish during it: they are parked and
    // must be staged after it, every one of them.
    int count = 150_000;
    AtomicReference<String> slowBucket = new AtomicReference<>();
    AtomicInteger slowed = new AtomicInteger();
    InMemoryClusterDatabase inner = new InMemoryClusterDatabase();
    ClusterDatabase db = (ClusterDatabase) Proxy.newProxyInstance(ClusterDatabase.class.getClassLoader(),
        new Class<?>[] {ClusterDatabase.class}, (proxy, method, args) -> {
          // Either kind of pass (forEach, forEachEntry) over the volume records.
          if (method.getName().startsWith("forEach") && args[0].equals(slowBucket.get())) {
            slowed.incrementAndGet();
            Thread.sleep(500);
          }
          try {
            return method.invoke(inner, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (LargeSvm s = new LargeSvm(count, /* nodes= */ 1, /* parallelism= */ 2, LargeSvm.Kms.inMemory(), db)) {
      for (int i = 0; i < 3; i++) {
        s.succeed(s.engine.cluster().createVolume(null, s.svm, "plain" + i, false));
      }
      slowBucket.set(Buckets.volumes(s.svm));
      long generation = Engine.of(s.engine).state().keyState(s.svm).generation();
      s.rekey();
      assertEquals(1, slowed.get(), "the rekey made one slowed pass over the volume records");
      assertEquals(generation + 1, Engine.of(s.engine).state().keyState(s.svm).generation());
      assertEquals(count, Engine.of(s.engine).state().db.count(Buckets.veks(s.svm, generation + 1)));
      Map<UUID, byte[]> before = veksOn(s, Engine.of(s.engine).state().nodes.get(0));
      assertEquals(count, before.size());
      slowBucket.set(null);
      rebootRestoreAndAssertEveryNodeHolds(s, before);
    }
  }

  @Test
  void rekeyFailingInItsLastPage_afterWorkersStagedOthers_leavesOldGenerationWholeAndNothingStaged() {
    int count = 150_000;
    try (LargeSvm s = new LargeSvm(count, /* nodes= */ 1, /* parallelism= */ 2)) {
      long generation = Engine.of(s.engine).state().keyState(s.svm).generation();
      String current = Buckets.veks(s.svm, generation);
      // The last blob the store yields is the last one rewrapped, in the third page: by then the workers have
      // usually staged the other pages, which the failure must take back.
      UUID[] last = new UUID[1];
      byte[][] blob = new byte[1][];
      Engine.of(s.engine).state().db.forEach(current, (id, b) -> {
        last[0] = id;
        blob[0] = b;
      });
      byte[] tampered = blob[0].clone();
      tampered[tampered.length - 1] ^= 1;
      Engine.of(s.engine).state().db.commit(new WriteBatch().put(current, last[0], tampered));

      Job failed = s.engine.awaitJob(s.engine.barbican().rekeyInternal(s.config), Duration.ofMinutes(5));
      KmsException e = assertThrows(KmsException.class, failed::requireSuccess);
      assertEquals(ErrorCode.VEK_INVALID, e.errorCode());
      assertEquals(generation, Engine.of(s.engine).state().keyState(s.svm).generation());
      assertEquals(List.of(current), Engine.of(s.engine).state().db.buckets(Buckets.vekPrefix(s.svm)),
          "staged pages dropped");
      assertEquals(count, Engine.of(s.engine).state().db.count(current));
      assertArrayEquals(tampered, Engine.of(s.engine).state().db.get(current, last[0]), "the old blobs are untouched");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A copy of the VEK of every encrypted volume of the SVM, as {@code node} holds it. */
  private static Map<UUID, byte[]> veksOn(LargeSvm s, Node node) {
    Map<UUID, byte[]> veks = new HashMap<>();
    for (VolumeInfo v : s.engine.cluster().volumes(s.svm)) {
      if (v.encrypted()) {
        veks.put(v.uuid(), node.vek(v.uuid()).clone());
      }
    }
    return veks;
  }

  /** Reboots every node, restores, and asserts that each node holds exactly {@code veks}. */
  private static void rebootRestoreAndAssertEveryNodeHolds(LargeSvm s, Map<UUID, byte[]> veks) {
    for (Node n : Engine.of(s.engine).state().nodes) {
      n.reboot();
    }
    s.restore();
    for (Node n : Engine.of(s.engine).state().nodes) {
      assertEquals(veks.size(), n.vekCount(), n.name);
      for (Map.Entry<UUID, byte[]> e : veks.entrySet()) {
        assertArrayEquals(e.getValue(), n.vek(e.getKey()), "VEK of " + e.getKey() + " on " + n.name);
      }
    }
  }
}
