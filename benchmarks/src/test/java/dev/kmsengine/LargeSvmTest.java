package dev.kmsengine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.kek.InMemoryKeyProvider;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The bulk-populated SVM behind the rekey and restore benchmarks is an SVM the engine fully accepts. */
class LargeSvmTest {
  @Test
  void populate_thenRekeyAndRestore_everyVekSurvivesUnchanged() {
    try (LargeSvm s = new LargeSvm(3000, /* nodes= */ 2, /* parallelism= */ 2)) {
      List<VolumeInfo> volumes = s.engine.volumes(s.svm);
      assertEquals(3000, volumes.size());
      assertTrue(volumes.stream().allMatch(VolumeInfo::encrypted));
      Node first = s.engine.nodes.get(0);
      Map<UUID, byte[]> before = new HashMap<>();
      for (VolumeInfo v : volumes) {
        before.put(v.uuid(), first.vek(v.uuid()).clone());
      }
      long generation = s.engine.keyState(s.svm).generation();
      InMemoryKeyProvider keys = (InMemoryKeyProvider) s.kms.provider();
      long fetches = keys.fetchCount();

      s.rekey();
      assertEquals(fetches + 1, keys.fetchCount(), "one top-level KEK fetch per rekey, whatever the VEK count");
      assertEquals(generation + 1, s.engine.keyState(s.svm).generation());
      assertEquals(3000, s.engine.db.count(Records.veks(s.svm, generation + 1)));
      assertEquals(0, s.engine.db.count(Records.veks(s.svm, generation)));

      for (Node n : s.engine.nodes) {
        n.reboot();
      }
      s.restore();
      for (Node n : s.engine.nodes) {
        assertEquals(3000, n.vekCount());
        for (Map.Entry<UUID, byte[]> e : before.entrySet()) {
          assertArrayEquals(e.getValue(), n.vek(e.getKey()), "VEK of " + e.getKey() + " on " + n.name);
        }
      }
    }
  }
}
