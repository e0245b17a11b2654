package dev.kmsengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void lifecycle() {
    try (TestCluster t = new TestCluster()) {
      UUID cfg = t.enabledConfig("svm1", "c1", TestCluster.KEY_1);
      for (int i = 0; i < 10; i++) {
        t.volume("svm1", "v" + i);
      }
      t.engine.rebootNode("node2");
      assertTrue(!t.engine.kekAvailability(cfg).clusterState());
      t.succeed(t.engine.restore(cfg));
      assertTrue(t.engine.kekAvailability(cfg).clusterState());
      t.succeed(t.engine.rekeyInternal(cfg));
      assertEquals(10, t.engine.nodes().get(1).veks());
    }
  }
}
