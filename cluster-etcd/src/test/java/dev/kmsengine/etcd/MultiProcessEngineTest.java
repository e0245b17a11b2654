package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.Buckets;
import dev.kmsengine.internal.engine.TestCluster;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two engines in one JVM on one etcd namespace, each with a store client of its own and different local nodes:
 * the in-JVM form of two node processes. Engine A hosts node1 and node2, engine B node3 and node4; they share one
 * key provider, as processes share one Barbican.
 */
class MultiProcessEngineTest {
  private static final ClusterSpec SPEC = ClusterSpec.builder("cluster1").nodeCount(4).dataSvms("svm1").build();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private final InMemoryKeyProvider provider = TestCluster.newProvider();
  private final List<EtcdClusterDatabase> databases = new ArrayList<>();
  private final List<KmsEngine> engines = new ArrayList<>();
  private KmsEngine a;
  private KmsEngine b;

  @BeforeEach
  void twoProcesses() {
    a = engine("engine-a", "node1", "node2");
    b = engine("engine-b", "node3", "node4");
  }

  @AfterEach
  void close() {
    engines.forEach(KmsEngine::close);
    try {
      if (!databases.isEmpty()) {
        databases.get(0).deleteNamespace();
      }
    } finally {
      databases.forEach(EtcdClusterDatabase::close);
    }
  }

  private KmsEngine engine(String endpoint, String... nodes) {
    EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(Duration.ofSeconds(2)).open();
    databases.add(db);
    KmsEngine e = KmsEngine.builder(SPEC).database(db).keyProvider(provider).localNodes(List.of(nodes))
        .endpoint(endpoint).build();
    engines.add(e);
    return e;
  }

  @Test
  void rekeyInOneEngine_isInstalledOnTheOtherEnginesNodes_whichReadBlocksWrittenBefore() throws Exception {
    UUID cfg = enabledConfig(a);
    UUID volume = volume(a, "v1");
    byte[] before = bytes("written through node3 before the rekey");
    b.cluster().writeBlock("node3", volume, 0, before);
    await(() -> holdsOnEveryNode(b, cfg), "B's nodes hold generation 1 (the watch installed it)");

    succeed(a, a.barbican().rekeyInternal(cfg));

    await(() -> holdsOnEveryNode(b, cfg), "B's nodes hold the new generation");
    await(() -> holdsOnEveryNode(a, cfg), "A sees, through the published status, that B's nodes hold it");
    assertArrayEquals(before, b.cluster().readBlock("node3", volume, 0));
    assertArrayEquals(before, b.cluster().readBlock("node4", volume, 0));
    assertArrayEquals(before, a.cluster().readBlock("node1", volume, 0));
  }

  @Test
  void volumeCreatedInOneEngine_isReadableThroughTheOtherEnginesNode() throws Exception {
    enabledConfig(a);
    UUID first = volume(a, "v1");
    UUID second = volume(a, "v2");
    byte[] data = bytes("written through node1");
    a.cluster().writeBlock("node1", second, 7, data);

    assertArrayEquals(data, b.cluster().readBlock("node4", second, 7), "B's node loads the VEK on demand");
    b.cluster().writeBlock("node4", first, 1, data);
    assertArrayEquals(data, a.cluster().readBlock("node2", first, 1));
  }

  @Test
  void deletedVolume_isNotReadableThroughTheOtherEnginesNode_andItsVekLeavesThatNode() throws Exception {
    enabledConfig(a);
    UUID volume = volume(a, "v1");
    b.cluster().writeBlock("node3", volume, 0, bytes("x"));
    assertEquals(1, node(b, "node3").veks(), "loaded on the write");

    succeed(a, a.cluster().deleteVolume(volume));

    KmsException e = assertThrows(KmsException.class, () -> b.cluster().readBlock("node3", volume, 0));
    assertEquals(ErrorCode.ENTRY_NOT_FOUND, e.errorCode());
    assertEquals(0, node(b, "node3").veks(), "the deleted volume's VEK left the node");
  }

