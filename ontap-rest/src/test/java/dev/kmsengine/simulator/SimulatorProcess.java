package dev.kmsengine.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator started as a separate JVM and shared by every end-to-end test class of the run: {@code java -jar}
 * on the shaded jar named by the {@code simulator.jar} system property (the build sets it and runs these tests
 * after packaging), or, when run without it (from an IDE), the same main class from the test class path.
 */
final class SimulatorProcess {
  private static ApiClient shared;

  private SimulatorProcess() {}

  /** The shared simulator's client, starting the process on first use. */
  static synchronized ApiClient shared() throws Exception {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  private static ApiClient start() throws Exception {
    Path dir = Files.createTempDirectory("simulator-e2e-");
    Path ready = dir.resolve("ready.json");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String jar = System.getProperty("simulator.jar");
    if (jar != null) {
      if (!Files.isRegularFile(Path.of(jar))) {
        throw new IllegalStateException("simulator.jar names no file: " + jar);
      }
      cmd.addAll(List.of("-jar", jar));
    } else {
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Simulator.class.getName()));
    }
    cmd.addAll(List.of("--port", "0", "--ready-file", ready.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("simulator.log").toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!Files.exists(ready)) {
      if (!p.isAlive()) {
        throw new IllegalStateException("simulator exited " + p.exitValue() + ": "
            + Files.readString(dir.resolve("simulator.log")));
      }
      if (System.nanoTime() > deadline) {
        p.destroy();
        throw new IllegalStateException("simulator not ready in time: " + Files.readString(dir.resolve("simulator.log")));
      }
      Thread.sleep(100);
    }
    JsonNode json = ApiClient.JSON.readTree(ready.toFile());
    return new ApiClient(json);
  }
}
