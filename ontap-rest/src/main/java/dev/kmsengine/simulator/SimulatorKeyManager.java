package dev.kmsengine.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.barbican.BarbicanKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.rest.SimulatorControls;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.tls.Pem;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place where the simulator chooses how the top-level KEK is obtained, and what it tells the user to
 * configure.
 *
 * <p>The provider is always the connector's {@link BarbicanKeyProvider}, with a KEK cache of bounded lifetime (a
 * rekey or restore fetches the key once per node) and a {@link SimulatorNetwork} that gives each node its own path,
 * so a node can be cut off. It trusts every {@code --trust-ca} file and, when the embedded {@link OpenStackEmulator}
 * runs (the default), the emulator's CA. The emulator gets one application credential and one AES-256 secret, which
 * the banner and the ready file name. With a data directory the emulator keeps its CA, ports, credential and
 * secret there, so a restarted simulator serves the same key at the same URL.
 */
final class SimulatorKeyManager implements SimulatorControls, AutoCloseable {
  /** How long a node keeps a fetched KEK: long enough for one operation, short enough to notice a lost key. */
  static final Duration KEK_CACHE_TTL = Duration.ofSeconds(30);
  private static final String ISSUED_FILE = "simulator-credential.json";

  private final BarbicanKeyProvider provider;
  private final SimulatorNetwork network;
  private final OpenStackEmulator emulator;
  private final int trustedCaFiles;
  private final String keystoneUrl;
  private final String keyId;
  private final String credentialId;
  private final Secret credentialSecret;
  private final Path caFile;

  private SimulatorKeyManager(BarbicanKeyProvider provider, SimulatorNetwork network, OpenStackEmulator emulator,
      int trustedCaFiles, Issued issued, Path caFile) {
    this.provider = provider;
    this.network = network;
    this.emulator = emulator;
    this.trustedCaFiles = trustedCaFiles;
    this.keystoneUrl = issued == null ? null : issued.keystoneUrl;
    this.keyId = issued == null ? null : issued.keyId;
    this.credentialId = issued == null ? null : issued.credentialId;
    this.credentialSecret = issued == null ? null : issued.secret;
    this.caFile = caFile;
  }

  /** What the emulator issued to the simulator's user. */
  private record Issued(String keystoneUrl, String keyId, String credentialId, Secret secret) {}

  /**
   * Starts the key manager {@code options} ask for.
   *
   * @param stateDir where the emulator's CA certificate is written for the user (a fresh temporary directory)
   * @param dataDirOrNull where the emulator keeps its state across restarts, or null for memory only
   */
  static SimulatorKeyManager open(SimulatorOptions options, Path stateDir, Path dataDirOrNull)
      throws UsageException, IOException {
    List<String> trustedPems = new ArrayList<>();
    for (Path ca : options.trustCas()) {
      trustedPems.add(readCa(ca));
    }
    SimulatorNetwork network = new SimulatorNetwork();
    OpenStackEmulator emulator = null;
    Issued issued = null;
    Path caFile = null;
    if (options.emulator()) {
      OpenStackEmulator.Builder b = OpenStackEmulator.builder();
      Path emulatorDir = dataDirOrNull == null ? null : dataDirOrNull.resolve("openstack");
      if (emulatorDir != null) {
        b.dataDirectory(emulatorDir);
      }
      emulator = b.start();
      try {
        issued = issue(emulator, emulatorDir);
        caFile = stateDir.resolve("openstack-ca.pem");
        Files.writeString(caFile, emulator.caCertificatePem());
      } catch (IOException | RuntimeException e) {
        emulator.close();
        throw e;
      }
      trustedPems.add(emulator.caCertificatePem());
    }
    BarbicanKeyProvider.Builder pb = BarbicanKeyProvider.builder().kekCacheTtl(KEK_CACHE_TTL).network(network);
    trustedPems.forEach(pb::trustedCaPem);
    return new SimulatorKeyManager(pb.build(), network, emulator, options.trustCas().size(), issued, caFile);
  }

