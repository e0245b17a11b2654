package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --cluster-db etcd:URL[,URL...]} against the 3-member etcd on loopback, with the simulator jar as its own
 * process: the cluster database lives in etcd (not in {@code --data-dir}), survives a SIGKILL of the process, and
 * a store that cannot be opened is one line on stderr and exit code 2.
 */
class EtcdStoreProcessTest {
  private static final int VOLUMES = 5;
  private static final long[] BLOCKS = {0, 7, 4095};
  private static final String SVM = "barbican_svm";

  private final String namespace = TestEtcd.freshNamespace();

  @Test
  void killedAfterRekey_restartsOnTheSameNamespace_restoresAndReadsEveryBlock(@TempDir Path dir) throws Exception {
    try {
      killAndRestart(dir);
    } finally {
      TestEtcd.deleteNamespace(namespace);
    }
  }

  private void killAndRestart(Path dir) throws Exception {
    List<String> args = List.of("--data-dir", dir.toString(), "--cluster-db", TestEtcd.clusterDb(),
        "--etcd-namespace", namespace, "--lease-ttl", "2");
    String config;
    Map<String, String> keyIds;
    Map<String, byte[]> written = new LinkedHashMap<>();
    SimulatorProcess first = SimulatorProcess.start(dir, args);
    try {
      String banner = first.output();
      assertTrue(banner.contains("database:     etcd http://") && banner.contains("namespace " + namespace), banner);
      ApiClient api = first.api;
      config = api.createConfig(api.configBody(SVM, "etcdConfiguration"));
      api.enable(config);
      List<String> volumes = new ArrayList<>();
      for (int i = 0; i < VOLUMES; i++) {
        Reply v = api.createVolume("etcdvol" + i, SVM);
        assertEquals(201, v.status(), v.raw()::body);
        volumes.add(v.body().at("/records/0/uuid").asText());
      }
      List<String> nodes = nodeNames(api);
      int n = 0;
      for (String volume : volumes) {
        for (long block : BLOCKS) {
          byte[] data = ("block " + block + " of " + volume).getBytes(StandardCharsets.UTF_8);
          Reply w = api.writeBlock(volume, block, nodes.get(n++ % nodes.size()), data);
          assertEquals(200, w.status(), w.raw()::body);
          written.put(volume + "/" + block, data);
        }
      }
      keyIds = keyIds(api);
      assertEquals(VOLUMES, keyIds.size());
      Reply rekey = api.keyOperation(config, "rekey-internal");
      assertEquals(201, rekey.status(), rekey.raw()::body);
      assertEquals("success", api.awaitJob(rekey.body().at("/job/uuid").asText()).get("state").asText());
    } finally {
      first.kill();
    }
    assertFalse(Files.exists(dir.resolve(SimulatorDatabase.FILE)), "with --cluster-db the database is not a file");
    assertTrue(Files.isRegularFile(dir.resolve(EtcdStoreOptions.KEY_FILE)), "the key file defaults to --data-dir");
    assertTrue(TestEtcd.keys(namespace) > 0, "the cluster database is in etcd, in the namespace given");

    try (SimulatorProcess second = startOnceTheNodesAreFree(dir, args)) {
      ApiClient api = second.api;
      String started = second.output();
      assertTrue(started.contains("restore on start"), started);
      assertEquals(keyIds, keyIds(api), "every volume is back with the same volume key");
      Reply restore = api.keyOperation(config, "restore");
      assertEquals(201, restore.status(), restore.raw()::body);
      JsonNode state = api.ok("/api/security/barbican-kms/" + config + "?fields=state").get("state");
      assertTrue(state.get("cluster_state").asBoolean(), state::toString);
      for (String node : nodeNames(api)) {
        for (Map.Entry<String, byte[]> b : written.entrySet()) {
          String[] at = b.getKey().split("/");
          Reply r = api.readBlock(at[0], Long.parseLong(at[1]), node);
          assertEquals(200, r.status(), () -> node + " " + b.getKey() + ": " + r.raw().body());
          assertArrayEquals(b.getValue(), ApiClient.blockData(r), "read through " + node);
        }
      }
    }
  }

