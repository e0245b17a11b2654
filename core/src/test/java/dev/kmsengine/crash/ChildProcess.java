package dev.kmsengine.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link CrashWorkload} in its own JVM, its stdout lines collected as they arrive. */
final class ChildProcess {
  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Path stderr;

  private ChildProcess(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread reader = new Thread(this::pump, "crash-child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildProcess start(Path dir, String rule, long seed) throws IOException {
    return start(dir, CrashWorkload.class, dir.toString(), rule, Long.toString(seed));
  }

  /** Runs {@code main} from the test class path in a new JVM; its stderr goes to a file in {@code dir}. */
  static ChildProcess start(Path dir, Class<?> main, String... args) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path stderr = dir.resolve("child-stderr.log");
    List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx384m", "-XX:+UseSerialGC",
        "-Dcrash.volumes=" + CrashWorkload.VOLUMES, "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    return new ChildProcess(pb.start(), stderr);
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // The child was killed: its pipe closes, which ends the stream.
    } finally {
      synchronized (lines) {
        lines.add("<eof>");
        lines.notifyAll();
      }
    }
  }

  /** Waits for a line starting with {@code prefix}; returns it, or null on timeout. Fails if the child fails. */
  String await(String prefix, long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    int from = 0;
    synchronized (lines) {
      while (true) {
        for (; from < lines.size(); from++) {
          String l = lines.get(from);
          if (l.startsWith("FAIL") || (l.equals("<eof>") && !prefix.equals("<eof>"))) {
            throw new AssertionError("child failed: " + lines + "\n" + stderrTail());
          }
          if (l.startsWith(prefix)) {
            return l;
          }
        }
        long left = end - System.currentTimeMillis();
        if (left <= 0) {
          return null;
        }
        lines.wait(left);
      }
    }
  }

  /** SIGKILL (on Linux {@code destroyForcibly} sends SIGKILL), then waits until the process is gone. */
  void kill() throws InterruptedException {
    if (!process.isAlive()) {
      throw new AssertionError("child died before it was killed: " + lines() + "\n" + stderrTail());
    }
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("child did not die");
    }
  }

  /** Waits for a child that should exit by itself; returns its status. */
  int waitFor(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child did not finish: " + lines());
    }
    return process.exitValue();
  }

  List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** The last line starting with {@code prefix}, or null. */
  String last(String prefix) {
    List<String> all = lines();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).startsWith(prefix)) {
        return all.get(i);
      }
    }
    return null;
  }

  String stderrTail() {
    try {
      String s = Files.readString(stderr);
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(no stderr)";
    }
  }
}