  /** The credential and secret for the user: the saved ones if the emulator still has them, else new ones. */
  private static Issued issue(OpenStackEmulator os, Path dir) throws IOException {
    String tokens = os.keystoneUrl() + "/auth/tokens";
    Path file = dir == null ? null : dir.resolve(ISSUED_FILE);
    if (file != null && Files.exists(file)) {
      JsonNode saved = new ObjectMapper().readTree(file.toFile());
      String keyId = saved.path("key_id").asText();
      String id = saved.path("application_cred_id").asText();
      String secret = saved.path("application_cred_secret").asText();
      if (!keyId.isEmpty() && !id.isEmpty() && !secret.isEmpty() && os.secretPayload(keyId) != null) {
        // Re-adding is idempotent and keeps the credential usable even if only the secret survived.
        os.addApplicationCredential(id, secret);
        return new Issued(tokens, keyId, id, Secret.of(secret));
      }
    }
    OpenStackEmulator.ApplicationCredential cred = os.createApplicationCredential();
    Issued issued = new Issued(tokens, os.createSecret(), cred.id(), cred.secret());
    if (file != null) {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("key_id", issued.keyId);
      o.put("application_cred_id", issued.credentialId);
      o.put("application_cred_secret", issued.secret.reveal());
      Path tmp = Files.createTempFile(dir, ".credential", ".tmp");
      try {
        ReadyFile.restrict(tmp);
        Files.write(tmp, new ObjectMapper().writeValueAsBytes(o));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    return issued;
  }

  private static String readCa(Path file) throws UsageException, IOException {
    if (!Files.isReadable(file)) {
      throw new UsageException("--trust-ca " + file + ": not a readable file.");
    }
    String pem = Files.readString(file);
    try {
      if (Pem.readCertificates(pem).isEmpty()) {
        throw new UsageException("--trust-ca " + file + ": no certificate in it.");
      }
    } catch (GeneralSecurityException e) {
      throw new UsageException("--trust-ca " + file + ": not a PEM certificate.");
    }
    return pem;
  }

  TopLevelKeyProvider provider() {
    return provider;
  }

  /** Whether the embedded emulator runs, and so whether the values below exist. */
  boolean emulatorRunning() {
    return emulator != null;
  }

  /** What the banner says about where keys come from. */
  String description() {
    String trust = trustedCaFiles == 0 ? "" : "; " + trustedCaFiles + " --trust-ca file(s) trusted";
    return emulator != null
        ? "embedded Keystone/Barbican emulator (Keystone " + emulator.keystoneUrl() + ", Barbican "
            + emulator.barbicanUrl() + ")" + trust
        : "your own Keystone/Barbican (--no-emulator)" + trust;
  }

  String keystoneUrl() {
    return keystoneUrl;
  }

  String keyId() {
    return keyId;
  }

  String credentialId() {
    return credentialId;
  }

  Secret credentialSecret() {
    return credentialSecret;
  }

  /** The emulator's CA certificate (PEM file), or null without the emulator. */
  Path caFile() {
    return caFile;
  }

  @Override
  public boolean connected(String node) {
    return network.connected(node);
  }

  @Override
  public void connect(String node, boolean connected) {
    network.connect(node, connected);
    provider.forgetCachedKeys();
  }

  @Override
  public boolean keystoneUp() {
    return emulator == null || network.reachable(keystonePort());
  }

  @Override
  public void keystoneUp(boolean up) {
    if (emulator != null) {
      network.reachable(keystonePort(), up);
      provider.forgetCachedKeys();
    }
  }

  @Override
  public boolean barbicanUp() {
    return emulator == null || network.reachable(barbicanPort());
  }

  @Override
  public void barbicanUp(boolean up) {
    if (emulator != null) {
      network.reachable(barbicanPort(), up);
      provider.forgetCachedKeys();
    }
  }

  private int barbicanPort() {
    return URI.create(emulator.barbicanUrl()).getPort();
  }

  private int keystonePort() {
    return URI.create(emulator.keystoneUrl()).getPort();
  }

  @Override
  public Optional<OpenStackEmulator> emulator() {
    return Optional.ofNullable(emulator);
  }

  @Override
  public void forgetCachedKeys() {
    provider.forgetCachedKeys();
  }

  @Override
  public void close() {
    if (emulator != null) {
      emulator.close();
    }
  }

  @Override
  public String toString() {
    return "SimulatorKeyManager[" + description() + ", credential=" + credentialId + ", secret redacted]";
  }
}
