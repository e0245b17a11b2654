package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ForwardingClusterDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The supplier core's {@code TestDatabases} uses when this module runs core's engine suite
 * ({@code -Dkms.test.database=dev.kmsengine.etcd.EtcdTestDatabase}): an etcd store in a fresh namespace, whose
 * entries and key file are deleted again when the test closes it.
 */
public final class EtcdTestDatabase implements Supplier<ClusterDatabase> {
  @Override
  public ClusterDatabase get() {
    Path dir;
    try {
      dir = Files.createTempDirectory("kms-etcd-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String namespace = "/kms-test/" + UUID.randomUUID() + "/";
    EtcdClusterDatabase db = EtcdTestCluster.builder(dir, namespace).open();
    return new ForwardingClusterDatabase(db) {
      @Override
      public void close() {
        try {
          db.deleteNamespace();
        } finally {
          super.close();
          try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    };
  }
}
