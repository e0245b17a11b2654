package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --data-dir}: a restarted simulator finds its cluster, its Barbican key and its data again. */
class DataDirRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static PrintStream sink(ByteArrayOutputStream out) {
    return new PrintStream(out, true, StandardCharsets.UTF_8);
  }

  @Test
  void restart_onTheSameDataDir_restoresEveryNodeAndReadsTheSameBlocks(@TempDir Path dir) throws Exception {
    String[] args = {"--port", "0", "--data-dir", dir.toString()};
    UUID config;
    UUID volume;
    String keyId;
    byte[] data = "written before the restart".getBytes(StandardCharsets.UTF_8);
    try (Simulator s = Simulator.start(args, sink(new ByteArrayOutputStream()))) {
      KmsEngine e = s.engine();
      SimulatorKeyManager k = s.keys();
      keyId = k.keyId();
      config = e.awaitJob(e.barbican().createBarbicanConfig(BarbicanConfigRequest.builder().svmName("svm1")
          .configurationName("c").keyId(k.keyId()).keystoneUrl(k.keystoneUrl())
          .applicationCredId(k.credentialId()).applicationCredSecret(k.credentialSecret()).build()), WAIT)
          .requireSuccess().resourceUuid();
      e.awaitJob(e.barbican().enableKeystore(config), WAIT).requireSuccess();
      volume = e.awaitJob(e.cluster().createVolume("svm1", null, "v", true), WAIT).requireSuccess().resourceUuid();
      e.cluster().writeBlock("node1", volume, 0, data);
      e.awaitJob(e.barbican().rekeyInternal(config), WAIT).requireSuccess();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Simulator s = Simulator.start(args, sink(out))) {
      assertEquals(keyId, s.keys().keyId(), "the emulator serves the same key at the same URL");
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("restore on start"), out::toString);
      KmsEngine e = s.engine();
      assertTrue(e.barbican().kekAvailability(config).clusterState(), "every node restored its keys on start");
      for (var n : e.cluster().nodes()) {
        assertArrayEquals(data, e.cluster().readBlock(n.name(), volume, 0));
      }
    }
  }

  @Test
  void corruptDatabase_isRefusedClearly_andLeftUntouched(@TempDir Path dir) throws Exception {
    Path file = dir.resolve(SimulatorDatabase.FILE);
    byte[] garbage = "this is not an MVStore file, and it must survive".repeat(200).getBytes(StandardCharsets.UTF_8);
    Files.write(file, garbage);
    UsageException e = assertThrows(UsageException.class,
        () -> Simulator.start(new String[] {"--port", "0", "--data-dir", dir.toString()},
            sink(new ByteArrayOutputStream())));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertArrayEquals(garbage, Files.readAllBytes(file));
  }
}
