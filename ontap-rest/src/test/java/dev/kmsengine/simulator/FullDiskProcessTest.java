package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulator whose data directory is a small tmpfs that the test fills: the failing operation says the disk is
 * full, GETs and reads go on answering 200, and once the filesystem is grown a create and a rekey succeed without a
 * restart; after a SIGKILL and a restart every acknowledged volume and block is intact.
 *
 * <p>Mounting needs root. CI runs as root ({@code KMS_CI=1}), where a failed mount fails the test; elsewhere, not
 * as root, the test is skipped with the reason.
 */
class FullDiskProcessTest {
  private static final String SVM = "svm1";
  private static final List<String> NODES = List.of("node1", "node2");
  /** Small enough to fill in seconds, large enough for the simulator's start (TLS material, emulator state). */
  private static final String SMALL = "4m";
  private static final String GROWN = "64m";
  /** Far more than 6 MiB of blocks: the loop ends with the disk full long before. */
  private static final int MAX_VOLUMES = 2_000;
  private static final int BLOCKS = 4;
  /** As large as the REST layer takes in one JSON string (16 KiB of base64). */
  private static final int BLOCK_BYTES = 12 * 1024;

  @Test
  void fullDisk_failsOnlyTheWrite_readsGoOn_writesResumeAfterGrowing_nothingAcknowledgedIsLost(@TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    mountOrSkip(data);
    SimulatorProcess sim = null;
    try {
      List<String> args = List.of("--data-dir", data.toString(), "--nodes", "2", "--svm", SVM);
      sim = SimulatorProcess.start(tmp, args);
      ApiClient api = sim.api;
      String config = api.createConfig(api.configBody(SVM, "full-disk"));
      api.enable(config);

      Map<String, byte[]> acknowledged = new LinkedHashMap<>();
      List<String> volumes = new ArrayList<>();
      Random random = new Random(19);
      Reply failed = null;
      for (int i = 0; i < MAX_VOLUMES && failed == null; i++) {
        Reply created = api.createVolume("v" + i, SVM);
        if (created.status() != 201) {
          failed = created;
          break;
        }
        String volume = created.body().at("/records/0/uuid").asText();
        volumes.add(volume);
        for (int b = 0; b < BLOCKS && failed == null; b++) {
          byte[] block = new byte[BLOCK_BYTES];
          random.nextBytes(block);
          Reply written = api.writeBlock(volume, b, NODES.get(i % 2), block);
          if (written.status() == 200) {
            acknowledged.put(volume + "/" + b, block);
          } else {
            failed = written;
          }
        }
      }
      assertNotNull(failed, "the disk never filled");
      // A block write answers at once; a create answers with its failed job.
      String answer = failed.status() + " " + failed.raw().body() + " " + job(api, failed);
      String log = sim.output();
      assertTrue(answer.contains("13001") && answer.contains("disk is full"),
          () -> "the failing operation names the cause: " + answer + "\n" + log);
      assertTrue(log.contains("disk is full"), () -> "the log names the cause too:\n" + log);

      // Reads go on while the disk is full.
      assertEquals(volumes.size(), api.ok("/api/storage/volumes?svm.name=" + SVM).get("num_records").asInt());
      api.ok("/api/security/barbican-kms/" + config);
      api.ok("/api/cluster/nodes");
      // A sample here; every block through every node after the restart below.
      for (Map.Entry<String, byte[]> e : acknowledged.entrySet().stream().limit(8).toList()) {
        String[] vb = e.getKey().split("/");
        Reply r = api.readBlock(vb[0], Long.parseLong(vb[1]), "node1");
        assertEquals(200, r.status(), r.raw()::body);
        assertArrayEquals(e.getValue(), ApiClient.blockData(r));
      }

      // Space is back: writes succeed again, without a restart.
      run("mount", "-o", "remount,size=" + GROWN, data.toString());
      Reply created = api.createVolume("after-growth", SVM);
      assertEquals(201, created.status(), created.raw()::body);
      String last = created.body().at("/records/0/uuid").asText();
      volumes.add(last);
      byte[] block = "written after the disk grew".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(200, api.writeBlock(last, 0, "node2", block).status());
      acknowledged.put(last + "/0", block);
      assertEquals(201, api.keyOperation(config, "rekey-internal").status());

      sim.kill();
      sim = SimulatorProcess.start(tmp, args);
      ApiClient again = sim.api;
      assertEquals(volumes.size(), again.ok("/api/storage/volumes?svm.name=" + SVM).get("num_records").asInt(),
          "every acknowledged volume survives the SIGKILL");
      for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
        String[] vb = e.getKey().split("/");
        for (String node : NODES) {
          Reply r = again.readBlock(vb[0], Long.parseLong(vb[1]), node);
          assertEquals(200, r.status(), () -> node + ": " + r.raw().body());
          assertArrayEquals(e.getValue(), ApiClient.blockData(r), "block of " + e.getKey() + " through " + node);
        }
      }
    } finally {
      if (sim != null) {
        sim.kill();
      }
      run("umount", data.toString());
    }
  }

  /** The failed job's message, or "" if the reply carries no job. */
  private static String job(ApiClient api, Reply r) throws Exception {
    JsonNode uuid = r.body().at("/job/uuid");
    return uuid.isMissingNode() ? "" : api.awaitJob(uuid.asText()).toString();
  }

  private static void mountOrSkip(Path dir) throws Exception {
    boolean ci = "1".equals(System.getenv("KMS_CI"));
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root && !ci) {
      Assumptions.abort("mounting a tmpfs needs root; this run is neither root nor CI (KMS_CI=1)");
    }
    int rc = exec("mount", "-t", "tmpfs", "-o", "size=" + SMALL, "tmpfs", dir.toString());
    if (rc != 0) {
      fail("cannot mount a tmpfs on " + dir + " (rc " + rc + ")" + (ci ? "; CI must run this test as root" : ""));
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    int rc = exec(cmd);
    assertEquals(0, rc, String.join(" ", cmd));
  }

  private static int exec(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