  /**
   * The killed process's nodes stay hosted by it until its etcd lease expires ({@code --lease-ttl}); a process
   * started before that is refused naming them, so the restart is tried again until it is not (60 s at most).
   */
  private static SimulatorProcess startOnceTheNodesAreFree(Path dir, List<String> args) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        return SimulatorProcess.start(dir, args);
      } catch (IllegalStateException e) {
        if (!e.getMessage().contains("already hosted by a live process") || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  @Test
  void unreachableEtcd_isOneLineNamingTheEndpoints_andExitCode2(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      // Free once closed: nothing answers there (another process taking it within the test is harmless).
      port = s.getLocalPort();
    }
    String endpoints = "http://127.0.0.1:" + port + ",http://localhost:" + port;
    SimulatorProcess.Exit exit = SimulatorProcess.refused(dir, List.of("--cluster-db", "etcd:" + endpoints,
        "--config-protection-key", dir.resolve("k").toString(), "--etcd-timeout", "2"), Duration.ofSeconds(120));
    assertEquals(2, exit.code(), exit::toString);
    assertOneLine(exit.stderr());
    assertTrue(exit.stderr().contains(endpoints), exit::toString);
    assertTrue(exit.stderr().contains("no answer within 2000 ms"), exit::toString);
  }

  @Test
  void namespaceHoldingSomethingElse_isRefusedInOneLine_andLeftAsItWas(@TempDir Path dir) throws Exception {
    String clusterDb = TestEtcd.clusterDb();
    try {
      TestEtcd.put(namespace, "format", "not a version");
      SimulatorProcess.Exit exit = SimulatorProcess.refused(dir, List.of("--cluster-db", clusterDb,
          "--etcd-namespace", namespace, "--data-dir", dir.toString()), Duration.ofSeconds(120));
      assertEquals(2, exit.code(), exit::toString);
      assertOneLine(exit.stderr());
      assertTrue(exit.stderr().contains(namespace) && exit.stderr().contains("holds no kms-engine store"),
          exit::toString);
      assertEquals(1, TestEtcd.keys(namespace), "nothing was written into a namespace that is not ours");
    } finally {
      TestEtcd.deleteNamespace(namespace);
    }
  }

  @Test
  void anotherKeyFile_isRefusedInOneLine_andTheStoreStillOpensWithItsOwn(@TempDir Path dir) throws Exception {
    Path mine = Files.createDirectories(dir.resolve("mine"));
    Path other = Files.createDirectories(dir.resolve("other"));
    List<String> args = List.of("--data-dir", mine.toString(), "--cluster-db", TestEtcd.clusterDb(),
        "--etcd-namespace", namespace);
    try {
      String config;
      try (SimulatorProcess first = SimulatorProcess.start(mine, args)) {
        config = first.api.createConfig(first.api.configBody(SVM, "sealed"));
      }
      SimulatorProcess.Exit exit = SimulatorProcess.refused(other, List.of("--data-dir", other.toString(),
          "--cluster-db", TestEtcd.clusterDb(), "--etcd-namespace", namespace), Duration.ofSeconds(120));
      assertEquals(2, exit.code(), exit::toString);
      assertOneLine(exit.stderr());
      assertTrue(exit.stderr().contains("does not belong to this database")
          && exit.stderr().contains(other.resolve(EtcdStoreOptions.KEY_FILE).toString()), exit::toString);
      try (SimulatorProcess again = SimulatorProcess.start(mine, args)) {
        assertEquals("sealed", again.api.ok("/api/security/barbican-kms/" + config).at("/configuration/name")
            .asText());
      }
    } finally {
      TestEtcd.deleteNamespace(namespace);
    }
  }

  private static void assertOneLine(String stderr) {
    assertEquals(1, stderr.strip().lines().count(), () -> "one line, no stack trace: " + stderr);
    assertFalse(stderr.contains("Exception in thread") || stderr.contains("\tat "), stderr);
  }

  private static List<String> nodeNames(ApiClient api) throws Exception {
    List<String> out = new ArrayList<>();
    api.ok("/api/cluster/nodes?fields=name").get("records").forEach(n -> out.add(n.get("name").asText()));
    assertEquals(4, out.size());
    return out;
  }

  private static Map<String, String> keyIds(ApiClient api) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    api.ok("/api/storage/volumes?svm.name=" + SVM + "&fields=encryption.key_id").get("records")
        .forEach(v -> out.put(v.get("uuid").asText(), v.at("/encryption/key_id").asText()));
    return out;
  }
}
