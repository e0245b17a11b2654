package dev.kmsengine.integration;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The real servers started by {@code scripts/integration/up.sh}: read from the process environment, or else from
 * the env file ({@code KMS_IT_ENV_FILE}, default {@code /tmp/kms-it-env.sh}). When they are missing or not
 * listening the tests are skipped, except under {@code KMS_CI=1}, where that is a failure: CI must never skip
 * them silently.
 */
final class ItEnvironment {
  static final List<String> REQUIRED = List.of("KEYSTONE_URL", "BARBICAN_URL", "BARBICAN_KEY_ID", "APP_CRED_ID",
      "APP_CRED_SECRET", "CA_CERT", "BARBICAN_KEY_B64", "KMS_IT_PROXY_HOST", "KMS_IT_PROXY_PORT", "KMS_IT_PROXY_USER",
      "KMS_IT_PROXY_PASSWORD", "KMS_IT_HTTPS_PROXY_PORT", "KMS_IT_HTTPS_PROXY_CA", "KMS_IT_TOKEN_LIFETIME",
      "KMS_IT_READER_APP_CRED_ID", "KMS_IT_READER_APP_CRED_SECRET", "OPENSTACK_STATE_DIR");

  private final Map<String, String> values;

  private ItEnvironment(Map<String, String> values) {
    this.values = values;
  }

  String get(String name) {
    return values.get(name);
  }

  int getInt(String name) {
    return Integer.parseInt(values.get(name));
  }

  /** The environment, or a skip (a failure under {@code KMS_CI=1}) saying what is missing and how to start it. */
  static ItEnvironment require() {
    Map<String, String> v = new HashMap<>();
    String file = System.getenv().getOrDefault("KMS_IT_ENV_FILE", "/tmp/kms-it-env.sh");
    if (System.getenv("KEYSTONE_URL") != null && System.getenv("KMS_IT_PROXY_PORT") != null) {
      v.putAll(System.getenv());
    } else if (Files.isReadable(Path.of(file))) {
      try {
        v.putAll(parse(Files.readAllLines(Path.of(file))));
      } catch (IOException e) {
        unavailable("cannot read " + file + ": " + e.getMessage());
      }
    } else {
      unavailable("no " + file + " and no KEYSTONE_URL/KMS_IT_PROXY_PORT in the environment");
    }
    for (String name : REQUIRED) {
      if (v.get(name) == null || v.get(name).isEmpty()) {
        unavailable(name + " is not set (from " + file + ")");
      }
    }
    for (String url : List.of(v.get("KEYSTONE_URL"), v.get("BARBICAN_URL"))) {
      URI u = URI.create(url);
      if (!listening(u.getHost(), u.getPort())) {
        unavailable(u.getHost() + ":" + u.getPort() + " is not listening");
      }
    }
    if (!listening(v.get("KMS_IT_PROXY_HOST"), Integer.parseInt(v.get("KMS_IT_PROXY_PORT")))) {
      unavailable("the proxy is not listening");
    }
    return new ItEnvironment(v);
  }

  private static boolean listening(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void unavailable(String why) {
    String msg = "real OpenStack/proxy environment unavailable: " + why
        + " (start it with: sudo bash scripts/integration/up.sh)";
    if ("1".equals(System.getenv("KMS_CI"))) {
      fail("KMS_CI=1 requires the integration environment: " + msg);
    }
    Assumptions.abort(msg);
  }

  /** Reads {@code export NAME=VALUE} lines as bash's {@code printf %q} writes them. */
  static Map<String, String> parse(List<String> lines) {
    Map<String, String> out = new HashMap<>();
    for (String line : lines) {
      String l = line.strip();
      if (!l.startsWith("export ")) {
        continue;
      }
      l = l.substring(7);
      int eq = l.indexOf('=');
      if (eq > 0) {
        out.put(l.substring(0, eq), unquote(l.substring(eq + 1)));
      }
    }
    return out;
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
      return v.substring(1, v.length() - 1);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\' && i + 1 < v.length()) {
        b.append(v.charAt(++i));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
