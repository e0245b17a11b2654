package dev.kmsengine.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The simulator started as a separate JVM: {@code java -jar} on the shaded jar named by the {@code simulator.jar}
 * system property (the build sets it and runs these tests after packaging), or, when run without it (from an
 * IDE), the same main class from the test class path. One process is shared by every end-to-end test class of the
 * run ({@link #shared()}); tests that kill and restart a simulator start their own ({@link #start(Path, List)}).
 */
final class SimulatorProcess implements AutoCloseable {
  private static ApiClient shared;

  /** The running JVM. */
  final Process process;
  /** Its client, from its ready file. */
  final ApiClient api;
  /** Where its output goes. */
  final Path log;

  private SimulatorProcess(Process process, ApiClient api, Path log) {
    this.process = process;
    this.api = api;
    this.log = log;
  }

  /** The shared simulator's client, starting the process on first use. */
  static synchronized ApiClient shared() throws Exception {
    if (shared == null) {
      shared = start(Files.createTempDirectory("simulator-e2e-"), List.of()).api;
    }
    return shared;
  }

  /**
   * Starts a simulator with {@code args} (besides {@code --port 0} and the ready file), its ready file and log in
   * {@code dir}, and waits until it is ready.
   */
  static SimulatorProcess start(Path dir, List<String> args) throws Exception {
    Path ready = dir.resolve("ready.json");
    Files.deleteIfExists(ready);
    Path log = Files.createTempFile(dir, "simulator-", ".log");
    List<String> cmd = command();
    cmd.addAll(List.of("--port", "0", "--ready-file", ready.toString()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!Files.exists(ready)) {
      if (!p.isAlive()) {
        throw new IllegalStateException("simulator exited " + p.exitValue() + ": " + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        p.destroy();
        throw new IllegalStateException("simulator not ready in time: " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    JsonNode json = ApiClient.JSON.readTree(ready.toFile());
    return new SimulatorProcess(p, new ApiClient(json), log);
  }

  /** How a simulator that was expected not to start ended: its exit code and what it wrote to each stream. */
  record Exit(int code, String stdout, String stderr) {}

  /**
   * Runs a simulator with {@code args} (besides {@code --port 0}) that is expected to refuse to start, and waits
   * for it to exit (at most {@code limit}); its output goes to files in {@code dir}.
   */
  static Exit refused(Path dir, List<String> args, Duration limit) throws Exception {
    List<String> cmd = command();
    cmd.addAll(List.of("--port", "0"));
    cmd.addAll(args);
    Path out = Files.createTempFile(dir, "refused-", ".out");
    Path err = Files.createTempFile(dir, "refused-", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
      throw new IllegalStateException("simulator still running after " + limit + ": " + Files.readString(out)
          + Files.readString(err));
    }
    return new Exit(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /**
   * Starts another main class of the simulator jar (or of the test class path), e.g. the standalone emulator, with
   * its output in {@code log}; destroyed when the test JVM exits, if it is still running.
   */
  static Process startMain(String mainClass, List<String> args, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String jar = System.getProperty("simulator.jar");
    cmd.addAll(List.of("-cp", jar != null ? jar : System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    return p;
  }

  /** {@code java -jar} on the shaded jar, or the main class from the test class path; options follow. */
  private static List<String> command() {
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
    return cmd;
  }

  /** SIGKILL: no shutdown hook, no close, no last write; returns once the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("simulator did not die on SIGKILL");
    }
  }

  /** Stops the process (SIGTERM) and waits for it, so its ports and files are released. */
  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The process's output so far. */
  String output() throws IOException {
    return Files.readString(log);
  }
}
