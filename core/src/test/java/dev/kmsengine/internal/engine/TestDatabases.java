package dev.kmsengine.internal.engine;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.lang.reflect.InvocationTargetException;
import java.util.function.Supplier;

/**
 * The cluster database {@link TestCluster} gives a new engine: an {@link InMemoryClusterDatabase}, or, when the
 * system property {@value #PROPERTY} names a class implementing {@code Supplier<ClusterDatabase>}, a fresh one
 * from it. That is how another module runs this suite against its own store (cluster-etcd runs it on etcd).
 */
public final class TestDatabases {
  /** The system property naming the supplier class. */
  public static final String PROPERTY = "kms.test.database";

  private TestDatabases() {}

  /** A fresh, empty database; the caller closes it. */
  public static ClusterDatabase newDatabase() {
    String name = System.getProperty(PROPERTY, "");
    if (name.isEmpty()) {
      return new InMemoryClusterDatabase();
    }
    try {
      @SuppressWarnings("unchecked")
      Supplier<ClusterDatabase> supplier = (Supplier<ClusterDatabase>) Class.forName(name)
          .getDeclaredConstructor().newInstance();
      return supplier.get();
    } catch (ReflectiveOperationException e) {
      Throwable cause = e instanceof InvocationTargetException i ? i.getCause() : e;
      throw new IllegalStateException(PROPERTY + "=" + name + " is not a Supplier<ClusterDatabase>: " + cause, e);
    }
  }
}
