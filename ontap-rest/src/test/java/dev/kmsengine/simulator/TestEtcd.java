package dev.kmsengine.simulator;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.opentest4j.TestAbortedException;

/**
 * The 3-member etcd of {@code scripts/integration/etcd-up.sh} (whose members a test may kill and start again), found
 * through the {@code KMS_IT_ETCD_ENDPOINTS} line of the env file it writes ({@code KMS_IT_ETCD_ENV_FILE}, default {@code /tmp/kms-it-etcd-env.sh}), as
 * cluster-etcd's tests find it: without the file a test is skipped, or fails when {@code KMS_CI=1}. Each test
 * takes a namespace of its own ({@link #freshNamespace}) and deletes it after ({@link #deleteNamespace}).
 */
final class TestEtcd {
  private static final Path ENV_FILE = Path.of(System.getenv().getOrDefault("KMS_IT_ETCD_ENV_FILE",
      "/tmp/kms-it-etcd-env.sh"));
  private static final String ENDPOINTS = "export KMS_IT_ETCD_ENDPOINTS=";

  private TestEtcd() {}

  /** The members' client URLs. */
  static List<URI> endpoints() throws IOException {
    if (!Files.isRegularFile(ENV_FILE)) {
      String why = "no etcd cluster: " + ENV_FILE + " is missing (run bash scripts/integration/etcd-up.sh)";
      if ("1".equals(System.getenv("KMS_CI"))) {
        throw new AssertionError(why + "; KMS_CI=1 requires it");
      }
      throw new TestAbortedException(why);
    }
    for (String line : Files.readAllLines(ENV_FILE)) {
      if (line.startsWith(ENDPOINTS)) {
        return Arrays.stream(line.substring(ENDPOINTS.length()).replace("'", "").split(",")).map(URI::create)
            .toList();
      }
    }
    throw new AssertionError(ENV_FILE + " names no " + ENDPOINTS.substring("export ".length()));
  }

  /** {@code --cluster-db}'s value for this etcd. */
  static String clusterDb() throws IOException {
    return EtcdStoreOptions.SCHEME + String.join(",", endpoints().stream().map(URI::toString).toList());
  }

  /** The value of {@code export NAME=...} in the env file. */
  private static String env(String name) throws IOException {
    endpoints();
    String prefix = "export " + name + "=";
    for (String line : Files.readAllLines(ENV_FILE)) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length()).replace("'", "");
      }
    }
    throw new AssertionError(ENV_FILE + " names no " + name);
  }

  /** The members' names, e.g. {@code m0, m1, m2}. */
  static List<String> members() throws IOException {
    return List.of(env("KMS_IT_ETCD_MEMBERS").split(","));
  }

  /** SIGKILL of one member, by the PID file of {@code etcd-up.sh}; returns once it is gone. */
  static void killMember(String member) throws Exception {
    long pid = Long.parseLong(Files.readString(Path.of(env("KMS_IT_ETCD_" + member + "_PID_FILE"))).trim());
    ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("member " + member + " is down"));
    h.destroyForcibly();
    h.onExit().get(60, TimeUnit.SECONDS);
  }

  /**
   * Starts the members that are down again, on their data directories, with {@code etcd-up.sh}, which returns once
   * all three answer a health check.
   */
  static void startMissingMembers() throws Exception {
    Path script = Path.of("").toAbsolutePath().resolveSibling("scripts").resolve("integration/etcd-up.sh");
    Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("etcd-up.sh did not finish in 120 s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("etcd-up.sh failed: " + p.exitValue());
    }
  }

  /** A namespace no other test run uses. */
  static String freshNamespace() {
    return "/kms-test/simulator-" + UUID.randomUUID() + "/";
  }

  /** How many keys {@code namespace} holds. */
  static long keys(String namespace) throws Exception {
    try (Client c = Client.builder().endpoints(endpoints().toArray(URI[]::new)).build()) {
      ByteSequence ns = ByteSequence.from(namespace, StandardCharsets.UTF_8);
      return c.getKVClient().get(ns, GetOption.builder().isPrefix(true).withCountOnly(true).build())
          .get(60, TimeUnit.SECONDS).getCount();
    }
  }

  /** Deletes every key of {@code namespace}. */
  static void deleteNamespace(String namespace) throws Exception {
    try (Client c = Client.builder().endpoints(endpoints().toArray(URI[]::new)).build()) {
      ByteSequence ns = ByteSequence.from(namespace, StandardCharsets.UTF_8);
      c.getKVClient().delete(ns, DeleteOption.builder().isPrefix(true).build()).get(60, TimeUnit.SECONDS);
    }
  }

  /** Writes {@code value} at {@code namespace + key}, e.g. to plant a foreign store there. */
  static void put(String namespace, String key, String value) throws Exception {
    try (Client c = Client.builder().endpoints(endpoints().toArray(URI[]::new)).build()) {
      c.getKVClient().put(ByteSequence.from(namespace + key, StandardCharsets.UTF_8),
          ByteSequence.from(value, StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS);
    }
  }
}
