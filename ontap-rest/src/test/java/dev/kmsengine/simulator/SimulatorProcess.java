package dev.kmsengine.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
      shared = start(Files.createTempDirectory("simulator-e2e-")).api();
    }
    return shared;
  }

  /**
   * A simulator process of its own, for a test that must not share the cluster with the others.
   *
   * @param process the simulator's JVM
   * @param readyFile its ready file
   * @param api a client logged in from the ready file
   */
  record Started(Process process, Path readyFile, ApiClient api) implements AutoCloseable {
    /** Stops the process and waits for it, so its ports and files are released. */
    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts a simulator on any free port with its ready file {@code dir/ready.json} and its log in {@code dir}. */
  static Started start(Path dir) throws Exception {
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
    return new Started(p, ready, new ApiClient(json));
  }
}
