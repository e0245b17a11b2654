package dev.kmsengine.testkit.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The proof that OpenStack's own tools cannot tell the emulator from the real thing: {@code side_by_side.py} (the
 * {@code openstack} CLI, barbicanclient, castellan and keystoneauth) runs against the emulator and against the real
 * Keystone and Barbican of {@code scripts/integration/up.sh}, and every call must have the same outcome on both.
 * Skipped when the real servers or the Python clients are absent, except under {@code KMS_CI=1}, where that fails.
 */
class OpenStackSideBySideTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCRIPT = Path.of("src", "test", "python", "side_by_side.py");
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  /** Roles of the real suite's application credential (start.sh gives it reader, member and creator). */
  private static final List<String> SUITE_ROLES = List.of("reader", "member", "creator");

  @Test
  void everyCallOfTheScript_hasTheSameOutcome_onTheEmulatorAndOnTheRealServers() throws Exception {
    Map<String, String> real = realServers();
    // Kept after the run (emulator.json, real.json and the scripts' logs) for whoever reads a failure.
    Path dir = Files.createDirectories(Path.of("target", "side-by-side"));
    try (OpenStackEmulator os = OpenStackEmulator.builder()
        .tokenLifetime(Duration.ofSeconds(Long.parseLong(real.getOrDefault("KMS_IT_TOKEN_LIFETIME", "3600"))))
        .start()) {
      Path ca = dir.resolve("emulator-ca.pem");
      Files.writeString(ca, os.caCertificatePem());
      ca = ca.toAbsolutePath();
      OpenStackEmulator.ApplicationCredential cred = os.createApplicationCredential(os.defaultProject(), SUITE_ROLES);
      OpenStackEmulator.ApplicationCredential member =
          os.createApplicationCredential(os.defaultProject(), List.of("member"));
      Map<String, String> emulated = new HashMap<>(Map.of("SBS_AUTH_URL", os.keystoneUrl(),
          "SBS_BARBICAN_URL", os.barbicanUrl(), "SBS_CA", ca.toString(), "SBS_CRED_ID", cred.id(),
          "SBS_CRED_SECRET", cred.secret().reveal(), "SBS_MEMBER_ID", member.id(),
          "SBS_MEMBER_SECRET", member.secret().reveal()));
      Map<String, String> onReal = new HashMap<>(Map.of("SBS_AUTH_URL", real.get("KEYSTONE_AUTH_URL"),
          "SBS_BARBICAN_URL", real.get("BARBICAN_URL"), "SBS_CA", real.get("CA_CERT"),
          "SBS_CRED_ID", real.get("APP_CRED_ID"), "SBS_CRED_SECRET", real.get("APP_CRED_SECRET"),
          "SBS_USER_NAME", real.getOrDefault("IT_USER", "barbican-it-user"),
          "SBS_USER_PASSWORD", real.get("IT_USER_PASSWORD"),
          "SBS_PROJECT_NAME", real.getOrDefault("IT_PROJECT", "barbican-it")));
      Process emulatorRun = start(emulated, dir.resolve("emulator"));
      Process realRun = start(onReal, dir.resolve("real"));
      List<JsonNode> mine = outcomes(emulatorRun, dir.resolve("emulator"));
      List<JsonNode> theirs = outcomes(realRun, dir.resolve("real"));

      assertEquals(names(theirs), names(mine), "both runs made the same calls");
      List<String> differences = new ArrayList<>();
      for (int i = 0; i < mine.size(); i++) {
        if (!mine.get(i).equals(theirs.get(i))) {
          differences.add(mine.get(i).path("call").asText() + "\n    emulator: " + mine.get(i).path("outcome")
              + "\n    real:     " + theirs.get(i).path("outcome"));
        }
      }
      assertTrue(differences.isEmpty(), () -> differences.size() + " of " + mine.size()
          + " calls differ:\n  " + String.join("\n  ", differences));
      assertTrue(mine.size() >= 20, "at least 20 calls, got " + mine.size());
      long succeeded = mine.stream().filter(o -> o.path("outcome").path("ok").asBoolean()).count();
      assertTrue(succeeded >= mine.size() / 2, "most calls succeed on both (" + succeeded + " did), so the "
          + "equality is not that of two setups failing alike");
      assertTrue(os.tokenRequests() > 0 && os.payloadRequests() > 0, "the script reached the emulator");
    }
  }

  private static List<String> names(List<JsonNode> outcomes) {
    return outcomes.stream().map(o -> o.path("call").asText()).toList();
  }

  private static Process start(Map<String, String> env, Path out) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString())
        .redirectOutput(out.resolveSibling(out.getFileName() + ".json").toFile())
        .redirectError(out.resolveSibling(out.getFileName() + ".log").toFile());
    Map<String, String> e = pb.environment();
    // The image points requests at the system CA bundle and may name proxies; the script passes its CA itself and
    // talks to loopback only.
    for (String name : List.of("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY",
        "HTTPS_PROXY", "all_proxy", "ALL_PROXY")) {
      e.remove(name);
    }
    e.put("no_proxy", "127.0.0.1,localhost");
    e.putAll(env);
    return pb.start();
  }

  private static List<JsonNode> outcomes(Process p, Path out) throws Exception {
    Path json = out.resolveSibling(out.getFileName() + ".json");
    Path log = out.resolveSibling(out.getFileName() + ".log");
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("side_by_side.py against the " + out.getFileName() + " did not finish in 15 minutes");
    }
    if (p.exitValue() != 0) {
      fail("side_by_side.py against the " + out.getFileName() + " failed (exit " + p.exitValue() + "):\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    List<JsonNode> list = new ArrayList<>();
    JSON.readTree(json.toFile()).forEach(list::add);
    return list;
  }

  /** The real servers' settings, or a skip (a failure under {@code KMS_CI}) when they or the clients are absent. */
  private static Map<String, String> realServers() throws IOException {
    Map<String, String> v = new HashMap<>();
    Path envFile = Path.of(System.getenv().getOrDefault("KMS_IT_ENV_FILE", "/tmp/kms-it-env.sh"));
    if (!Files.isReadable(envFile)) {
      unavailable("no " + envFile + " (start the servers with scripts/integration/up.sh)");
    }
    v.putAll(exports(Files.readAllLines(envFile)));
    Path state = Path.of(v.getOrDefault("OPENSTACK_STATE_DIR", "/tmp/openstack-loopback"), "state.env");
    if (!Files.isReadable(state)) {
      unavailable("no " + state + " (it holds the suite user's password)");
    }
    v.putAll(exports(Files.readAllLines(state)));
    for (String name : List.of("KEYSTONE_AUTH_URL", "BARBICAN_URL", "CA_CERT", "APP_CRED_ID", "APP_CRED_SECRET",
        "IT_USER_PASSWORD")) {
      if (v.getOrDefault(name, "").isEmpty()) {
        unavailable(name + " is not set in " + envFile + " or " + state);
      }
    }
    for (String url : List.of(v.get("KEYSTONE_AUTH_URL"), v.get("BARBICAN_URL"))) {
      URI u = URI.create(url);
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 2_000);
      } catch (IOException e) {
        unavailable(u.getHost() + ":" + u.getPort() + " is not listening");
      }
    }
    if (!Files.isExecutable(PYTHON) || !Files.isExecutable(Path.of("/usr/bin/openstack"))) {
      unavailable("/usr/bin/python3 or /usr/bin/openstack is missing (python3-openstackclient, "
          + "python3-barbicanclient, python3-castellan)");
    }
    return v;
  }

  /** {@code KEY=value} and {@code export KEY=value OTHER=value} lines; values hold no spaces. */
  static Map<String, String> exports(List<String> lines) {
    Map<String, String> v = new HashMap<>();
    for (String line : lines) {
      String l = line.strip();
      if (l.startsWith("#") || l.isEmpty()) {
        continue;
      }
      for (String word : (l.startsWith("export ") ? l.substring(7) : l).split("\\s+")) {
        int eq = word.indexOf('=');
        if (eq > 0) {
          v.put(word.substring(0, eq), word.substring(eq + 1));
        }
      }
    }
    return v;
  }

  private static void unavailable(String why) {
    if (System.getenv("KMS_CI") != null) {
      fail("KMS_CI is set but the side-by-side proof cannot run: " + why);
    }
    Assumptions.abort("side-by-side proof skipped: " + why);
  }
}
