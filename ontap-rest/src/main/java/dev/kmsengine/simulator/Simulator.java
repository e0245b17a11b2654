package dev.kmsengine.simulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.rest.JobDescriptions;
import dev.kmsengine.rest.NodeEndpoint;
import dev.kmsengine.rest.OntapRestServer;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.testkit.tls.CertificateAuthority;
import dev.kmsengine.testkit.tls.PrivateKeyPem;
import dev.kmsengine.tls.Pem;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A simulated ONTAP cluster serving the Barbican KMS REST API over HTTPS:
 * {@code java -jar ontap-rest/target/kms-engine-simulator.jar [--port N] ...} ({@code --help} lists the options).
 *
 * <p>The cluster is {@code cluster1} (admin SVM {@code cluster1}) with nodes {@code node1..nodeN} and the data
 * SVMs given (default {@code svm1} and {@code barbican_svm}). On start it prints the base URL, the admin
 * credentials, the key-manager values to configure and ready-to-paste curl commands, and writes the ready file if
 * asked. It runs until the process is stopped.
 */
public final class Simulator implements AutoCloseable {
  /** The user the REST API admits. */
  public static final String ADMIN_USER = "admin";

  private final KmsEngine engine;
  private final OntapRestServer server;
  private final SimulatorKeyManager keys;
  private final ClusterDatabase database;

  private Simulator(KmsEngine engine, OntapRestServer server, SimulatorKeyManager keys, ClusterDatabase database) {
    this.engine = engine;
    this.database = database;
    this.server = server;
    this.keys = keys;
  }

