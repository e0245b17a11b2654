package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An engine that hosts only some of the cluster's nodes, on a single-process database: the other nodes belong to
 * processes that cannot exist here, so they are remote and down. (Two live engines on etcd: cluster-etcd's
 * {@code MultiProcessEngineTest}.)
 */
class LocalNodesTest {
  private static final ClusterSpec SPEC = ClusterSpec.builder("cluster1").nodeCount(4).dataSvms("svm1").build();

  private final TestCluster t = new TestCluster(KmsEngine.builder(SPEC).localNodes(List.of("node2", "node1"))
      .endpoint("https://sim-a.example:8443"));

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void builder_refusesNoLocalNodeAndANodeOutsideTheSpec() {
    assertThrows(IllegalArgumentException.class, () -> KmsEngine.builder(SPEC).localNodes(List.of()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KmsEngine.builder(SPEC).localNodes(List.of("node1", "node9")));
    assertTrue(e.getMessage().contains("node9"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> KmsEngine.builder(SPEC).endpoint(" "));
  }

  @Test
  void defaultEngine_hostsEveryNode_underItsProcessEndpoint() {
    try (TestCluster all = new TestCluster()) {
      List<NodeInfo> nodes = all.engine.cluster().nodes();
      assertTrue(nodes.stream().allMatch(NodeInfo::local));
      String endpoint = nodes.get(0).endpoint().orElseThrow();
      assertEquals(ProcessHandle.current().pid(), Long.parseLong(endpoint.substring(0, endpoint.indexOf('@'))));
    }
  }

  @Test
  void nodes_listEveryNodeInClusterOrder_theRemoteOnesDownWithoutEndpoint() {
    List<NodeInfo> nodes = t.engine.cluster().nodes();

    assertEquals(SPEC.nodes(), nodes.stream().map(NodeInfo::name).toList());
    assertEquals(List.of(true, true, false, false), nodes.stream().map(NodeInfo::local).toList());
    assertEquals(Optional.of("https://sim-a.example:8443"), nodes.get(0).endpoint());
    assertFalse(nodes.get(2).up());
    assertEquals(Optional.empty(), nodes.get(2).endpoint());
  }

  @Test
  void blockIoAndControls_onARemoteNode_answerRemoteNode_andAnUnknownNodeStaysNotFound() {
    t.enabledConfig("svm1", "c", KEY_1);
    UUID volume = t.volume("svm1", "v");

    KmsException read = assertThrows(KmsException.class, () -> t.engine.cluster().readBlock("node3", volume, 0));
    KmsException write = assertThrows(KmsException.class,
        () -> t.engine.cluster().writeBlock("node4", volume, 0, new byte[1]));
    KmsException reboot = assertThrows(KmsException.class, () -> t.engine.cluster().rebootNode("node3"));
    KmsException up = assertThrows(KmsException.class, () -> t.engine.cluster().setNodeUp("node4", true));
    KmsException unknown = assertThrows(KmsException.class, () -> t.engine.cluster().rebootNode("node9"));

    for (KmsException e : List.of(read, write, reboot, up)) {
      assertEquals(ErrorCode.REMOTE_NODE, e.errorCode());
      assertEquals("node", e.target());
    }
    assertTrue(read.getMessage().contains("node3") && read.getMessage().contains("not running"), read.getMessage());
    assertEquals(ErrorCode.ENTRY_NOT_FOUND, unknown.errorCode());
    t.engine.cluster().writeBlock("node1", volume, 0, new byte[] {7});
    assertEquals(7, t.engine.cluster().readBlock("node2", volume, 0)[0]);
  }

  @Test
  void stateReportAndRestore_reportTheRemoteNodesAsDown_theLocalOnesAsTheyAre() throws Exception {
    UUID config = t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "v");

    KekAvailability k = t.engine.barbican().kekAvailability(config);
    Job restore = t.engine.awaitJob(t.engine.barbican().restore(config), Duration.ofSeconds(60));

    assertFalse(k.clusterState());
    assertEquals(SPEC.nodes(), k.nodes().stream().map(NodeStatus::node).toList());
    assertEquals(List.of(true, true, false, false), k.nodes().stream().map(NodeStatus::ok).toList());
    assertTrue(k.nodes().get(2).message().contains("down"), k.nodes().get(2).message());
    assertEquals(JobState.FAILURE, restore.state());
    assertEquals(List.of(true, true, false, false), restore.nodes().stream().map(NodeStatus::ok).toList());
    assertEquals(Optional.of(ErrorCode.RESTORE_FAILED), restore.nodes().get(3).error());
  }
}
