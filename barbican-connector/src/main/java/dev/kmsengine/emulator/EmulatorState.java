package dev.kmsengine.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the emulated servers know: application credentials, secrets and issued tokens, and (optionally) the file
 * they are saved in. Tokens are not saved: a restarted Keystone hands out new ones, as a real one does when its
 * signing keys rotate.
 */
final class EmulatorState {
  private static final ObjectMapper JSON = new ObjectMapper();

  record IssuedToken(String credentialId, Instant expiresAt) {}

  final Map<String, String> credentials = new ConcurrentHashMap<>();
  final Map<String, StoredSecret> secrets = new ConcurrentHashMap<>();
  final Map<String, IssuedToken> tokens = new ConcurrentHashMap<>();
  int keystonePort;
  int barbicanPort;
  private final Path file;

  EmulatorState(Path file) {
    this.file = file;
  }

  static EmulatorState load(Path file) throws IOException {
    EmulatorState s = new EmulatorState(file);
    if (file == null || !Files.exists(file)) {
      return s;
    }
    JsonNode root = JSON.readTree(file.toFile());
    s.keystonePort = root.path("keystone_port").asInt(0);
    s.barbicanPort = root.path("barbican_port").asInt(0);
    for (Map.Entry<String, JsonNode> e : root.path("credentials").properties()) {
      s.credentials.put(e.getKey(), e.getValue().asText());
    }
    for (Map.Entry<String, JsonNode> e : root.path("secrets").properties()) {
      JsonNode n = e.getValue();
      String exp = n.path("expiration").asText("");
      s.secrets.put(e.getKey(), new StoredSecret(Base64.getDecoder().decode(n.path("payload").asText()),
          n.path("secret_type").asText(), n.path("algorithm").asText(), n.path("bit_length").asInt(),
          exp.isEmpty() ? null : Instant.parse(exp), Instant.parse(n.path("created").asText())));
    }
    return s;
  }

  /** Writes the state atomically, owner-only, when a file was given. */
  synchronized void save() {
    if (file == null) {
      return;
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("keystone_port", keystonePort);
    root.put("barbican_port", barbicanPort);
    ObjectNode creds = root.putObject("credentials");
    credentials.forEach(creds::put);
    ObjectNode sec = root.putObject("secrets");
    secrets.forEach((id, s) -> {
      ObjectNode n = sec.putObject(id);
      n.put("payload", Base64.getEncoder().encodeToString(s.payload()));
      n.put("secret_type", s.secretType());
      n.put("algorithm", s.algorithm());
      n.put("bit_length", s.bitLength());
      n.put("expiration", s.expiration() == null ? "" : s.expiration().toString());
      n.put("created", s.created().toString());
    });
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp);
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the platform's default permissions apply.
      }
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not save the emulator state to " + file, e);
    }
  }
}