  /**
   * Runs the simulator until the process ends; exits 2 on a bad command line.
   *
   * @param args the command line; {@code --help} lists the options
   * @throws Exception if the simulator cannot start, e.g. its port is taken or its data directory unusable
   */
  public static void main(String[] args) throws Exception {
    oneLineLogs();
    Simulator s;
    try {
      s = start(args, System.out);
    } catch (UsageException e) {
      boolean help = e.getMessage().startsWith("Usage:");
      (help ? System.out : System.err).println(e.getMessage());
      System.exit(help ? 0 : 2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      s.close();
      stopped.countDown();
    }, "simulator-shutdown"));
    stopped.await();
  }

  /**
   * Starts a simulator as {@code args} say and prints its banner to {@code out}.
   *
   * @throws UsageException for a bad command line or an option this build cannot honour
   */
  /**
   * The simulator is an application, so it may choose the log format: one line per event (time, level, logger,
   * message), so that each phase of a rekey or restore is one line. Only the simulator's own main does this; the
   * library never touches logging configuration.
   */
  private static void oneLineLogs() {
    // Jetty's start-up lines (version, connector) would only interleave with the banner; its warnings stay.
    JETTY_LOG.setLevel(java.util.logging.Level.WARNING);
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    for (java.util.logging.Handler h : root.getHandlers()) {
      h.setFormatter(new java.util.logging.SimpleFormatter() {
        @Override
        public String format(java.util.logging.LogRecord r) {
          String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
          return String.format("%1$tFT%1$tT.%1$tLZ %2$s %3$s: %4$s%n", r.getInstant().atZone(java.time.ZoneOffset.UTC),
              r.getLevel().getName(), logger.substring(logger.lastIndexOf('.') + 1), formatMessage(r));
        }
      });
    }
  }

  /** Held so that the level set on it outlives a garbage collection of unreferenced loggers. */
  private static final java.util.logging.Logger JETTY_LOG = java.util.logging.Logger.getLogger("org.eclipse.jetty");

  /** How long start waits for the restore of each SVM before it prints the banner anyway. */
  private static final Duration RESTORE_ON_START_WAIT = Duration.ofSeconds(60);

  static Simulator start(String[] args, PrintStream out) throws UsageException, IOException {
    SimulatorOptions o = SimulatorOptions.parse(args);
    ClusterDatabase db = SimulatorDatabase.open(o);
    ClusterSpec spec = ClusterSpec.builder(SimulatorOptions.CLUSTER_NAME).nodeCount(o.nodes())
        .adminSvm(SimulatorOptions.CLUSTER_NAME)
        .dataSvms(o.svms().toArray(String[]::new)).build();
    InetAddress bind = InetAddress.getByName(o.bind());
    if (!o.localNodes().isEmpty() && o.advertiseHost() == null && bind.isAnyLocalAddress()) {
      db.close();
      throw new UsageException("--node with --bind " + o.bind() + " needs --advertise-host HOST: the address the"
          + " other processes forward requests for " + String.join(", ", o.localNodes()) + " to.");
    }
    Path stateDir = Files.createTempDirectory("kms-engine-simulator-");
    // The emulator keeps its state in --data-dir, as the MVStore file (or the etcd store's default key file)
    // does, so both survive a restart together.
    SimulatorKeyManager keys;
    try {
      keys = SimulatorKeyManager.open(o, stateDir, o.dataDir());
    } catch (UsageException | IOException | RuntimeException e) {
      // An etcd store holds a connection and an MVStore file a lock: release them for the next try.
      db.close();
      throw e;
    }
    Path caFile;
    RestIdentity identity;
    if (o.tlsCert() != null) {
      caFile = o.tlsCert().toAbsolutePath();
      identity = givenIdentity(o.tlsCert(), o.tlsKey());
    } else {
      CertificateAuthority ca = restCa(o.dataDir());
      Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
      names.add(bind.getHostAddress());
      if (o.advertiseHost() != null) {
        names.add(o.advertiseHost());
      }
      CertificateAuthority.ServerIdentity issued = ca.issueServer(new ArrayList<>(names));
      identity = new RestIdentity(issued.serverContext(), issued.certificate());
      caFile = (o.dataDir() != null ? o.dataDir().resolve("rest-tls") : stateDir).resolve("ca.pem");
      Files.writeString(caFile, ca.certificatePem());
    }
    Secret password = Secret.of(o.adminPassword() != null ? o.adminPassword() : randomPassword());
    OntapRestServer server;
    try {
      server = OntapRestServer.builder(url -> engine(o, spec, keys, db, endpoint(o, bind, url, identity)))
          .tls(identity.context()).credentials(ADMIN_USER, password).bind(bind)
          .port(o.port()).simulatorControls(keys).handshakeTimeout(Duration.ofSeconds(o.handshakeTimeout()))
          .headerTimeout(Duration.ofSeconds(o.headerTimeout())).idleTimeout(Duration.ofSeconds(o.idleTimeout()))
          .maxConnections(o.maxConnections()).build();
    } catch (StoreException e) {
      // E.g. a configuration-protection key file that does not belong to the store, or a cluster shape that
      // differs from the one the first process wrote: refuse in one line, and release what would otherwise keep
      // the JVM running (the emulator, the etcd client).
      keys.close();
      db.close();
      throw new UsageException("Cannot start on the cluster database (" + SimulatorDatabase.describe(o) + "): "
          + e.getMessage());
    } catch (IOException e) {
      keys.close();
      db.close();
      throw new UsageException("Cannot listen on " + o.bind() + ":" + o.port() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      keys.close();
      db.close();
      throw e;
    }
    KmsEngine engine = server.engine();
    server.start();
    Simulator s = new Simulator(engine, server, keys, db);
    if (o.localNodes().isEmpty()) {
      restoreOnStart(engine, out);
    } else {
      // A restore restores every live node of the cluster, not only this process's: starting one node process of
      // a running cluster must not do that behind the others' backs. Its nodes come back empty, as a rebooted node
      // does, until a restore (submitted to any process).
      out.println("restore on start: none (--node): " + String.join(", ", o.localNodes())
          + " start with empty key tables until a restore");
    }
    String url = server.baseUri().toString();
    Banner.print(out, url, caFile, password, spec, keys, SimulatorDatabase.describe(o), hosting(o));
    if (o.readyFile() != null) {
      ObjectNode ready = readyContent(url, caFile, password, spec, keys);
      if (o.etcd() != null) {
        localNodes(o, spec).forEach(ready.putArray("local_nodes")::add);
      }
      ReadyFile.write(o.readyFile(), ready);
    }
    return s;
  }

  /** The server's TLS context and its own certificate, whose fingerprint the nodes' endpoint carries. */
  private record RestIdentity(SSLContext context, X509Certificate certificate) {}

  private static KmsEngine engine(SimulatorOptions o, ClusterSpec spec, SimulatorKeyManager keys, ClusterDatabase db,
      NodeEndpoint endpoint) {
    KmsEngine.Builder b = KmsEngine.builder(spec).keyProvider(keys.provider()).database(db);
    if (o.etcd() != null) {
      b.localNodes(localNodes(o, spec)).endpoint(endpoint.toString());
    }
    return b.build();
  }

  /** The nodes this process hosts: those of {@code --node}, else every node of the cluster. */
  private static List<String> localNodes(SimulatorOptions o, ClusterSpec spec) {
    return o.localNodes().isEmpty() ? List.copyOf(spec.nodes()) : List.copyOf(o.localNodes());
  }

  /**
   * Where other processes forward requests for this process's nodes: the server's URL, with {@code
   * --advertise-host} for its host if given, and its certificate's fingerprint.
   */
  private static NodeEndpoint endpoint(SimulatorOptions o, InetAddress bind, URI serverUrl, RestIdentity identity) {
    URI url = serverUrl;
    if (o.advertiseHost() != null) {
      String h = o.advertiseHost().contains(":") ? "[" + o.advertiseHost() + "]" : o.advertiseHost();
      url = URI.create("https://" + h + ":" + serverUrl.getPort());
    }
    return NodeEndpoint.of(url, identity.certificate());
  }

  /** The banner's line on the nodes this process hosts, or null when it is the only process (no etcd). */
  private static String hosting(SimulatorOptions o) {
    if (o.etcd() == null) {
      return null;
    }
    return o.localNodes().isEmpty() ? "every node (no --node)"
        : String.join(", ", o.localNodes()) + "; the other nodes are served by the processes that host them";
  }

  /**
   * With {@code --data-dir}, the REST server's CA is kept there too, so clients that trusted it keep working
   * across restarts.
   */
  private static CertificateAuthority restCa(Path dataDir) throws IOException {
    if (dataDir == null) {
      return CertificateAuthority.create("kms-engine simulator CA");
    }
    Path dir = dataDir.resolve("rest-tls");
    if (Files.exists(dir.resolve("ca.pem"))) {
      return CertificateAuthority.load(dir);
    }
    CertificateAuthority ca = CertificateAuthority.create("kms-engine simulator CA");
    ca.save(dir);
    return ca;
  }

  /**
   * A restarted cluster's nodes come back with empty key tables; like ONTAP, they get their keys back from
   * Barbican at start. Nodes that cannot reach it stay without keys ({@code state} says so) until a restore.
   */
  private static void restoreOnStart(KmsEngine engine, PrintStream out) {
    for (Job job : engine.barbican().restoreAll()) {
      try {
        Job done = engine.awaitJob(job, RESTORE_ON_START_WAIT);
        out.println("restore on start: " + JobDescriptions.of(done) + ": " + done.state().wireName()
            + (done.state() == JobState.SUCCESS ? "" : " (" + done.message() + ")"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static ObjectNode readyContent(String url, Path caFile, Secret password, ClusterSpec spec,
      SimulatorKeyManager keys) {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("url", url);
    r.put("ca_cert", caFile.toAbsolutePath().toString());
    ObjectNode admin = r.putObject("admin");
    admin.put("username", ADMIN_USER);
    admin.put("password", password.reveal());
    ObjectNode cluster = r.putObject("cluster");
    cluster.put("name", spec.name());
    cluster.put("admin_svm", spec.adminSvm());
    spec.nodes().forEach(cluster.putArray("nodes")::add);
    spec.dataSvms().forEach(cluster.putArray("svms")::add);
    if (keys.emulatorRunning()) {
      ObjectNode emulator = r.putObject("emulator");
      emulator.put("keystone_url", keys.keystoneUrl());
      emulator.put("key_id", keys.keyId());
      emulator.put("application_cred_id", keys.credentialId());
      emulator.put("application_cred_secret", keys.credentialSecret().reveal());
      emulator.put("ca_cert", keys.caFile().toAbsolutePath().toString());
    }
    return r;
  }

  private static RestIdentity givenIdentity(Path certFile, Path keyFile) throws UsageException, IOException {
    try {
      List<X509Certificate> chain = Pem.readCertificates(Files.readString(certFile));
      PrivateKey key = PrivateKeyPem.read(Files.readString(keyFile));
      char[] pw = "simulator".toCharArray();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("server", key, pw, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
      return new RestIdentity(ctx, chain.get(0));
    } catch (GeneralSecurityException e) {
      throw new UsageException("--tls-cert/--tls-key: not a usable PEM certificate chain and private key ("
          + e.getClass().getSimpleName() + ").");
    }
  }

  private static String randomPassword() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The engine behind the API, for in-process use. */
  KmsEngine engine() {
    return engine;
  }

  /** The REST server. */
  OntapRestServer server() {
    return server;
  }

  /** The cluster database, for in-process tests that check what is stored. */
  ClusterDatabase database() {
    return database;
  }

  /** The key manager, with the emulator and the nodes' network. */
  SimulatorKeyManager keys() {
    return keys;
  }

  /** Stops the server, the engine and the emulator. */
  @Override
  public void close() {
    server.close();
    engine.close();
    keys.close();
    // The engine leaves the database to its owner; closing it releases the file lock for the next start.
    database.close();
  }
}
