package dev.kmsengine.etcd;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Two engines on one etcd namespace, each on a store instance (and client) of its own: two processes of one
 * cluster, in one JVM. Engine {@link #a}'s store can stop the next commit made under an SVM lock (one that carries
 * a fence) until released, so that a test catches a job in the middle of it.
 */
final class TwoEngines implements AutoCloseable {
  static final Duration TTL = Duration.ofSeconds(3);
  final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  final EtcdClusterDatabase dbA;
  final EtcdClusterDatabase dbB;
  final KmsEngine a;
  final KmsEngine b;
  /** The admin SVM. */
  final UUID svm;
  final CountDownLatch paused = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean pauseNext;

  TwoEngines(Path dir, String cluster) {
    // n3 is for a third process (JobProcess).
    ClusterSpec spec = ClusterSpec.builder(cluster).nodes("n1", "n2", "n3").build();
    dbA = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    dbB = EtcdTestCluster.builder(dir, namespace).leaseTimeToLive(TTL).open();
    ForwardingClusterDatabase pausing = new ForwardingClusterDatabase(dbA) {
      @Override
      public void commit(WriteBatch batch) {
        if (pauseNext && batch.fence() != null) {
          pauseNext = false;
          paused.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        delegate.commit(batch);
      }

      @Override
      public void close() {
        // Closed by the test, through dbA.
      }
    };
    // One node each: a live process's node cannot be announced by another.
    a = KmsEngine.builder(spec).keyProvider(new InMemoryKeyProvider()).database(pausing).localNodes(List.of("n1"))
        .build();
    b = KmsEngine.builder(spec).keyProvider(new InMemoryKeyProvider()).database(dbB).localNodes(List.of("n2"))
        .build();
    svm = a.cluster().svms().get(0).uuid();
  }

  /** Stops engine a's next commit under a lock at {@link #paused}, until {@link #release}. */
  void pauseNextLockedCommit() {
    pauseNext = true;
  }

  @Override
  public void close() {
    release.countDown();
    a.close();
    b.close();
    dbB.deleteNamespace();
    dbA.close();
    dbB.close();
  }
}
