package dev.kmsengine.simulator;

import dev.kmsengine.etcd.EtcdClusterDatabase;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place where the simulator chooses its {@link ClusterDatabase}: in memory, or with {@code --data-dir} the
 * durable {@link MvStoreClusterDatabase} in {@code DIR/cluster.mv}, which a restarted simulator opens again, or
 * with {@code --cluster-db etcd:URL[,URL...]} an {@link EtcdClusterDatabase} in its namespace (which a restarted
 * simulator opens again, whatever {@code --data-dir} says).
 */
final class SimulatorDatabase {
  /** The database file inside {@code --data-dir}. */
  static final String FILE = "cluster.mv";

  private SimulatorDatabase() {}

  static ClusterDatabase open(SimulatorOptions options) throws UsageException {
    if (options.etcd() != null) {
      return openEtcd(options.etcd());
    }
    Path dir = options.dataDir();
    if (dir == null) {
      return new InMemoryClusterDatabase();
    }
    try {
      Files.createDirectories(dir);
      return MvStoreClusterDatabase.open(dir.resolve(FILE));
    } catch (IOException e) {
      throw new UsageException("--data-dir " + dir + ": cannot create the directory (" + e.getMessage() + ").");
    } catch (StoreException e) {
      // Corrupt, truncated, locked by another simulator or from a newer version: refuse, never reset.
      throw new UsageException("--data-dir " + dir + ": " + e.getMessage());
    }
  }

  /** Where {@link #open} keeps the cluster database, for the banner. */
  static String describe(SimulatorOptions options) {
    if (options.etcd() != null) {
      return "etcd " + options.etcd().describe().substring(EtcdStoreOptions.SCHEME.length()) + ", namespace "
          + options.etcd().namespace() + " (key file " + options.etcd().keyFile() + ")";
    }
    return options.dataDir() == null ? "in memory" : options.dataDir().resolve(FILE).toString();
  }

  /**
   * Opens the etcd store, creating the key file's directory first. A store that cannot be opened (no member
   * answers, a foreign or newer format in the namespace, an unusable key file) is one line naming the endpoints.
   */
  private static ClusterDatabase openEtcd(EtcdStoreOptions etcd) throws UsageException {
    Path parent = etcd.keyFile().toAbsolutePath().getParent();
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new UsageException("--config-protection-key " + etcd.keyFile() + ": cannot create " + parent + " ("
          + e.getMessage() + ").");
    }
    try {
      return EtcdClusterDatabase.builder(etcd.endpoints()).namespace(etcd.namespace())
          .configProtectionKeyFile(etcd.keyFile()).timeout(etcd.timeout()).leaseTimeToLive(etcd.leaseTtl())
          .open();
    } catch (StoreException e) {
      throw new UsageException("--cluster-db " + etcd.describe() + " (namespace " + etcd.namespace() + "): "
          + oneLine(e.getMessage()));
    }
  }

  private static String oneLine(String message) {
    return message.replaceAll("\\s*\\R\\s*", " ");
  }
}
