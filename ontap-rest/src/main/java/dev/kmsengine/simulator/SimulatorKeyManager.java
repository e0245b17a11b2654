package dev.kmsengine.simulator;

import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.tls.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The one place where the simulator chooses how the top-level KEK is obtained, and what it tells the user to
 * configure.
 *
 * <p>In this build the Keystone/Barbican emulator is stood in for by core's {@link InMemoryKeyProvider}: one
 * application credential and one AES-256 key are created at start and printed as if the emulator had issued them,
 * and the URLs printed name the emulator's usual ports. Configurations using other credentials or keys fail as
 * they would against Barbican (authentication, key not found). Without the emulator, the simulator would need the
 * connector's real Keystone/Barbican provider, which this build does not contain, so it refuses to start.
 */
final class SimulatorKeyManager {
  private final TopLevelKeyProvider provider;
  private final List<X509Certificate> trustedCas;
  private final String keystoneUrl;
  private final String keyId;
  private final String credentialId;
  private final Secret credentialSecret;

  private SimulatorKeyManager(TopLevelKeyProvider provider, List<X509Certificate> trustedCas, String keystoneUrl,
      String keyId, String credentialId, Secret credentialSecret) {
    this.provider = provider;
    this.trustedCas = List.copyOf(trustedCas);
    this.keystoneUrl = keystoneUrl;
    this.keyId = keyId;
    this.credentialId = credentialId;
    this.credentialSecret = credentialSecret;
  }

  static SimulatorKeyManager open(SimulatorOptions options) throws UsageException, IOException {
    List<X509Certificate> trusted = new ArrayList<>();
    for (Path ca : options.trustCas()) {
      trusted.addAll(readCa(ca));
    }
    if (!options.emulator()) {
      throw new UsageException("--no-emulator is not available yet: talking to a real Keystone and Barbican needs"
          + " the Barbican connector's key provider, which this build of the simulator does not include.");
    }
    SecureRandom random = new SecureRandom();
    byte[] id = new byte[16];
    random.nextBytes(id);
    byte[] secret = new byte[24];
    random.nextBytes(secret);
    String credentialId = HexFormat.of().formatHex(id);
    Secret credentialSecret = Secret.of(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    InMemoryKeyProvider p = new InMemoryKeyProvider().addCredential(credentialId, credentialSecret);
    String keyId = p.createKey("https://127.0.0.1:9311/v1/secrets/" + UUID.randomUUID());
    return new SimulatorKeyManager(p, trusted, "https://127.0.0.1:5000/v3/auth/tokens", keyId, credentialId,
        credentialSecret);
  }

  private static List<X509Certificate> readCa(Path file) throws UsageException, IOException {
    if (!Files.isReadable(file)) {
      throw new UsageException("--trust-ca " + file + ": not a readable file.");
    }
    try {
      return Pem.readCertificates(Files.readString(file));
    } catch (GeneralSecurityException e) {
      throw new UsageException("--trust-ca " + file + ": not a PEM certificate.");
    }
  }

  TopLevelKeyProvider provider() {
    return provider;
  }

  /**
   * The extra CAs given with {@code --trust-ca}, for the real Keystone/Barbican provider; the in-memory stand-in
   * makes no TLS connection, so it does not use them.
   */
  List<X509Certificate> trustedCas() {
    return trustedCas;
  }

  /** What the banner says about where keys come from. */
  String description() {
    return "in-memory stand-in for the Keystone/Barbican emulator (core InMemoryKeyProvider)"
        + (trustedCas.isEmpty() ? "" : "; " + trustedCas.size() + " extra CA certificate(s) loaded for Barbican");
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

  @Override
  public String toString() {
    return "SimulatorKeyManager[" + description() + ", credential=" + credentialId + ", secret redacted]";
  }
}
