package dev.kmsengine.simulator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
 * @param etcd with {@code --cluster-db etcd:...}, the etcd store to open instead of memory or {@code dataDir}'s
 *     file; else null
 * @param localNodes the nodes this process hosts ({@code --node}, with {@code etcd} only), in the order given;
 *     empty for every node of the cluster
 * @param advertiseHost the host other processes reach this one's REST API by ({@code --advertise-host}), or null
 *     for the {@code bind} address
 */
record SimulatorOptions(int port, String bind, int nodes, List<String> svms, String adminPassword, Path dataDir,
    List<Path> trustCas, boolean emulator, Path readyFile, Path tlsCert, Path tlsKey, int handshakeTimeout,
    int headerTimeout, int idleTimeout, int maxConnections, EtcdStoreOptions etcd, Set<String> localNodes,
    String advertiseHost) {
  /** The simulated cluster's name, also its admin SVM's. */
  static final String CLUSTER_NAME = "cluster1";

  static final String USAGE = String.join("\n",
      "Usage: java -jar kms-engine-simulator.jar [options]",
      "  --port N              HTTPS port (default 8443; 0 = any free port)",
      "  --bind ADDR           address to listen on (default 127.0.0.1)",
      "  --nodes N             number of cluster nodes (default 4)",
      "  --svm NAME            a data SVM (repeatable; default svm1 and barbican_svm)",
      "  --admin-password PW   password of user admin (default: random, printed)",
      "  --data-dir DIR        durable cluster state (default: in memory)",
      "  --cluster-db etcd:URL[,URL...]",
      "                        keep the cluster database on etcd (client URLs http://HOST:PORT)",
      "  --etcd-namespace P    key prefix of this cluster's store in etcd (default "
          + EtcdStoreOptions.defaultNamespace(CLUSTER_NAME) + ")",
      "  --config-protection-key FILE",
      "                        the etcd store's configuration-protection key file, created if absent",
      "                        (default DIR/" + EtcdStoreOptions.KEY_FILE + " with --data-dir; else required)",
      "  --etcd-timeout S      seconds one request to etcd may take (default 15)",
      "  --node NAME           a node this process hosts (repeatable; with --cluster-db; default: all);",
      "                        the cluster's other nodes are served by the processes hosting them",
      "  --lease-ttl S         seconds a dead process's nodes stay live and its SVM locks held (default "
          + EtcdStoreOptions.DEFAULT_LEASE_TTL.toSeconds() + ")",
      "  --advertise-host HOST host name or address other processes reach this one by (default: --bind)",
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
    String clusterDb = null;
    String etcdNamespace = null;
    Path keyFile = null;
    Integer etcdTimeout = null;
    Integer leaseTtl = null;
    Set<String> localNodes = new LinkedHashSet<>();
    String advertiseHost = null;
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
        case "--cluster-db" -> clusterDb = value(args, ++i, a);
        case "--etcd-namespace" -> etcdNamespace = value(args, ++i, a);
        case "--config-protection-key" -> keyFile = Path.of(value(args, ++i, a));
        case "--etcd-timeout" -> etcdTimeout = integer(a, value(args, ++i, a), 1, 3600);
        case "--lease-ttl" -> leaseTtl = integer(a, value(args, ++i, a), 2, 3600);
        case "--node" -> localNodes.add(value(args, ++i, a));
        case "--advertise-host" -> advertiseHost = value(args, ++i, a);
        default -> throw new UsageException("Unknown option \"" + a + "\".\n" + USAGE);
      }
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new UsageException("--tls-cert and --tls-key go together.");
    }
    if (adminPassword != null && adminPassword.isEmpty()) {
      throw new UsageException("--admin-password must not be empty.");
    }
    EtcdStoreOptions etcd = null;
    if (clusterDb != null) {
      etcd = EtcdStoreOptions.parse(clusterDb, CLUSTER_NAME, etcdNamespace, keyFile, dataDir,
          etcdTimeout == null ? EtcdStoreOptions.DEFAULT_TIMEOUT : Duration.ofSeconds(etcdTimeout),
          leaseTtl == null ? EtcdStoreOptions.DEFAULT_LEASE_TTL : Duration.ofSeconds(leaseTtl));
    } else if (etcdNamespace != null || keyFile != null || etcdTimeout != null || leaseTtl != null
        || !localNodes.isEmpty()) {
      throw new UsageException((etcdNamespace != null ? "--etcd-namespace"
          : keyFile != null ? "--config-protection-key" : etcdTimeout != null ? "--etcd-timeout"
          : leaseTtl != null ? "--lease-ttl" : "--node")
          + " goes with --cluster-db etcd:URL[,URL...]"
          + (localNodes.isEmpty() ? "." : ": the other nodes are hosted by other processes on the same store."));
    }
    for (String node : localNodes) {
      if (!nodeNames(nodes).contains(node)) {
        throw new UsageException("--node \"" + node + "\" is not a node of the cluster (" + String.join(", ",
            nodeNames(nodes)) + "; --nodes sets how many).");
      }
    }
    if (advertiseHost != null && (advertiseHost.isBlank() || !advertiseHost.equals(advertiseHost.strip()))) {
      throw new UsageException("--advertise-host must be a host name or address, not \"" + advertiseHost + "\".");
    }
    if (svms.isEmpty()) {
      svms = List.of("svm1", "barbican_svm");
    }
    return new SimulatorOptions(port, bind, nodes, List.copyOf(svms), adminPassword, dataDir,
        List.copyOf(trustCas), emulator, readyFile, tlsCert, tlsKey, handshakeTimeout, headerTimeout, idleTimeout,
        maxConnections, etcd, Collections.unmodifiableSet(localNodes), advertiseHost);
  }

  /** The names of a cluster of {@code count} nodes, as {@code ClusterSpec.Builder.nodeCount} gives them. */
  static List<String> nodeNames(int count) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      out.add("node" + i);
    }
    return out;
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
        + ", emulator=" + emulator + ", clusterDb=" + (etcd == null ? "default" : etcd.describe())
        + ", localNodes=" + (localNodes.isEmpty() ? "all" : localNodes) + "]";
  }
}
