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
 * The 3-member etcd of {@code scripts/integration/etcd-up.sh}, found through the {@code KMS_IT_ETCD_ENDPOINTS}
 * line of the env file it writes ({@code KMS_IT_ETCD_ENV_FILE}, default {@code /tmp/kms-it-etcd-env.sh}), as
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