  @Test
  void restoreSubmittedToOneEngine_fillsTheOtherEnginesRebootedNode() throws Exception {
    UUID cfg = enabledConfig(a);
    UUID volume = volume(a, "v1");
    byte[] data = bytes("written through node1 before node3 rebooted");
    a.cluster().writeBlock("node1", volume, 0, data);
    b.cluster().rebootNode("node3");
    KmsException notLoaded = assertThrows(KmsException.class, () -> b.cluster().readBlock("node3", volume, 0));
    assertEquals(ErrorCode.VEK_NOT_LOADED, notLoaded.errorCode());
    await(() -> !holdsOnEveryNode(a, cfg), "A sees node3's empty key table");

    Job restore = succeed(a, a.barbican().restore(cfg));

    assertEquals(SPEC.nodes(), restore.nodes().stream().map(NodeStatus::node).toList(), "one result per node");
    assertTrue(restore.nodes().stream().allMatch(NodeStatus::ok), () -> restore.nodes().toString());
    assertArrayEquals(data, b.cluster().readBlock("node3", volume, 0));
    NodeInfo node3 = node(b, "node3");
    assertEquals(1, node3.svmKeks());
    assertEquals(1, node3.veks(), "the restore installed the VEK, not a block read");
  }

  @Test
  void restore_reportsARemoteNodeThatNoProcessHostsAsDown() throws Exception {
    UUID cfg = enabledConfig(a);
    volume(a, "v1");
    engines.remove(b);
    b.close();

    Job restore = a.awaitJob(a.barbican().restore(cfg), WAIT);

    assertEquals(JobState.FAILURE, restore.state());
    NodeStatus node3 = restore.nodes().stream().filter(s -> s.node().equals("node3")).findFirst().orElseThrow();
    assertEquals(Optional.of(ErrorCode.RESTORE_FAILED), node3.error());
    assertTrue(node3.message().contains("down"), node3.message());
    assertTrue(restore.nodes().stream().filter(s -> s.node().startsWith("node1")).allMatch(NodeStatus::ok));
  }

  @Test
  void remoteNode_showsUpWithItsEndpoint_andDownOnceItsEngineClosed() throws Exception {
    NodeInfo up = node(a, "node3");
    assertTrue(up.up());
    assertFalse(up.local());
    assertEquals(Optional.of("engine-b"), up.endpoint());
    assertTrue(node(a, "node1").local());

    engines.remove(b);
    b.close();

    await(() -> !node(a, "node3").up(), "node3 shows down once engine B closed");
    assertEquals(Optional.empty(), node(a, "node3").endpoint());
  }

  @Test
  void remoteNode_refusesBlockIoAndControls_namingItsProcess() throws Exception {
    enabledConfig(a);
    UUID volume = volume(a, "v1");

    KmsException read = assertThrows(KmsException.class, () -> a.cluster().readBlock("node3", volume, 0));
    KmsException write = assertThrows(KmsException.class,
        () -> a.cluster().writeBlock("node4", volume, 0, bytes("x")));
    KmsException reboot = assertThrows(KmsException.class, () -> a.cluster().rebootNode("node3"));
    KmsException down = assertThrows(KmsException.class, () -> b.cluster().setNodeUp("node1", false));

    for (KmsException e : List.of(read, write, reboot, down)) {
      assertEquals(ErrorCode.REMOTE_NODE, e.errorCode());
    }
    assertTrue(read.getMessage().contains("node3") && read.getMessage().contains("engine-b"), read.getMessage());
    assertTrue(down.getMessage().contains("node1") && down.getMessage().contains("engine-a"), down.getMessage());
    assertTrue(node(b, "node1").up(), "the refused control changed nothing");
  }

  @Test
  void reachability_asksTheOtherEnginesNodesThroughTheirProcess() throws Exception {
    UUID cfg = enabledConfig(a);

    var r = a.barbican().reachability(cfg);

    assertTrue(r.reachable(), r::message);
    assertEquals(SPEC.nodes(), r.nodes().stream().map(NodeStatus::node).toList());
  }

