package dev.kmsengine.etcd;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.opentest4j.TestAbortedException;

/**
 * The 3-member etcd that {@code scripts/integration/etcd-up.sh} started, found through the env file it wrote
 * ({@code KMS_IT_ETCD_ENV_FILE}, default {@code /tmp/kms-it-etcd-env.sh}). Without it a test is skipped, or
 * fails when {@code KMS_CI=1}.
 */
final class EtcdTestCluster {
  static final Path ENV_FILE = Path.of(System.getenv().getOrDefault("KMS_IT_ETCD_ENV_FILE",
      "/tmp/kms-it-etcd-env.sh"));
  private static Map<String, String> vars;

  private EtcdTestCluster() {}

  /** The variables of the env file; skips (or fails under KMS_CI=1) when there is none. */
  static synchronized Map<String, String> env() {
    if (vars == null) {
      if (!Files.isRegularFile(ENV_FILE)) {
        String why = "no etcd cluster: " + ENV_FILE + " is missing (run bash scripts/integration/etcd-up.sh)";
        if ("1".equals(System.getenv("KMS_CI"))) {
          throw new AssertionError(why + "; KMS_CI=1 requires it");
        }
        throw new TestAbortedException(why);
      }
      Map<String, String> m = new HashMap<>();
      try {
        for (String line : Files.readAllLines(ENV_FILE)) {
          if (line.startsWith("export ")) {
            int eq = line.indexOf('=');
            String value = line.substring(eq + 1);
            if (value.startsWith("'") && value.endsWith("'")) {
              value = value.substring(1, value.length() - 1);
            }
            m.put(line.substring("export ".length(), eq), value);
          }
        }
      } catch (IOException e) {
        throw new AssertionError("cannot read " + ENV_FILE, e);
      }
      vars = m;
    }
    return vars;
  }

  /** The members' client URLs. */
  static List<URI> endpoints() {
    return Arrays.stream(env().get("KMS_IT_ETCD_ENDPOINTS").split(",")).map(URI::create).toList();
  }

  /** A store in a namespace of its own, with its key file in {@code dir}. */
  static EtcdClusterDatabase open(Path dir) {
    return builder(dir, "/kms-test/" + UUID.randomUUID() + "/").open();
  }

  static EtcdClusterDatabase.Builder builder(Path dir, String namespace) {
    return EtcdClusterDatabase.builder(endpoints()).namespace(namespace)
        .configProtectionKeyFile(dir.resolve("etcd.config-protection-key"));
  }
}
