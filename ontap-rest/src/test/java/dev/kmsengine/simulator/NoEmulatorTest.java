package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code --no-emulator}: the simulator talks to a Keystone/Barbican it did not start (here an emulator started by the
 * test, standing for the user's own servers), trusting it only through {@code --trust-ca}.
 */
class NoEmulatorTest {
  @Test
  void noEmulator_trustsTheGivenCa_andEnablesAgainstTheUsersOwnBarbican() throws Exception {
    try (OpenStackEmulator own = OpenStackEmulator.builder().start()) {
      OpenStackEmulator.ApplicationCredential cred = own.createApplicationCredential();
      String key = own.createSecret();
      Path dir = Files.createTempDirectory("no-emulator-");
      Path ca = dir.resolve("openstack-ca.pem");
      Files.writeString(ca, own.caCertificatePem());

      String untrusted = enable(dir, new String[] {}, cred, key, own);
      assertTrue(untrusted.startsWith("65539801 ") && untrusted.contains("TLS"),
          () -> "without --trust-ca the user's Keystone certificate is not trusted: " + untrusted);
      assertEquals("", enable(dir, new String[] {"--trust-ca", ca.toString()}, cred, key, own));
    }
  }

  /** Starts a simulator, creates and enables a configuration; "" on success, else the error code and message. */
  private static String enable(Path dir, String[] extra, OpenStackEmulator.ApplicationCredential cred, String key,
      OpenStackEmulator own) throws Exception {
    Path ready = Files.createTempFile(dir, "ready", ".json");
    String[] base = {"--port", "0", "--no-emulator", "--nodes", "2", "--ready-file", ready.toString()};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    try (Simulator s = Simulator.start(args, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8))) {
      assertTrue(s.keys().emulator().isEmpty());
      ApiClient api = new ApiClient(ApiClient.JSON.readTree(ready.toFile()));
      ObjectNode b = ApiClient.JSON.createObjectNode();
      b.putObject("svm").put("name", "svm1");
      b.putObject("configuration").put("name", "own");
      b.put("application_cred_id", cred.id());
      b.put("application_cred_secret", cred.secret().reveal());
      b.put("key_id", key);
      b.put("keystone_url", own.keystoneUrl());
      Reply created = api.send("POST", "/api/security/barbican-kms?return_timeout=60&return_records=true",
          b.toString());
      if (created.status() != 201) {
        return created.errorCode() + " " + created.body().at("/error/message").asText();
      }
      Reply enabled = api.send("PATCH", "/api/security/key-stores/" + created.body().at("/records/0/uuid").asText()
          + "?return_timeout=60", "{\"enabled\": true}");
      return enabled.status() == 200 ? "" : enabled.errorCode() + " " + enabled.body().at("/error/message").asText();
    }
  }
}