  @Test
  void recoveryAtStart_leavesTheStagingOfARekeyAnotherProcessRuns_andRecoversOnceTheLockIsFree() throws Exception {
    enabledConfig(a);
    volume(a, "v1");
    UUID svm = a.cluster().svms().stream().filter(s -> s.name().equals("svm1")).findFirst().orElseThrow().uuid();
    String staging = Buckets.veks(svm, 2);
    EtcdClusterDatabase dbA = databases.get(0);
    engines.remove(b);
    b.close();
    KmsEngine c;
    try (Coordination.SvmLock rekeyRunning = dbA.coordination().lockSvm(svm, WAIT)) {
      dbA.commit(new WriteBatch().put(staging, UUID.randomUUID(), new byte[62]));

      c = engine("engine-c", "node3", "node4");

      assertEquals(1, dbA.count(staging), "the staged generation of the rekey A runs is left alone");
      assertTrue(rekeyRunning.held());
    }
    await(() -> !dbA.buckets(Buckets.vekPrefix(svm)).contains(staging),
        "C drops the leftover once the lock is free");
    assertEquals(List.of(Buckets.veks(svm, 1)), dbA.buckets(Buckets.vekPrefix(svm)));
    assertTrue(c.cluster().nodes().stream().anyMatch(n -> n.name().equals("node3") && n.local()));
  }

  @Test
  void staging_leftByAProcessThatDiedHoldingTheLock_isDroppedByTheNextJobInAnotherProcess() throws Exception {
    UUID cfg = enabledConfig(a);
    UUID v1 = volume(a, "v1");
    b.cluster().writeBlock("node3", v1, 0, bytes("before"));
    UUID svm = a.cluster().svms().stream().filter(s -> s.name().equals("svm1")).findFirst().orElseThrow().uuid();
    String staging = Buckets.veks(svm, 2);
    // A third process takes the lock, stages a rekey's first page and is gone: its lock is free, nobody restarts.
    EtcdClusterDatabase dying = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(Duration.ofSeconds(2)).open();
    databases.add(dying);
    try (Coordination.SvmLock lock = dying.coordination().lockSvm(svm, WAIT)) {
      dying.commit(new WriteBatch().fence(lock.fence()).put(staging, UUID.randomUUID(), new byte[62]));
    }
    assertEquals(1, dying.count(staging));

    volume(b, "v2");

    assertEquals(List.of(Buckets.veks(svm, 1)), dying.buckets(Buckets.vekPrefix(svm)),
        "the job took the lock and dropped the dead holder's staging before its own work");
    succeed(b, b.barbican().rekeyInternal(cfg));
    assertArrayEquals(bytes("before"), a.cluster().readBlock("node1", v1, 0));
  }

  @Test
  void encryptedVolumesCreatedAtOnceInBothEngines_shareOneSvmKekGeneration_andReadThroughEveryNode()
      throws Exception {
    enabledConfig(a);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(a.cluster().createVolume("svm1", null, "a" + i, true));
      jobs.add(b.cluster().createVolume("svm1", null, "b" + i, true));
    }
    List<UUID> volumes = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      volumes.add(succeed(i % 2 == 0 ? a : b, jobs.get(i)).resourceUuid());
    }
    for (UUID v : volumes) {
      a.cluster().writeBlock("node1", v, 1, bytes("x" + v));
    }
    for (UUID v : volumes) {
      assertArrayEquals(bytes("x" + v), b.cluster().readBlock("node4", v, 1), "volume " + v + " through node4");
      assertArrayEquals(bytes("x" + v), a.cluster().readBlock("node2", v, 1), "volume " + v + " through node2");
    }
  }

  @Test
  void aNodeThatALiveProcessHosts_cannotBeHostedByAnother() {
    assertThrows(StoreException.class, () -> engine("engine-c", "node2"));
  }

  private UUID enabledConfig(KmsEngine e) throws InterruptedException {
    UUID cfg = succeed(e, e.barbican().createBarbicanConfig(TestCluster.request("svm1", "c1", TestCluster.KEY_1)
        .build())).resourceUuid();
    succeed(e, e.barbican().enableKeystore(cfg));
    return cfg;
  }

  private UUID volume(KmsEngine e, String name) throws InterruptedException {
    return succeed(e, e.cluster().createVolume("svm1", null, name, true)).resourceUuid();
  }

  private static Job succeed(KmsEngine e, Job job) throws InterruptedException {
    Job done = e.awaitJob(job, WAIT);
    assertEquals(JobState.SUCCESS, done.state(), done::toString);
    return done;
  }

  private static boolean holdsOnEveryNode(KmsEngine e, UUID cfg) {
    KekAvailability k = e.barbican().kekAvailability(cfg);
    return k.clusterState();
  }

  private static NodeInfo node(KmsEngine e, String name) {
    return e.cluster().nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Polls {@code condition} until it holds, for at most {@link #WAIT}: changes reach other processes by watch. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
