package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase.Coordination;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;

/**
 * A process that announces one node and takes one SVM's lock, prints {@code ready}, and holds both until it is
 * killed or its standard input closes: what a node process of the multi-process simulator holds, for
 * {@link EtcdClusterCoordinationTest} to kill. Arguments: key-file directory, namespace, node, SVM, TTL seconds.
 */
public final class CoordinationProcess {
  private CoordinationProcess() {}

  public static void main(String[] args) throws Exception {
    try (EtcdClusterDatabase db = EtcdTestCluster.builder(Path.of(args[0]), args[1])
            .leaseTimeToLive(Duration.ofSeconds(Long.parseLong(args[4]))).open();
        Coordination.Presence p = db.coordination().announce(Set.of(args[2]),
            "child@" + ProcessHandle.current().pid());
        Coordination.SvmLock lock = db.coordination().lockSvm(UUID.fromString(args[3]), Duration.ofSeconds(60))) {
      System.out.println(lock.held() && !p.nodes().isEmpty() ? "ready" : "not ready");
      System.out.flush();
      while (System.in.read() >= 0) {
        // Held until the parent closes the pipe or kills this process.
      }
    }
  }
}
