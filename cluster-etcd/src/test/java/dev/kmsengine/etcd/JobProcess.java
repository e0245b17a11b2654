package dev.kmsengine.etcd;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.job.Job;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * A process that submits a volume-create job and stops it for good at its commit under the SVM lock, then prints
 * {@code job <uuid>}: a node process caught in the middle of a job, for {@link EtcdJobRecordsTest} to kill.
 * Arguments: key-file directory, namespace, cluster name, TTL seconds.
 */
public final class JobProcess {
  private JobProcess() {}

  public static void main(String[] args) throws Exception {
    CountDownLatch paused = new CountDownLatch(1);
    EtcdClusterDatabase db = EtcdTestCluster.builder(Path.of(args[0]), args[1])
        .leaseTimeToLive(Duration.ofSeconds(Long.parseLong(args[3]))).open();
    ForwardingClusterDatabase stopping = new ForwardingClusterDatabase(db) {
      @Override
      public void commit(WriteBatch batch) {
        if (batch.fence() != null) {
          paused.countDown();
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        delegate.commit(batch);
      }
    };
    // The two engines of TwoEngines host n1 and n2; a live process's node cannot be announced by another.
    KmsEngine engine = KmsEngine.builder(ClusterSpec.builder(args[2]).nodes("n1", "n2", "n3").build())
        .keyProvider(new InMemoryKeyProvider()).database(stopping).localNodes(List.of("n3")).build();
    UUID svm = engine.cluster().svms().get(0).uuid();
    Job job = engine.cluster().createVolume(null, svm, "v1", false);
    paused.await();
    System.out.println("job " + job.uuid());
    System.out.flush();
    while (System.in.read() >= 0) {
      // Held until the parent closes the pipe or kills this process.
    }
  }
}
