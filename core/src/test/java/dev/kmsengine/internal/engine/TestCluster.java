package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.internal.job.JobContext;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.ClusterDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A four-node cluster with data SVMs {@code svm1} and {@code svm2}, an in-memory key provider with one credential
 * and two keys, and helpers that run jobs to completion. Shared with the other modules' tests via the test-jar.
 * {@link #TestCluster()} takes its database from {@link TestDatabases}, so cluster-etcd runs these tests on etcd.
 */
public final class TestCluster implements AutoCloseable {
  public static final String KEY_1 = "https://barbican.test:9311/v1/secrets/11111111-1111-1111-1111-111111111111";
  public static final String KEY_2 = "https://barbican.test:9311/v1/secrets/22222222-2222-2222-2222-222222222222";
  public static final String KEYSTONE = "https://keystone.test:5000/v3/auth/tokens";
  public static final String CRED_ID = "app-cred-1";
  public static final Secret CRED_SECRET = Secret.of("canary-app-cred-secret-5e1f");

  /** A job context for operations a test calls directly, outside the job queue: reports go nowhere. */
  public static final JobContext NO_REPORTS = new JobContext() {
    @Override
    public void progress(String message) {}

    @Override
    public void nodes(List<NodeStatus> nodes) {}
  };

  public final InMemoryKeyProvider provider;
  public final KmsEngine engine;
  /** The database this cluster opened itself ({@link TestDatabases}) and closes, or null. */
  private final ClusterDatabase ownDatabase;

  /** On the database {@link TestDatabases} chooses: in memory unless a module runs this suite on its own store. */
  public TestCluster() {
    this(TestDatabases.newDatabase());
  }

  private TestCluster(ClusterDatabase db) {
    this.provider = newProvider();
    this.ownDatabase = db;
    engine = KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(4).dataSvms("svm1", "svm2").build())
        .database(db).keyProvider(provider).build();
  }

  public TestCluster(KmsEngine.Builder builder) {
    this(builder, newProvider());
  }

  /** A cluster using an existing provider: a restarted engine must find the same top-level keys. */
  public TestCluster(KmsEngine.Builder builder, InMemoryKeyProvider provider) {
    this.provider = provider;
    this.ownDatabase = null;
    engine = builder.keyProvider(provider).build();
  }

  /** A provider with the test credential and keys {@link #KEY_1} and {@link #KEY_2}. */
  public static InMemoryKeyProvider newProvider() {
    InMemoryKeyProvider p = new InMemoryKeyProvider().addCredential(CRED_ID, CRED_SECRET);
    p.createKey(KEY_1);
    p.createKey(KEY_2);
    return p;
  }

  /** A valid create request for {@code svm}. */
  public static BarbicanConfigRequest.Builder request(String svm, String name, String keyId) {
    return BarbicanConfigRequest.builder().svmName(svm).configurationName(name).keyId(keyId)
        .keystoneUrl(KEYSTONE).applicationCredId(CRED_ID).applicationCredSecret(CRED_SECRET);
  }

  /** Waits for a job and returns it finished. */
  public Job await(Job job) {
    try {
      Job done = engine.awaitJob(job.uuid(), Duration.ofSeconds(60));
      if (!done.state().isTerminal()) {
        throw new AssertionError("job did not finish: " + done);
      }
      return done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs a job and asserts it succeeded. */
  public Job succeed(Job job) {
    Job done = await(job);
    assertEquals(JobState.SUCCESS, done.state(), () -> "job failed: " + done);
    return done;
  }

  /** Creates a configuration and returns its uuid. */
  public UUID createConfig(String svm, String name, String keyId) {
    return succeed(engine.barbican().createBarbicanConfig(request(svm, name, keyId).build())).resourceUuid();
  }

  /** Creates and enables a configuration. */
  public UUID enabledConfig(String svm, String name, String keyId) {
    UUID c = createConfig(svm, name, keyId);
    succeed(engine.barbican().enableKeystore(c));
    return c;
  }

  /** Creates an encrypted volume. */
  public UUID volume(String svm, String name) {
    return succeed(engine.cluster().createVolume(svm, null, name, true)).resourceUuid();
  }

  public UUID svmUuid(String name) {
    return engine.cluster().svms().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().uuid();
  }

  @Override
  public void close() {
    engine.close();
    if (ownDatabase != null) {
      ownDatabase.close();
    }
  }
}
