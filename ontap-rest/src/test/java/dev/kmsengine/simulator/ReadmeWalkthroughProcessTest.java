package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the curl walkthrough of the project's README verbatim with bash against a simulator of its own, started as
 * the README says ({@code --ready-file ready.json}, plus {@code --port 0}), in the directory of its ready file. Needs
 * bash, curl, jq and base64; skipped without them, except in CI ({@code KMS_CI=1}), which installs them.
 */
class ReadmeWalkthroughProcessTest {
  private static final String START = "<!-- readme-walkthrough:start -->";
  private static final String END = "<!-- readme-walkthrough:end -->";

  static String walkthrough() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String block = readme.substring(readme.indexOf(START) + START.length(), readme.indexOf(END));
    return block.substring(block.indexOf("```bash") + 7, block.lastIndexOf("```"));
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void walkthrough_readsTheBlockWrittenBeforeTheRekeyThroughTheRebootedNodeAfterTheRestore(@TempDir Path dir)
      throws Exception {
    boolean ci = "1".equals(System.getenv("KMS_CI"));
    boolean tools = List.of("bash", "curl", "jq", "base64").stream().allMatch(ReadmeWalkthroughProcessTest::onPath);
    assumeTrue(tools || ci, "bash, curl, jq or base64 is not installed");
    assertTrue(tools, "CI must install bash, curl, jq and base64");

    try (SimulatorProcess simulator = SimulatorProcess.start(dir, List.of())) {
      Path out = dir.resolve("walkthrough.out");
      Process bash = new ProcessBuilder("bash", "-euo", "pipefail", "-c", walkthrough()).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean finished = bash.waitFor(300, TimeUnit.SECONDS);
      if (!finished) {
        bash.destroyForcibly();
      }
      String output = Files.readString(out) + "\n--- simulator log:\n" + simulator.output();
      assertTrue(finished, () -> "the walkthrough did not finish:\n" + output);
      assertEquals(0, bash.exitValue(), () -> "the walkthrough failed:\n" + output);
      assertTrue(Files.readString(out).endsWith("hello"), () -> "the last command prints hello:\n" + output);

      // The block survived a rekey and a restore that both really ran, and every node holds the keys again.
      ApiClient api = simulator.api;
      for (String action : List.of("rekey-internal", "restore")) {
        JsonNode jobs = api.ok("/api/cluster/jobs?description=*/" + action + "&fields=state");
        assertEquals(1, jobs.get("num_records").asInt(), jobs::toString);
        assertEquals("success", jobs.at("/records/0/state").asText(), jobs::toString);
      }
      JsonNode config = api.ok("/api/security/barbican-kms?fields=state");
      assertTrue(config.at("/records/0/state/cluster_state").asBoolean(), config::toString);
      JsonNode node2 = api.ok("/api/simulator/nodes/node2");
      assertTrue(node2.get("veks").asInt() >= 1, node2::toString);
    }
  }
}
