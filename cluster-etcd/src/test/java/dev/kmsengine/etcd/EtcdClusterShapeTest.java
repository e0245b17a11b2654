package dev.kmsengine.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.kek.InMemoryKeyProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's shape on a store several processes share ("processes" here: engines on store instances of their
 * own in one JVM): the first fixes it, the others must match it, and two starting at once agree.
 */
class EtcdClusterShapeTest {
  private static final ClusterSpec SPEC = ClusterSpec.builder("shaped").nodes("n1", "n2").dataSvms("vs1", "vs2")
      .build();
  @TempDir Path dir;
  private final String namespace = "/kms-test/" + UUID.randomUUID() + "/";
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    try (EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).open()) {
      db.deleteNamespace();
    }
  }

  private EtcdClusterDatabase store() {
    EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).open();
    open.add(db);
    return db;
  }

  private KmsEngine engine(ClusterSpec spec) {
    KmsEngine e = KmsEngine.builder(spec).keyProvider(new InMemoryKeyProvider()).database(store()).build();
    open.add(e);
    return e;
  }

  @Test
  void laterProcessesShareTheFirstOnesSvmsAndOneOfAnotherShapeIsRefusedNamingTheDifference() {
    KmsEngine first = engine(SPEC);
    KmsEngine second = engine(ClusterSpec.builder("shaped").nodes("n1", "n2").dataSvms("vs2", "vs1").build());
    assertEquals(3, second.cluster().svms().size(), "one record per SVM, not one per process");
    assertEquals(Set.copyOf(first.cluster().svms()), Set.copyOf(second.cluster().svms()));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> engine(ClusterSpec.builder("shaped").nodes("n1", "n2", "n3").dataSvms("vs1", "vs2").build()));
    assertTrue(e.getMessage().contains("nodes [n1, n2] stored, [n1, n2, n3] here"), e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> engine(ClusterSpec.builder("shaped").nodes("n1", "n2").dataSvms("vs1").build()));
    assertTrue(e.getMessage().contains("data SVMs [vs1, vs2] stored, [vs1] here"), e.getMessage());
  }

  @Test
  void twoProcessesStartingAtOnceOnAnEmptyStoreAgreeOnOneShape() throws Exception {
    ClusterSpec other = ClusterSpec.builder("shaped").nodes("n1", "n2").dataSvms("vs3").build();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<KmsEngine>> starts = new ArrayList<>();
      for (ClusterSpec spec : List.of(SPEC, other)) {
        EtcdClusterDatabase db = store();
        Callable<KmsEngine> start = () -> KmsEngine.builder(spec).keyProvider(new InMemoryKeyProvider())
            .database(db).build();
        starts.add(pool.submit(start));
      }
      List<KmsEngine> started = new ArrayList<>();
      List<Throwable> refused = new ArrayList<>();
      for (Future<KmsEngine> f : starts) {
        try {
          started.add(f.get(120, TimeUnit.SECONDS));
          open.add(started.get(started.size() - 1));
        } catch (ExecutionException x) {
          refused.add(x.getCause());
        }
      }
      assertEquals(1, started.size(), "exactly one shape wins");
      assertTrue(refused.get(0) instanceof IllegalStateException, String.valueOf(refused.get(0)));
      Set<String> svms = started.get(0).cluster().svms().stream().map(SvmInfo::name).collect(Collectors.toSet());
      assertTrue(svms.equals(Set.of("shaped", "vs1", "vs2")) || svms.equals(Set.of("shaped", "vs3")),
          "only the winner's SVMs were added: " + svms);
    } finally {
      pool.shutdownNow();
    }
  }
}
