package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One process per node: four simulator JVMs with one {@code --node} each on one namespace of the 3-member etcd,
 * sharing one {@link dev.kmsengine.testkit.emulator.StandaloneEmulator} process ({@code --no-emulator --trust-ca}).
 * Every process serves the whole API; a block through a node another process hosts is forwarded to it. The
 * scenarios run in order on one cluster of {@value #VOLUMES} encrypted volumes, and each ends with every block
 * written so far read back: a rekey through one process seen by every other; the process running a rekey killed
 * (SIGKILL) at ten points of it; a node process killed and started again (empty key table until a restore); one
 * etcd member killed under a rekey; two members killed (quorum lost) and started again.
 *
 * <p>"Never a mix" of SVM-KEK generations is checked by a restore after each kill: it unwraps every volume key of
 * the current generation on every live node (each node then holds all {@value #VOLUMES}), which fails for a volume
 * key wrapped under another generation; and by reading the blocks back, which fails for a wrong key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiProcessClusterProcessTest {
  private static final int VOLUMES = 2000;
  private static final List<String> NODES = List.of("node1", "node2", "node3", "node4");
  private static final String SVM = "barbican_svm";
  private static final int LEASE_TTL_S = 5;
  private static final int KILL_POINTS = 10;
  /** Each node writes this many blocks, each into a volume of its own. */
  private static final int BLOCKS_PER_NODE = 4;

  private final String namespace = TestEtcd.freshNamespace();
  private Path dir;
  private Process emulator;
  private JsonNode emulatorInfo;
  private final Map<String, SimulatorProcess> processes = new LinkedHashMap<>();
  private String config;
  private final List<String> volumes = new ArrayList<>();
  private final Map<String, byte[]> written = new LinkedHashMap<>();
  private Duration rekeyTime;

  @BeforeAll
  void startCluster() throws Exception {
    String clusterDb = TestEtcd.clusterDb();
    dir = Files.createTempDirectory("multi-process-");
    Path emulatorDir = Files.createDirectories(dir.resolve("emulator"));
    emulator = SimulatorProcess.startMain("dev.kmsengine.testkit.emulator.StandaloneEmulator",
        List.of("--port", "0", "--data-dir", emulatorDir.toString()), dir.resolve("emulator.log"));
    Path info = emulatorDir.resolve("emulator.json");
    await(Duration.ofSeconds(90), () -> Files.exists(info) || !emulator.isAlive(), "the emulator's emulator.json");
    assertTrue(emulator.isAlive(), () -> "the emulator exited: " + read(dir.resolve("emulator.log")));
    emulatorInfo = ApiClient.JSON.readTree(info.toFile());
    // The first process writes the cluster's shape to the store. One at a time: on a loaded machine four JVMs
    // starting together can starve one of them past its lease's renewal.
    for (String node : NODES) {
      start(node, clusterDb);
    }
    for (SimulatorProcess p : processes.values()) {
      awaitNodesUp(p.api, NODES);
    }
  }

  private synchronized void putProcess(String node, SimulatorProcess p) {
    processes.put(node, p);
  }

  private synchronized SimulatorProcess process(String node) {
    return processes.get(node);
  }

  private synchronized ApiClient api(String node) {
    return processes.get(node).api;
  }

  private List<String> args(String node, String clusterDb) {
    return List.of("--cluster-db", clusterDb, "--etcd-namespace", namespace, "--config-protection-key",
        dir.resolve("etcd.config-protection-key").toString(), "--data-dir", dir.resolve(node).toString(),
        "--node", node, "--lease-ttl", String.valueOf(LEASE_TTL_S), "--etcd-timeout", "10",
        "--no-emulator", "--trust-ca", emulatorInfo.get("ca_cert").asText(), "--admin-password", "multi-pw");
  }

  private void start(String node, String clusterDb) throws Exception {
    Path d = Files.createDirectories(dir.resolve(node));
    putProcess(node, SimulatorProcess.start(d, args(node, clusterDb)));
  }

  @AfterAll
  void stopCluster() throws Exception {
    try {
      processes.values().forEach(SimulatorProcess::close);
      if (emulator != null) {
        emulator.destroy();
        emulator.waitFor(60, TimeUnit.SECONDS);
      }
    } finally {
      try {
        TestEtcd.startMissingMembers();
      } finally {
        TestEtcd.deleteNamespace(namespace);
      }
    }
  }

  // ------------------------------------------------------------------ scenarios

  @Test
  @Order(1)
  void fourProcesses_serveOneCluster_forwardBlocksToTheirNodes_andARekeyReachesEveryNode() throws Exception {
    ApiClient first = api("node1");
    JsonNode ready = first.ready;
    assertEquals(List.of("node1"), names(ready.get("local_nodes")), "the ready file names the process's nodes");
    assertTrue(process("node1").output().contains("hosts:        node1"), "the banner names them too");
    config = first.createConfig(configBody());
    api("node2").enable(config);
    long c0 = System.nanoTime();
    createVolumes();
    System.out.printf("multi-process: %d volumes created through 4 processes in %d ms%n", VOLUMES,
        (System.nanoTime() - c0) / 1_000_000);
    // Each node's blocks are written through another node's process, so every write is forwarded.
    for (int i = 0; i < NODES.size(); i++) {
      String node = NODES.get(i);
      ApiClient via = api(NODES.get((i + 1) % NODES.size()));
      for (int b = 0; b < BLOCKS_PER_NODE; b++) {
        String volume = volumes.get(i * BLOCKS_PER_NODE + b);
        byte[] data = ("block " + b + " of " + volume + " through " + node).getBytes(StandardCharsets.UTF_8);
        Reply w = via.writeBlock(volume, b, node, data);
        assertEquals(200, w.status(), w.raw()::body);
        assertEquals(node, w.body().get("node").asText(), "the hosting process answered as it is");
        written.put(volume + "/" + b, data);
      }
    }
    long t0 = System.nanoTime();
    Reply rekey = first.keyOperation(config, "rekey-internal");
    assertEquals(201, rekey.status(), rekey.raw()::body);
    assertEquals("success", first.awaitJob(rekey.body().at("/job/uuid").asText()).get("state").asText());
    rekeyTime = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("multi-process: rekey of %d volumes in %d ms%n", VOLUMES, rekeyTime.toMillis());
    for (String reader : NODES.subList(1, NODES.size())) {
      readEveryBlock(api(reader), NODES);
    }
  }

  /**
   * The victims alternate between node1's and node2's processes; node3's and node4's, never killed, keep their key
   * tables and serve the reads after each kill. A killed victim is started again in the background while the next
   * steps run, and comes back empty; a restore at the end fills every node.
   */
  @Test
  @Order(2)
  void sigkillOfTheProcessRunningARekey_atTenPoints_leavesOneGenerationCurrent_andALaterRekeySucceeds()
      throws Exception {
    assumeSetUp();
    List<String> readers = List.of("node3", "node4");
    ExecutorService restarts = Executors.newSingleThreadExecutor();
    try {
      Future<?> restarting = null;
      for (int i = 0; i < KILL_POINTS; i++) {
        String victim = NODES.get(i % 2);
        if (restarting != null) {
          restarting.get(180, TimeUnit.SECONDS);
        }
        long offset = rekeyTime.toNanos() * (2L * i + 1) / (2L * KILL_POINTS);
        String point = "kill " + (i + 1) + " of " + victim + "'s process " + offset / 1_000_000 + " ms into a rekey";
        Reply submitted = api(victim).send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal", null);
        assertEquals(202, submitted.status(), () -> point + ": " + submitted.raw().body());
        TimeUnit.NANOSECONDS.sleep(offset);
        process(victim).kill();
        awaitNodeDown(api("node3"), victim);
        restarting = restarts.submit(() -> {
          start(victim, TestEtcd.clusterDb());
          return null;
        });
        // A rekey rewraps every volume key of the current generation: one that does not unwrap (a mix) fails it.
        laterRekeySucceeds(api("node3"), point);
        readEveryBlock(api("node4"), readers);
      }
    } finally {
      // Let a restart under way finish, so that the next scenario finds the process it started.
      restarts.shutdown();
      assertTrue(restarts.awaitTermination(180, TimeUnit.SECONDS), "the last restart did not finish");
    }
    for (String node : NODES) {
      awaitNodesUp(api(node), NODES);
    }
    restoreAndReadEverything("node1", "after the kills");
    assertClusterState(api("node2"), true);
  }

  @Test
  @Order(3)
  void sigkillAndRestartOfANodeProcess_comesBackWithAnEmptyKeyTable_untilARestoreFillsIt() throws Exception {
    assumeSetUp();
    process("node3").kill();
    awaitNodeDown(api("node1"), "node3");
    Reply down = api("node1").readBlock(firstVolumeOf("node3"), 0, "node3");
    assertEquals(409, down.status(), down.raw()::body);
    assertTrue(down.body().at("/error/message").asText().contains("node3"), down.raw()::body);
    restart("node3");
    JsonNode node3 = api("node2").ok("/api/simulator/nodes/node3");
    assertEquals("up", node3.get("state").asText());
    assertEquals(0, node3.get("veks").asInt(), "a restarted node process has an empty key table");
    JsonNode state = assertClusterState(api("node2"), false);
    assertTrue(state.get("message").asText().contains("node3"), state::toString);
    restoreAndReadEverything("node4", "after the restart of node3");
  }

  @Test
  @Order(4)
  void oneEtcdMemberKilledMidRekey_theRekeyCompletes() throws Exception {
    assumeSetUp();
    String member = TestEtcd.members().get(0);
    Reply submitted = api("node2").send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal", null);
    assertEquals(202, submitted.status(), submitted.raw()::body);
    TimeUnit.NANOSECONDS.sleep(rekeyTime.toNanos() / 3);
    TestEtcd.killMember(member);
    try {
      JsonNode job = api("node3").awaitJob(submitted.body().at("/job/uuid").asText());
      assertEquals("success", job.get("state").asText(), job::toString);
      readEveryBlock(api("node1"), NODES);
    } finally {
      TestEtcd.startMissingMembers();
    }
    restore(api("node4"), "after the member's return");
    assertEveryNodeHoldsEveryKey(api("node4"), NODES);
  }

  @Test
  @Order(5)
  void twoEtcdMembersKilled_operationsFailClearly_nothingIsHalfApplied_andAllIsWellWhenTheyReturn()
      throws Exception {
    assumeSetUp();
    List<String> members = TestEtcd.members();
    TestEtcd.killMember(members.get(1));
    TestEtcd.killMember(members.get(2));
    try {
      Reply rekey = api("node1").keyOperation(config, "rekey-internal");
      assertFailedClearly(api("node1"), rekey, "a rekey without quorum");
      Reply volume = api("node2").createVolume("noquorum", SVM);
      assertFailedClearly(api("node2"), volume, "a volume create without quorum");
    } finally {
      TestEtcd.startMissingMembers();
    }
    for (String node : NODES) {
      awaitNodesUp(api(node), NODES);
    }
    JsonNode none = api("node3").ok("/api/storage/volumes?name=noquorum");
    assertEquals(0, none.get("num_records").asInt(), () -> "the failed create left nothing: " + none);
    assertEquals(VOLUMES, api("node3").ok("/api/storage/volumes?svm.name=" + SVM).get("num_records").asInt());
    restoreAndReadEverything("node1", "after quorum returned");
    Reply later = api("node4").keyOperation(config, "rekey-internal");
    assertEquals(201, later.status(), later.raw()::body);
    assertEquals("success", api("node4").awaitJob(later.body().at("/job/uuid").asText()).get("state").asText());
    readEveryBlock(api("node1"), NODES);
  }

  // ------------------------------------------------------------------ steps and checks

  /** The later scenarios need the cluster the first one built; without it they are skipped, not failed again. */
  private void assumeSetUp() throws Exception {
    Assumptions.assumeTrue(rekeyTime != null, "the first scenario did not build the cluster");
    for (String node : NODES) {
      if (!process(node).process.isAlive()) {
        restart(node);
      }
    }
  }

  private ObjectNode configBody() {
    ObjectNode b = ApiClient.JSON.createObjectNode();
    b.putObject("svm").put("name", SVM);
    b.putObject("configuration").put("name", "multiProcess");
    for (String f : List.of("application_cred_id", "application_cred_secret", "key_id", "keystone_url")) {
      b.put(f, emulatorInfo.get(f).asText());
    }
    return b;
  }

  /**
   * {@value #VOLUMES} volumes: the first one (which makes the SVM's first SVM-KEK generation) alone, and once every
   * node holds that generation the others in parallel through every process.
   */
  private void createVolumes() throws Exception {
    ConcurrentLinkedQueue<String> made = new ConcurrentLinkedQueue<>();
    Reply first = api(NODES.get(0)).createVolume("mpvol0", SVM);
    assertEquals(201, first.status(), first.raw()::body);
    made.add(first.body().at("/records/0/uuid").asText());
    for (String node : NODES) {
      await(Duration.ofSeconds(60), () -> svmKeks(api(node), node) > 0, node + " holds the first SVM-KEK");
    }
    ExecutorService pool = Executors.newFixedThreadPool(NODES.size());
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 1; i < VOLUMES; i++) {
        ApiClient via = api(NODES.get(i % NODES.size()));
        String name = "mpvol" + i;
        fs.add(pool.submit(() -> {
          Reply v = via.createVolume(name, SVM);
          assertEquals(201, v.status(), v.raw()::body);
          made.add(v.body().at("/records/0/uuid").asText());
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(300, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    volumes.addAll(made);
    assertEquals(VOLUMES, volumes.size());
  }

  private static int svmKeks(ApiClient via, String node) {
    try {
      Reply r = via.get("/api/simulator/nodes/" + node);
      return r.status() == 200 ? r.body().get("svm_keks").asInt() : 0;
    } catch (Exception e) {
      return 0;
    }
  }

  private String firstVolumeOf(String node) {
    return volumes.get(NODES.indexOf(node) * BLOCKS_PER_NODE);
  }

  /**
   * Every block written so far, read through each of {@code nodes} by one process (forwarded where needed). A node
   * whose process lost its etcd lease for a moment (an etcd member or the machine too slow for the lease's time to
   * live) is down until the process announces it again; the read waits for that (90 s at most), it does not fail.
   */
  private void readEveryBlock(ApiClient via, List<String> nodes) throws Exception {
    for (String node : nodes) {
      for (Map.Entry<String, byte[]> b : written.entrySet()) {
        String[] at = b.getKey().split("/");
        Reply r = via.readBlock(at[0], Long.parseLong(at[1]), node);
        if (r.status() == 409 && r.body().at("/error/message").asText().contains("is down")) {
          awaitNodesUp(via, List.of(node));
          r = via.readBlock(at[0], Long.parseLong(at[1]), node);
        }
        Reply read = r;
        assertEquals(200, read.status(), () -> "through " + node + ", " + b.getKey() + ": " + read.raw().body());
        assertArrayEquals(b.getValue(), ApiClient.blockData(read), "read through " + node);
      }
    }
  }

  /**
   * Each of {@code nodes} holds every volume key, as its own process reports it: a remote node's record is what its
   * process last published, which may lag a moment behind a restore, so it is polled (30 s at most).
   */
  private static void assertEveryNodeHoldsEveryKey(ApiClient via, List<String> nodes) throws Exception {
    for (String node : nodes) {
      JsonNode[] last = new JsonNode[1];
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        last[0] = via.ok("/api/simulator/nodes/" + node);
        if (last[0].get("veks").asInt() == VOLUMES && last[0].get("state").asText().equals("up")) {
          break;
        }
        if (System.nanoTime() > deadline) {
          fail(node + " does not hold every volume key: " + last[0]);
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * A rekey through {@code via} succeeds. On this shared, loaded machine a rekey may lose its SVM lock when its
   * process cannot renew the lock's lease in time; such a rekey commits nothing and says so (13001, "lock ... was
   * lost"), and is tried again, up to three times in all. Any other failure fails the test.
   */
  private void laterRekeySucceeds(ApiClient via, String point) throws Exception {
    for (int attempt = 1; ; attempt++) {
      Reply later = via.keyOperation(config, "rekey-internal");
      String why = later.status() == 201 ? null : later.body().at("/error/message").asText();
      if (later.status() == 201) {
        JsonNode job = via.awaitJob(later.body().at("/job/uuid").asText());
        if (job.get("state").asText().equals("success")) {
          return;
        }
        why = job.get("message").asText();
      }
      String w = why;
      assertTrue(attempt < 3 && w.contains("was lost"), () -> point + ": the later rekey failed: " + w);
    }
  }

  private JsonNode assertClusterState(ApiClient via, boolean expected) throws Exception {
    JsonNode state = via.ok("/api/security/barbican-kms/" + config + "?fields=state").get("state");
    assertEquals(expected, state.get("cluster_state").asBoolean(), state::toString);
    return state;
  }

  /** A restore through {@code via}'s process; then every node holds every key and every block reads back. */
  private void restoreAndReadEverything(String via, String when) throws Exception {
    restore(api(via), when);
    assertEveryNodeHoldsEveryKey(api(via), NODES);
    readEveryBlock(api(via), NODES);
  }

  /**
   * A restore that succeeds. One that fails only because a node was down (its process re-announcing it after a
   * lost lease, as {@link #readEveryBlock} allows) is run again once every node is up, once.
   */
  private void restore(ApiClient via, String when) throws Exception {
    for (int attempt = 1; ; attempt++) {
      Reply r = via.keyOperation(config, "restore");
      String failure;
      if (r.status() == 201) {
        JsonNode job = via.awaitJob(r.body().at("/job/uuid").asText());
        if (job.get("state").asText().equals("success")) {
          return;
        }
        failure = job.toString();
      } else {
        failure = r.raw().body();
      }
      String f = failure;
      assertTrue(attempt < 2 && f.contains("is down"), () -> when + ": " + f);
      awaitNodesUp(via, NODES);
    }
  }

  /**
   * The request failed without a job that succeeded: either at once, with ONTAP's error JSON, or as a job that
   * failed with a message; either way the message says what is wrong.
   */
  private static void assertFailedClearly(ApiClient via, Reply r, String what) throws Exception {
    String message;
    if (r.status() >= 400) {
      message = r.body().at("/error/message").asText();
    } else {
      String job = r.body().at("/job/uuid").asText();
      assertFalse(job.isEmpty(), () -> what + ": " + r.raw().body());
      JsonNode done = awaitJobSomewhere(via, job);
      assertEquals("failure", done.get("state").asText(), () -> what + ": " + done);
      message = done.get("message").asText();
    }
    String m = message;
    assertFalse(m.isBlank(), () -> what + ": no message: " + r.raw().body());
    assertTrue(m.toLowerCase().contains("etcd") || m.toLowerCase().contains("database"),
        () -> what + ": the message names the cluster database: " + m);
  }

  /** Polls a job until it ends, tolerating the moments its record cannot be read. */
  private static JsonNode awaitJobSomewhere(ApiClient via, String job) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      Reply r = via.get("/api/cluster/jobs/" + job);
      if (r.status() == 200 && !r.body().get("state").asText().matches("queued|running")) {
        return r.body();
      }
      Thread.sleep(200);
    }
    return fail("job " + job + " did not end in 120 s");
  }

  /** SIGKILLed {@code node}'s process started again, once the others see its node down (its lease expired). */
  private void restart(String node) throws Exception {
    String clusterDb = TestEtcd.clusterDb();
    String other = NODES.get((NODES.indexOf(node) + 1) % NODES.size());
    awaitNodeDown(api(other), node);
    start(node, clusterDb);
    for (String n : NODES) {
      awaitNodesUp(api(n), NODES);
    }
  }

  private static void awaitNodeDown(ApiClient via, String node) throws Exception {
    await(Duration.ofSeconds(LEASE_TTL_S * 10L), () -> !nodesUp(via).contains(node), node + " down");
  }

  private static void awaitNodesUp(ApiClient via, List<String> nodes) throws Exception {
    await(Duration.ofSeconds(90), () -> nodesUp(via).containsAll(nodes), "nodes " + nodes + " up in " + via.url);
  }

  private static List<String> nodesUp(ApiClient via) {
    try {
      Reply r = via.get("/api/cluster/nodes?fields=name,state");
      List<String> up = new ArrayList<>();
      if (r.status() == 200) {
        r.body().get("records").forEach(n -> {
          if (n.get("state").asText().equals("up")) {
            up.add(n.get("name").asText());
          }
        });
      }
      return up;
    } catch (Exception e) {
      return List.of();
    }
  }

  private static List<String> names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Polls {@code condition} every 100 ms until it holds, failing after {@code limit}. */
  private static void await(Duration limit, BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + limit + ": " + what);
      }
      Thread.sleep(100);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "(" + e.getMessage() + ")";
    }
  }
}
