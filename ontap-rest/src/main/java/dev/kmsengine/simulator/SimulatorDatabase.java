package dev.kmsengine.simulator;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place where the simulator chooses its {@link ClusterDatabase}: in memory, or with {@code --data-dir} the
 * durable {@link MvStoreClusterDatabase} in {@code DIR/cluster.mv}, which a restarted simulator opens again.
 */
final class SimulatorDatabase {
  /** The database file inside {@code --data-dir}. */
  static final String FILE = "cluster.mv";

  private SimulatorDatabase() {}

  static ClusterDatabase open(SimulatorOptions options) throws UsageException {
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
}
