package dev.kmsengine.testkit.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The {@link OpenStackEmulator} as a process of its own, so that several simulator processes (the multi-process
 * simulator, one process per node) share one Keystone and Barbican:
 *
 * <pre>
 * java -cp kms-testkit.jar:... dev.kmsengine.testkit.emulator.StandaloneEmulator --data-dir D [--port N]
 * </pre>
 *
 * <p>It keeps its state (CA, ports, credentials, secrets) in {@code D/openstack/}, issues one application
 * credential and one AES-256 secret (the same ones again after a restart over the same {@code D}), writes the CA
 * certificate to {@code D/ca.pem} and what a client needs to {@code D/emulator.json} (mode 0600, written whole
 * or not at all, so a reader that sees the file sees all of it), prints the same, and serves until it is stopped
 * (SIGTERM or SIGINT). {@code emulator.json} holds {@code keystone_url} (the token URL, as an ONTAP
 * configuration's {@code keystone_url}), {@code keystone_base_url}, {@code barbican_url}, {@code key_id},
 * {@code application_cred_id}, {@code application_cred_secret}, {@code ca_cert} and {@code pid}. Like the
 * emulator itself it is for tests and simulators: its credential is one it made up, and its servers listen on
 * 127.0.0.1 only.
 *
 * <p>Ports: {@code --port} is Keystone's; 0 (the default) takes the port saved in {@code D} if any, else a free
 * one. Barbican takes its saved port, else a free one. The option names are the simulator's.
 */
public final class StandaloneEmulator {
  /** The file with the URLs and the credential, in the directory given by {@code --data-dir}. */
  public static final String INFO_FILE = "emulator.json";
  /** The emulator's CA certificate (PEM), in the directory given by {@code --data-dir}. */
  public static final String CA_FILE = "ca.pem";
  private static final String USAGE = String.join("\n",
      "usage: StandaloneEmulator --data-dir DIR [--port N]",
      "  --data-dir DIR   state, CA certificate (ca.pem) and emulator.json live here (required)",
      "  --port N         Keystone's port (default 0: the saved one, else any free port)");

  private StandaloneEmulator() {}

  /** The options of one run. */
  private record Options(Path dir, int keystonePort) {}

  /**
   * Starts the emulator and serves until the process is stopped.
   *
   * @param args the options above
   * @throws IOException if a port cannot be bound or {@code --dir} cannot be written
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    OpenStackEmulator os = start(o, System.out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      os.close();
      stopped.countDown();
    }, "emulator-shutdown"));
    stopped.await();
  }

  private static Options parse(String[] args) {
    Path dir = null;
    int keystonePort = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + ": a value is missing");
      }
      String v = args[++i];
      switch (a) {
        case "--data-dir" -> dir = Path.of(v);
        case "--port" -> keystonePort = port(a, v);
        default -> throw new IllegalArgumentException(a + ": unknown option");
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--data-dir is required");
    }
    return new Options(dir, keystonePort);
  }

  private static int port(String option, String value) {
    try {
      int p = Integer.parseInt(value);
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException(option + " " + value + ": not a port");
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " " + value + ": not a number", e);
    }
  }

  /** Starts the emulator of {@code o}, issues (or reissues) the credential and key, writes and prints them. */
  private static OpenStackEmulator start(Options o, PrintStream out) throws IOException {
    Files.createDirectories(o.dir());
    OpenStackEmulator os = OpenStackEmulator.builder().dataDirectory(o.dir().resolve("openstack"))
        .keystonePort(o.keystonePort()).start();
    try {
      Path info = o.dir().resolve(INFO_FILE);
      Path ca = o.dir().resolve(CA_FILE);
      Files.writeString(ca, os.caCertificatePem());
      ObjectNode n = issue(os, info);
      n.put("keystone_url", os.keystoneUrl() + "/auth/tokens");
      n.put("keystone_base_url", os.keystoneUrl());
      n.put("barbican_url", os.barbicanUrl());
      n.put("ca_cert", ca.toAbsolutePath().toString());
      n.put("pid", ProcessHandle.current().pid());
      writeWhole(info, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
      List<String> lines = new ArrayList<>();
      n.properties().forEach(e -> lines.add(String.format("  %-24s %s", e.getKey(), e.getValue().asText())));
      out.println("kms-testkit OpenStack emulator (Keystone + Barbican), serving until stopped:");
      lines.forEach(out::println);
      out.println(String.format("  %-24s %s", INFO_FILE, info.toAbsolutePath()));
      out.flush();
      return os;
    } catch (IOException | RuntimeException e) {
      os.close();
      throw e;
    }
  }

  /** The credential and key saved in {@code info} if the emulator still has them, else new ones. */
  private static ObjectNode issue(OpenStackEmulator os, Path info) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode n = json.createObjectNode();
    if (Files.exists(info)) {
      JsonNode saved = json.readTree(info.toFile());
      String keyId = saved.path("key_id").asText();
      String id = saved.path("application_cred_id").asText();
      String secret = saved.path("application_cred_secret").asText();
      int path = keyId.indexOf("/v1/secrets/");
      if (path > 0 && !id.isEmpty() && !secret.isEmpty() && os.secretPayload(keyId) != null) {
        os.addApplicationCredential(id, secret);
        // The same secret at Barbican's URL of this run, in case its port was changed.
        n.put("key_id", os.barbicanUrl() + keyId.substring(path));
        n.put("application_cred_id", id);
        n.put("application_cred_secret", secret);
        return n;
      }
    }
    OpenStackEmulator.ApplicationCredential cred = os.createApplicationCredential();
    n.put("key_id", os.createSecret());
    n.put("application_cred_id", cred.id());
    n.put("application_cred_secret", cred.secret().reveal());
    return n;
  }

  /** Writes {@code file} (mode 0600) through a temporary file and a rename, so no reader sees part of it. */
  private static void writeWhole(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(tmp, content);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
