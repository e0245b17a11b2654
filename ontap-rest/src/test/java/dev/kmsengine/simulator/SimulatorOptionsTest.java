package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line: defaults, every option, and the options this build cannot honour yet refused clearly. */
class SimulatorOptionsTest {
  @Test
  void noArguments_giveTheDocumentedDefaults() throws Exception {
    SimulatorOptions o = SimulatorOptions.parse(new String[0]);
    assertEquals(8443, o.port());
    assertEquals("127.0.0.1", o.bind());
    assertEquals(4, o.nodes());
    assertEquals(List.of("svm1", "barbican_svm"), o.svms());
    assertNull(o.adminPassword());
    assertTrue(o.emulator());
  }

  @Test
  void everyOption_isParsed() throws Exception {
    SimulatorOptions o = SimulatorOptions.parse(new String[] {"--port", "0", "--bind", "::1", "--nodes", "2",
        "--svm", "a", "--svm", "b", "--admin-password", "pw", "--trust-ca", "x.pem", "--ready-file", "r.json"});
    assertEquals(0, o.port());
    assertEquals("::1", o.bind());
    assertEquals(2, o.nodes());
    assertEquals(List.of("a", "b"), o.svms());
    assertEquals("pw", o.adminPassword());
    assertEquals(List.of(Path.of("x.pem")), o.trustCas());
    assertEquals(Path.of("r.json"), o.readyFile());
    assertFalse(o.toString().contains("pw"), "the password stays out of toString");
  }

  @Test
  void connectionLimits_defaultToTheDocumentedValues_andAreParsedAndBounded() throws Exception {
    SimulatorOptions d = SimulatorOptions.parse(new String[0]);
    assertEquals(List.of(5, 5, 30, 1000), List.of(d.handshakeTimeout(), d.headerTimeout(), d.idleTimeout(),
        d.maxConnections()));
    SimulatorOptions o = SimulatorOptions.parse(new String[] {"--handshake-timeout", "2", "--header-timeout", "3",
        "--idle-timeout", "9", "--max-connections", "50"});
    assertEquals(List.of(2, 3, 9, 50), List.of(o.handshakeTimeout(), o.headerTimeout(), o.idleTimeout(),
        o.maxConnections()));
    assertTrue(assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--idle-timeout", "0"}))
        .getMessage().contains("--idle-timeout"));
  }

  @Test
  void badArguments_areUsageErrorsNamingTheOption() {
    assertTrue(assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--port", "x"}))
        .getMessage().contains("--port"));
    assertTrue(assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--nodes", "0"}))
        .getMessage().contains("--nodes"));
    assertTrue(assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--frobnicate"}))
        .getMessage().contains("--frobnicate"));
    assertTrue(assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--svm"}))
        .getMessage().contains("needs a value"));
  }

  private static PrintStream sink() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void noEmulator_startsWithoutEmulator_andTheReadyFileNamesNone() throws Exception {
    Path ready = Files.createTempDirectory("noemu-").resolve("ready.json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Simulator s = Simulator.start(new String[] {"--port", "0", "--no-emulator", "--ready-file",
        ready.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8))) {
      assertTrue(s.keys().emulator().isEmpty());
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("--no-emulator"));
      assertTrue(ApiClient.JSON.readTree(ready.toFile()).path("emulator").isMissingNode());
    }
  }

  @Test
  void trustCa_thatIsNotPem_isRefused() throws Exception {
    Path bad = Files.createTempFile("not-a-ca", ".pem");
    Files.writeString(bad, "hello");
    UsageException e = assertThrows(UsageException.class,
        () -> Simulator.start(new String[] {"--port", "0", "--trust-ca", bad.toString()}, sink()));
    assertTrue(e.getMessage().contains("--trust-ca"), e.getMessage());
  }

  @Test
  void trustCa_thatIsPem_isLoadedForTheKeyManager() throws Exception {
    Path ca = Files.createTempFile("extra-ca", ".pem");
    Files.writeString(ca, dev.kmsengine.testkit.tls.CertificateAuthority.create("extra").certificatePem());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Simulator s = Simulator.start(new String[] {"--port", "0", "--trust-ca", ca.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8))) {
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("1 --trust-ca file(s) trusted"));
      assertTrue(s.server().port() > 0);
    }
  }

  @Test
  void tlsCertAndKey_givenAsPem_areServedAndNamedInTheReadyFile() throws Exception {
    Path dir = Files.createTempDirectory("given-tls-");
    dev.kmsengine.testkit.tls.CertificateAuthority.create("given").save(dir);
    Path ready = dir.resolve("ready.json");
    try (Simulator s = Simulator.start(new String[] {"--port", "0", "--tls-cert", dir.resolve("ca.pem").toString(),
        "--tls-key", dir.resolve("ca-key.pem").toString(), "--ready-file", ready.toString()}, sink())) {
      assertTrue(s.server().port() > 0);
      assertEquals(dir.resolve("ca.pem").toAbsolutePath().toString(),
          ApiClient.JSON.readTree(ready.toFile()).get("ca_cert").asText());
    }
    assertThrows(UsageException.class, () -> Simulator.start(new String[] {"--port", "0", "--tls-cert",
        dir.resolve("ca.pem").toString(), "--tls-key", dir.resolve("ca.pem").toString()}, sink()));
  }

  @Test
  void start_printsCredentialsAndCurl_andWritesAnOwnerOnlyReadyFile() throws Exception {
    Path ready = Files.createTempDirectory("opts-").resolve("ready.json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Simulator s = Simulator.start(new String[] {"--port", "0", "--admin-password", "opensesame",
        "--ready-file", ready.toString(), "--nodes", "3", "--svm", "only_svm"},
        new PrintStream(out, true, StandardCharsets.UTF_8))) {
      String banner = out.toString(StandardCharsets.UTF_8);
      assertTrue(banner.contains(s.server().baseUri().toString()));
      assertTrue(banner.contains("admin / opensesame"));
      assertTrue(banner.contains("curl --cacert"));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ready)));
      var json = ApiClient.JSON.readTree(ready.toFile());
      assertEquals("opensesame", json.at("/admin/password").asText());
      assertEquals(3, json.at("/cluster/nodes").size());
      assertEquals("only_svm", json.at("/cluster/svms/0").asText());
      var emulator = s.keys().emulator().orElseThrow();
      assertTrue(json.at("/emulator/key_id").asText().startsWith(emulator.barbicanUrl() + "/v1/secrets/"));
      assertEquals(emulator.keystoneUrl() + "/auth/tokens", json.at("/emulator/keystone_url").asText());
      assertEquals(emulator.caCertificatePem(), Files.readString(Path.of(json.at("/emulator/ca_cert").asText())));
      assertTrue(banner.contains(json.at("/emulator/application_cred_id").asText()));
      assertTrue(Files.readString(Path.of(json.get("ca_cert").asText())).contains("BEGIN CERTIFICATE"));
    }
  }
}
