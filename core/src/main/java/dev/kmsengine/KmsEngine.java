package dev.kmsengine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.internal.job.JobQueue;
import dev.kmsengine.job.Job;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.time.Clock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The key hierarchy engine of ONTAP's Barbican KMS feature, for one simulated cluster.
 *
 * <h2>The hierarchy</h2>
 * <pre>
 * Barbican secret: the top-level KEK, fetched per node through a {@link TopLevelKeyProvider}
 *   └─ wraps the SVM-KEK: one per data SVM, AES-256, created with the SVM's first encrypted volume
 *        └─ wraps each volume encryption key (VEK): one per encrypted volume, AES-256
 * Every node keeps the unwrapped SVM-KEKs and VEKs in a volatile key table; a reboot empties it.
 * </pre>
 * Wrapped SVM-KEKs and VEKs live in the {@link ClusterDatabase}. Wrapping is AES-256-GCM with a 96-bit nonce into
 * a 62-byte versioned blob; the associated data binds each blob to its SVM, to its volume (or, for an SVM-KEK, to
 * the keystore configuration protecting it) and to the SVM-KEK generation, so a blob moved anywhere else fails to
 * unwrap.
 *
 * <h2>Views</h2>
 * The engine's operations are grouped by area, in the manner of Caffeine's {@code Cache.policy()}:
 * {@link #barbican()} for Barbican configurations, keystores, rekey and restore; {@link #cluster()} for nodes,
 * SVMs, volumes and the simulated data path. Jobs are read here. Input errors are thrown at once as
 * {@link KmsException}; work that touches keys or the network runs as a {@link Job} (await it with
 * {@link #awaitJob}), whose failure carries the error. Operations on one SVM run one at a time in submission order;
 * different SVMs proceed in parallel. A rekey makes its new generation current in one atomic commit, after every
 * new blob has been verified, so readers never see half of it.
 *
 * <h2>Security</h2>
 * No method returns key bytes, application credential secrets or proxy passwords, and no message, log line or
 * {@code toString} contains them. The secrets are stored sealed under the database's
 * {@link ClusterDatabase#configProtectionKey() configuration-protection key}, which lives outside the database;
 * building an engine reseals any that an older engine stored in plain text (then has the database purge its
 * earlier versions), and {@link BarbicanKms#rotateConfigProtectionKey()} replaces the key.
 *
 * <h2>Thread safety</h2>
 * Engines and their views are thread-safe: a REST server's request threads share one engine. Build with
 * {@link #builder(ClusterSpec)}; close to stop job threads.
 */
public final class KmsEngine implements AutoCloseable {
  static {
    Engine.installFacadeAccess(facade -> facade.engine);
  }

  private final Engine engine;
  private final BarbicanKms barbican;
  private final Cluster cluster;

  private KmsEngine(Engine engine) {
    this.engine = engine;
    this.barbican = new BarbicanKms(engine);
    this.cluster = new Cluster(engine);
  }

  /**
   * A builder for an engine running the cluster {@code spec}.
   *
   * @param spec the cluster's nodes, SVMs and version
   * @return a builder with no setting given yet
   */
  public static Builder builder(ClusterSpec spec) {
    return new Builder(spec);
  }

  /** Configures a {@link KmsEngine}. Not thread-safe; each setting may be given once. */
  public static final class Builder {
    private final ClusterSpec spec;
    private TopLevelKeyProvider provider;
    private ClusterDatabase database;
    private Clock clock;
    private Duration jobRetention;
    private int parallelism;
    private Set<String> localNodes;
    private String endpoint;

    private Builder(ClusterSpec spec) {
      this.spec = Objects.requireNonNull(spec, "spec");
    }

    /**
     * How the top-level KEK is fetched (required).
     *
     * @param p the provider every node fetches the KEK through; not null
     * @return this builder
     * @throws IllegalStateException if a provider was already given
     */
    public Builder keyProvider(TopLevelKeyProvider p) {
      requireUnset(provider, "keyProvider");
      provider = Objects.requireNonNull(p);
      return this;
    }

    /**
     * Where wrapped keys live (default: a new {@link InMemoryClusterDatabase}).
     *
     * @param d the database; not null. The engine does not close it
     * @return this builder
     * @throws IllegalStateException if a database was already given
     */
    public Builder database(ClusterDatabase d) {
      requireUnset(database, "database");
      database = Objects.requireNonNull(d);
      return this;
    }

    /**
     * The clock for job times and retention (default: the system UTC clock).
     *
     * @param c the clock; not null
     * @return this builder
     * @throws IllegalStateException if a clock was already given
     */
    public Builder clock(Clock c) {
      requireUnset(clock, "clock");
      clock = Objects.requireNonNull(c);
      return this;
    }

    /**
     * How long finished jobs are kept (default 300 s, as ONTAP).
     *
     * @param d how long a finished job stays visible; not null
     * @return this builder
     * @throws IllegalStateException if a retention was already given
     */
    public Builder jobRetention(Duration d) {
      requireUnset(jobRetention, "jobRetention");
      jobRetention = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Threads that rewrap VEKs during a rekey (default: available processors).
     *
     * @param threads the number of rewrap threads, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is below 1
     */
    public Builder parallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("parallelism must be >= 1: " + threads);
      }
      parallelism = threads;
      return this;
    }

    /**
     * The nodes this engine hosts (default: every node of the spec). When several engine processes share one
     * cluster database (one whose {@link ClusterDatabase#coordination() coordination} is distributed, such as
     * etcd), each hosts some of the nodes: only those have key tables here; block I/O and node controls on another
     * node fail with {@link ErrorCode#REMOTE_NODE}; per-node reports and restores reach the other nodes through
     * their processes. The engine announces these nodes when it is built and withdraws them when it closes.
     *
     * @param nodes node names, each in the spec, at least one
     * @return this builder
     * @throws IllegalArgumentException if {@code nodes} is empty or names a node the spec does not have
     * @throws IllegalStateException if local nodes were already given
     */
    public Builder localNodes(Collection<String> nodes) {
      requireUnset(localNodes, "localNodes");
      Set<String> copy = new LinkedHashSet<>(nodes);
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("localNodes needs at least one node");
      }
      for (String n : copy) {
        if (!spec.nodes().contains(n)) {
          throw new IllegalArgumentException("node " + n + " is not in cluster " + spec.name() + ": "
              + spec.nodes());
        }
      }
      localNodes = Set.copyOf(copy);
      return this;
    }

    /**
     * Where other processes reach this one for its nodes, announced with them (default {@code pid@host}); the
     * REST simulator gives its base URL, to which requests for its nodes are forwarded. Not a secret.
     *
     * @param e the endpoint, not blank
     * @return this builder
     * @throws IllegalArgumentException if {@code e} is blank
     * @throws IllegalStateException if an endpoint was already given
     */
    public Builder endpoint(String e) {
      requireUnset(endpoint, "endpoint");
      if (e == null || e.isBlank()) {
        throw new IllegalArgumentException("endpoint must not be blank");
      }
      endpoint = e;
      return this;
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }

    /**
     * The engine. Opening an existing database recovers any operation a crash interrupted (with several
     * processes, each SVM under its lock, so that a rekey another live process runs is not rolled back).
     *
     * @return a running engine; close it to stop its threads
     * @throws IllegalStateException if no key provider was given
     * @throws dev.kmsengine.store.StoreException if another live process hosts one of the local nodes, or the
     *     database's coordination cannot be reached
     */
    public KmsEngine build() {
      if (provider == null) {
        throw new IllegalStateException("keyProvider is required");
      }
      if (database == null) {
        database = new InMemoryClusterDatabase();
      }
      if (clock == null) {
        clock = Clock.systemUTC();
      }
      if (jobRetention == null) {
        jobRetention = JobQueue.DEFAULT_RETENTION;
      }
      if (parallelism == 0) {
        parallelism = Runtime.getRuntime().availableProcessors();
      }
      if (localNodes == null) {
        localNodes = Set.copyOf(spec.nodes());
      }
      if (endpoint == null) {
        endpoint = ProcessHandle.current().pid() + "@" + hostName();
      }
      return new KmsEngine(new Engine(spec, provider, database, clock, jobRetention, parallelism, localNodes,
          endpoint));
    }

    private static String hostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return "localhost";
      }
    }
  }

  /**
   * Barbican configurations, keystores, and the operations on an SVM's keys.
   *
   * @return the key-manager view of this engine
   */
  public BarbicanKms barbican() {
    return barbican;
  }

  /**
   * Nodes, SVMs, volumes and the simulated data path.
   *
   * @return the cluster view of this engine
   */
  public Cluster cluster() {
    return cluster;
  }

  /**
   * A job, unless unknown or purged (finished more than the retention period ago).
   *
   * @param uuid the job's uuid
   * @return the job, or empty if unknown or purged
   */
  public Optional<Job> job(UUID uuid) {
    return engine.job(uuid);
  }

  /**
   * Every retained job.
   *
   * @return a snapshot of the jobs still retained
   */
  public List<Job> jobs() {
    return engine.jobs();
  }

  /**
   * Waits up to {@code timeout} for a job to finish.
   *
   * @param uuid the job's uuid
   * @param timeout the longest time to wait
   * @return the job when it finished or the time ran out (then still queued or running)
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown job
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Job awaitJob(UUID uuid, Duration timeout) throws InterruptedException {
    return engine.awaitJob(uuid, timeout);
  }

  /**
   * Waits up to {@code timeout} for {@code job} to finish; {@code awaitJob(job, t).requireSuccess()} runs an
   * operation synchronously.
   *
   * @param job a job of this engine
   * @param timeout the longest time to wait
   * @return the job's latest state: finished, or still queued or running if the time ran out
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Job awaitJob(Job job, Duration timeout) throws InterruptedException {
    return engine.awaitJob(job.uuid(), timeout);
  }

  /**
   * Stops the job threads and the engine's worker threads, and withdraws its nodes (other processes see them down
   * at once). The database is left open (its owner closes it).
   */
  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return engine.toString();
  }
}
