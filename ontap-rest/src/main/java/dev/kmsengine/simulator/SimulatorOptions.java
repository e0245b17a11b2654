package dev.kmsengine.simulator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's command line.
 *
 * @param port the HTTPS port, 0 for any free one
 * @param bind the address to listen on
 * @param nodes how many nodes ({@code node1..nodeN})
 * @param svms the data SVMs
 * @param adminPassword the admin password, or null for a random one
 * @param dataDir where durable state lives, or null for memory only
 * @param trustCas extra CA files trusted for Keystone and Barbican
 * @param emulator whether the embedded Keystone/Barbican emulator runs
 * @param readyFile where to write the ready file, or null
 * @param tlsCert a PEM certificate chain for the REST server, or null to issue one
 * @param tlsKey the PEM private key of {@code tlsCert}
 * @param handshakeTimeout seconds a REST connection may take for its TLS handshake
 * @param headerTimeout seconds a REST connection may take to send a request's line and headers
 * @param idleTimeout seconds a REST connection may stay silent
 * @param maxConnections the most REST connections open at once
 */
record SimulatorOptions(int port, String bind, int nodes, List<String> svms, String adminPassword, Path dataDir,
    List<Path> trustCas, boolean emulator, Path readyFile, Path tlsCert, Path tlsKey, int handshakeTimeout,
    int headerTimeout, int idleTimeout, int maxConnections) {

  static final String USAGE = String.join("\n",
      "Usage: java -jar kms-engine-simulator.jar [options]",
      "  --port N              HTTPS port (default 8443; 0 = any free port)",
      "  --bind ADDR           address to listen on (default 127.0.0.1)",
      "  --nodes N             number of cluster nodes (default 4)",
      "  --svm NAME            a data SVM (repeatable; default svm1 and barbican_svm)",
      "  --admin-password PW   password of user admin (default: random, printed)",
      "  --data-dir DIR        durable cluster state (default: in memory)",
      "  --trust-ca FILE       extra PEM CA trusted for Keystone/Barbican (repeatable)",
      "  --no-emulator         do not start the Keystone/Barbican emulator",
      "  --ready-file FILE     once listening, write url, CA, credentials as JSON (mode 0600)",
      "  --tls-cert FILE       PEM certificate chain for the REST server (with --tls-key)",
      "  --tls-key FILE        PEM private key for --tls-cert",
      "  --handshake-timeout S seconds a connection may take for its TLS handshake (default 5)",
      "  --header-timeout S    seconds a connection may take to send a request's headers (default 5)",
      "  --idle-timeout S      seconds a connection may stay silent before it is closed (default 30)",
      "  --max-connections N   connections open at once; past it the oldest stalled one is closed"
          + " (default 1000)",
      "  --help                this text");

  /** Parses {@code args}; {@code --help} is a {@link UsageException} carrying the usage text. */
  static SimulatorOptions parse(String[] args) throws UsageException {
    int port = 8443;
    String bind = "127.0.0.1";
    int nodes = 4;
    List<String> svms = new ArrayList<>();
    String adminPassword = null;
    Path dataDir = null;
    List<Path> trustCas = new ArrayList<>();
    boolean emulator = true;
    Path readyFile = null;
    Path tlsCert = null;
    Path tlsKey = null;
    int handshakeTimeout = 5;
    int headerTimeout = 5;
    int idleTimeout = 30;
    int maxConnections = 1000;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help", "-h" -> throw new UsageException(USAGE);
        case "--no-emulator" -> emulator = false;
        case "--port" -> port = integer(a, value(args, ++i, a), 0, 65535);
        case "--bind" -> bind = value(args, ++i, a);
        case "--nodes" -> nodes = integer(a, value(args, ++i, a), 1, 64);
        case "--svm" -> svms.add(value(args, ++i, a));
        case "--admin-password" -> adminPassword = value(args, ++i, a);
        case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
        case "--trust-ca" -> trustCas.add(Path.of(value(args, ++i, a)));
        case "--ready-file" -> readyFile = Path.of(value(args, ++i, a));
        case "--tls-cert" -> tlsCert = Path.of(value(args, ++i, a));
        case "--tls-key" -> tlsKey = Path.of(value(args, ++i, a));
        case "--handshake-timeout" -> handshakeTimeout = integer(a, value(args, ++i, a), 1, 3600);
        case "--header-timeout" -> headerTimeout = integer(a, value(args, ++i, a), 1, 3600);
        case "--idle-timeout" -> idleTimeout = integer(a, value(args, ++i, a), 1, 3600);
        case "--max-connections" -> maxConnections = integer(a, value(args, ++i, a), 1, 100_000);
        default -> throw new UsageException("Unknown option \"" + a + "\".\n" + USAGE);
      }
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new UsageException("--tls-cert and --tls-key go together.");
    }
    if (adminPassword != null && adminPassword.isEmpty()) {
      throw new UsageException("--admin-password must not be empty.");
    }
    if (svms.isEmpty()) {
      svms = List.of("svm1", "barbican_svm");
    }
    return new SimulatorOptions(port, bind, nodes, List.copyOf(svms), adminPassword, dataDir,
        List.copyOf(trustCas), emulator, readyFile, tlsCert, tlsKey, handshakeTimeout, headerTimeout, idleTimeout,
        maxConnections);
  }

  private static String value(String[] args, int i, String option) throws UsageException {
    if (i >= args.length) {
      throw new UsageException(option + " needs a value.");
    }
    return args[i];
  }

  private static int integer(String option, String v, int min, int max) throws UsageException {
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Reported below with the accepted range.
    }
    throw new UsageException(option + " must be an integer in " + min + ".." + max + ", not \"" + v + "\".");
  }

  @Override
  public String toString() {
    return "SimulatorOptions[port=" + port + ", bind=" + bind + ", nodes=" + nodes + ", svms=" + svms
        + ", adminPassword=" + (adminPassword == null ? "random" : "given") + ", dataDir=" + dataDir
        + ", emulator=" + emulator + "]";
  }
}
