package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** The key-manager seam: the emulator it starts, and what it keeps in a data directory across restarts. */
class SimulatorKeyManagerTest {
  @Test
  void open_withDataDirectory_twice_servesTheSameKeyAtTheSameUrlWithTheSameCredential() throws Exception {
    Path data = Files.createTempDirectory("keys-data-");
    SimulatorOptions o = SimulatorOptions.parse(new String[0]);
    String keystone;
    String keyId;
    String credId;
    String secret;
    String ca;
    byte[] key;
    try (SimulatorKeyManager first = SimulatorKeyManager.open(o, Files.createTempDirectory("keys-state-"), data)) {
      keystone = first.keystoneUrl();
      keyId = first.keyId();
      credId = first.credentialId();
      secret = first.credentialSecret().reveal();
      ca = first.emulator().orElseThrow().caCertificatePem();
      key = first.emulator().orElseThrow().secretPayload(keyId);
    }
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(data.resolve("openstack").resolve("simulator-credential.json"))));
    try (SimulatorKeyManager again = SimulatorKeyManager.open(o, Files.createTempDirectory("keys-state-"), data)) {
      assertEquals(keystone, again.keystoneUrl());
      assertEquals(keyId, again.keyId());
      assertEquals(credId, again.credentialId());
      assertEquals(secret, again.credentialSecret().reveal());
      assertEquals(ca, again.emulator().orElseThrow().caCertificatePem());
      assertNotNull(key);
      assertTrue(java.util.Arrays.equals(key, again.emulator().orElseThrow().secretPayload(keyId)));
      assertEquals(ca, Files.readString(again.caFile()));
    }
  }

  @Test
  void open_withoutEmulator_namesNoCredential_andCutsNodesOffThroughItsNetwork() throws Exception {
    SimulatorOptions o = SimulatorOptions.parse(new String[] {"--no-emulator"});
    try (SimulatorKeyManager keys = SimulatorKeyManager.open(o, Files.createTempDirectory("keys-state-"), null)) {
      assertTrue(keys.emulator().isEmpty());
      assertEquals(null, keys.keyId());
      assertTrue(keys.connected("node1"));
      keys.connect("node1", false);
      assertTrue(!keys.connected("node1") && keys.connected("node2"));
    }
  }
}
