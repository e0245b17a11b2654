package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.keystore.Keystore.Reachability;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RestoreTest {
  private final TestCluster t = new TestCluster();

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void restore_withOneNodeUnreachable_reportsPerNode_thenCompletesWhenItIsBack() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    UUID v = t.volume("svm1", "v");
    t.engine.cluster().writeBlock("node1", v, 0, "x".getBytes());
    UUID svm = t.svmUuid("svm1");
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    t.provider.cutOff("node3", true);

    Job failed = Expect.failedJob(ErrorCode.RESTORE_FAILED, t.await(t.engine.barbican().restore(c)));

    assertEquals(4, failed.nodes().size());
    for (NodeStatus s : failed.nodes()) {
      assertEquals(!s.node().equals("node3"), s.ok(), s.toString());
    }
    NodeStatus node3 = failed.nodes().get(2);
    assertEquals(Optional.of(ErrorCode.UNREACHABLE), node3.error());
    assertTrue(node3.message().contains("node3"), node3.message());
    assertTrue(failed.message().contains("Node: node3."), failed.message());
    assertNull(Engine.of(t.engine).state.nodes.get(2).svmKek(svm));
    assertArrayEquals("x".getBytes(), t.engine.cluster().readBlock("node4", v, 0),
        "the nodes that succeeded have keys");
    Expect.error(ErrorCode.VEK_NOT_LOADED, "node", () -> t.engine.cluster().readBlock("node3", v, 0));
    KekAvailability state = t.engine.barbican().kekAvailability(c);
    assertFalse(state.clusterState());
    assertTrue(state.message().contains("Node: node3. Reason:"), state.message());
    assertFalse(state.message().contains("node1"), state.message());

    t.provider.cutOff("node3", false);
    Job ok = t.succeed(t.engine.barbican().restore(c));
    assertTrue(ok.nodes().stream().allMatch(NodeStatus::ok));
    assertTrue(t.engine.barbican().kekAvailability(c).clusterState());
    assertEquals(Optional.empty(), t.engine.barbican().kekAvailability(c).error());
    assertArrayEquals("x".getBytes(), t.engine.cluster().readBlock("node3", v, 0));
  }

  @Test
  void restore_reportsADownNodeAsFailed() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "v");
    t.engine.cluster().setNodeUp("node2", false);
    Job failed = Expect.failedJob(ErrorCode.RESTORE_FAILED, t.await(t.engine.barbican().restore(c)));
    assertEquals("Node is down.", failed.nodes().get(1).message());
    t.engine.cluster().setNodeUp("node2", true);
    t.succeed(t.engine.barbican().restore(c));
  }

  @Test
  void restore_fetchesThroughEveryNodesOwnPath() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "v");
    long before = t.provider.fetchCount();
    t.succeed(t.engine.barbican().restore(c));
    assertEquals(4, t.provider.fetchCount() - before);
  }

  @Test
  void restore_beforeAnyVolume_checksEveryNodeAndSucceeds() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.succeed(t.engine.barbican().restore(c));
    KekAvailability a = t.engine.barbican().kekAvailability(c);
    assertFalse(a.clusterState());
    assertTrue(a.message().contains("No volumes created yet for the SVM"), a.message());
  }

  @Test
  void restoreAll_restoresEverySvmWithAnEnabledConfiguration() {
    UUID c1 = t.enabledConfig("svm1", "c", KEY_1);
    UUID c2 = t.enabledConfig("svm2", "c", KEY_1);
    t.volume("svm1", "a");
    t.volume("svm2", "b");
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    List<Job> jobs = t.engine.barbican().restoreAll();
    assertEquals(2, jobs.size());
    jobs.forEach(t::succeed);
    assertTrue(t.engine.barbican().kekAvailability(c1).clusterState(),
        () -> t.engine.barbican().kekAvailability(c1).toString());
    assertTrue(t.engine.barbican().kekAvailability(c2).clusterState(),
        () -> t.engine.barbican().kekAvailability(c2).toString());
  }

  @Test
  void reachability_allNodes_reachable() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    Reachability r = t.engine.barbican().reachability(c);
    assertTrue(r.reachable());
    assertEquals(Optional.empty(), r.error());
    assertEquals("", r.message());
    assertEquals(4, r.nodes().size());
  }

  @Test
  void reachability_oneNodeCutOff_namesTheFirstFailingNode() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    t.provider.cutOff("node2", true);
    t.provider.cutOff("node4", true);
    Reachability r = t.engine.barbican().reachability(c);
    assertFalse(r.reachable());
    assertEquals(Optional.of(ErrorCode.UNREACHABLE), r.error());
    assertTrue(r.message().startsWith("Barbican KMS is not reachable from all nodes - Node: node2. Reason: "),
        r.message());
    assertFalse(r.nodes().get(3).ok());
  }

  @Test
  void advancedProperties_ofUnknownConfiguration_fail65539832() {
    Expect.error(ErrorCode.CONFIG_NOT_FOUND, "uuid", () -> t.engine.barbican().reachability(UUID.randomUUID()));
    Expect.error(ErrorCode.CONFIG_NOT_FOUND, "uuid", () -> t.engine.barbican().kekAvailability(UUID.randomUUID()));
    Expect.error(ErrorCode.CONFIG_NOT_FOUND, "uuid", () -> t.engine.barbican().restore(UUID.randomUUID()));
  }

  @Test
  void kekAvailability_ofInactiveConfiguration_saysItIsNotEnabled() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    KekAvailability a = t.engine.barbican().kekAvailability(c);
    assertFalse(a.clusterState());
    assertTrue(a.message().contains("not enabled"));
  }
}
