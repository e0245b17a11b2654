package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the emulated servers know: projects, application credentials, secrets, orders and issued tokens, and
 * (optionally) the file they are saved in. Tokens are not saved: a restarted Keystone hands out new ones, as a real
 * one does when its signing keys rotate.
 */
final class EmulatorState {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  static final String DEFAULT_PROJECT_NAME = "emulated-project";
  static final String USER_NAME = "emulated-user";
  /** The roles a credential gets when none are named: enough to store and read secrets, as Barbican's creator. */
  static final List<String> DEFAULT_ROLES = List.of("creator");

  /** Project id to name. */
  final Map<String, String> projects = new ConcurrentHashMap<>();
  final Map<String, Credential> credentials = new ConcurrentHashMap<>();
  final Map<String, StoredSecret> secrets = new ConcurrentHashMap<>();
  final Map<String, StoredOrder> orders = new ConcurrentHashMap<>();
  final Map<String, IssuedToken> tokens = new ConcurrentHashMap<>();
  /** Tokens revoked with {@code DELETE /v3/auth/tokens}. */
  final Set<String> revoked = ConcurrentHashMap.newKeySet();
  String defaultProjectId;
  String userId;
  int keystonePort;
  int barbicanPort;
  private final Path file;

  EmulatorState(Path file) {
    this.file = file;
  }

  /** A 32-digit hex id, the form Keystone gives projects, users, roles and credentials. */
  static String hexId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  static EmulatorState load(Path file) throws IOException {
    EmulatorState s = new EmulatorState(file);
    if (file != null && Files.exists(file)) {
      s.read(JSON.readTree(file.toFile()));
    }
    if (s.defaultProjectId == null) {
      s.defaultProjectId = hexId();
    }
    if (s.userId == null) {
      s.userId = hexId();
    }
    s.projects.putIfAbsent(s.defaultProjectId, DEFAULT_PROJECT_NAME);
    return s;
  }

  private void read(JsonNode root) {
    keystonePort = root.path("keystone_port").asInt(0);
    barbicanPort = root.path("barbican_port").asInt(0);
    defaultProjectId = textOrNull(root.path("default_project_id"));
    userId = textOrNull(root.path("user_id"));
    if (defaultProjectId == null) {
      defaultProjectId = hexId();
    }
    if (userId == null) {
      userId = hexId();
    }
    for (Map.Entry<String, JsonNode> e : root.path("projects").properties()) {
      projects.put(e.getKey(), e.getValue().asText());
    }
    for (Map.Entry<String, JsonNode> e : root.path("credentials").properties()) {
      JsonNode n = e.getValue();
      if (n.isTextual()) {
        // The first state format kept only each credential's secret.
        credentials.put(e.getKey(), new Credential(e.getKey(), e.getKey(), n.asText(), defaultProjectId,
            DEFAULT_ROLES));
        continue;
      }
      List<String> roles = new ArrayList<>();
      n.path("roles").forEach(r -> roles.add(r.asText()));
      credentials.put(e.getKey(), new Credential(e.getKey(), n.path("name").asText(e.getKey()),
          n.path("secret").asText(), n.path("project_id").asText(defaultProjectId), roles));
    }
    for (Map.Entry<String, JsonNode> e : root.path("secrets").properties()) {
      JsonNode n = e.getValue();
      String exp = n.path("expiration").asText("");
      String payload = textOrNull(n.path("payload"));
      secrets.put(e.getKey(), new StoredSecret(textOrNull(n.path("name")),
          n.path("project_id").asText(defaultProjectId), n.path("creator_id").asText(userId),
          payload == null ? null : Base64.getDecoder().decode(payload),
          payload == null ? null : n.path("content_type").asText("application/octet-stream"),
          n.path("secret_type").asText(), textOrNull(n.path("algorithm")),
          n.path("bit_length").isNumber() ? n.path("bit_length").asInt() : null,
          n.has("mode") ? textOrNull(n.path("mode")) : "cbc",
          exp.isEmpty() ? null : Instant.parse(exp), Instant.parse(n.path("created").asText())));
    }
  }

  private static String textOrNull(JsonNode n) {
    return n.isTextual() ? n.asText() : null;
  }

  /** Writes the state atomically, owner-only, when a file was given. Orders are not saved; their secrets are. */
  synchronized void save() {
    if (file == null) {
      return;
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("keystone_port", keystonePort);
    root.put("barbican_port", barbicanPort);
    root.put("default_project_id", defaultProjectId);
    root.put("user_id", userId);
    ObjectNode proj = root.putObject("projects");
    projects.forEach(proj::put);
    ObjectNode creds = root.putObject("credentials");
    credentials.forEach((id, c) -> {
      ObjectNode n = creds.putObject(id);
      n.put("name", c.name()).put("secret", c.secret()).put("project_id", c.projectId());
      c.roles().forEach(n.putArray("roles")::add);
    });
    ObjectNode sec = root.putObject("secrets");
    secrets.forEach((id, s) -> {
      ObjectNode n = sec.putObject(id);
      n.put("name", s.name());
      n.put("project_id", s.projectId());
      n.put("creator_id", s.creatorId());
      n.put("payload", s.payload() == null ? null : Base64.getEncoder().encodeToString(s.payload()));
      n.put("content_type", s.contentType());
      n.put("secret_type", s.secretType());
      n.put("algorithm", s.algorithm());
      n.put("bit_length", s.bitLength());
      n.put("mode", s.mode());
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
      throw new UncheckedIOException("could not save the emulator state to " + file, e);
    }
  }
}
