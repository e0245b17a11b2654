package dev.kmsengine.simulator;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;

/** The one place where the simulator chooses its {@link ClusterDatabase}. */
final class SimulatorDatabase {
  private SimulatorDatabase() {}

  static ClusterDatabase open(SimulatorOptions options) throws UsageException {
    if (options.dataDir() != null) {
      throw new UsageException("--data-dir " + options.dataDir() + ": a durable store is not yet available in"
          + " this build; run without --data-dir to keep the cluster in memory.");
    }
    return new InMemoryClusterDatabase();
  }
}
