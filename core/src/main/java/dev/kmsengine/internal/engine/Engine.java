package dev.kmsengine.internal.engine;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.job.JobQueue;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.Operation;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.Reachability;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.WriteBatch;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * What stands behind {@link KmsEngine} and its views: it wires the operations together and checks each request
 * before it becomes a job. The facade documents every method; this class adds nothing a caller may rely on.
 * Public only because the facade lives in another package. Not API.
 *
 * <p>Thread-safe: the state it reads is the database's and the nodes' own, and every change runs through the
 * job queue's per-SVM lines and locks.
 */
public final class Engine implements AutoCloseable {
  private static volatile Function<KmsEngine, Engine> facadeAccess;

  final EngineState state;
  final JobQueue jobs;
  private final ClusterNodes fanOut;
  private final KekStatusReport status;
  private final KeystoreLifecycle lifecycle;
  final VolumeKeys volumeKeys;
  final Rekey rekeys;
  final Restore restores;
  private final VolumeBlocks blocks;
  private final NodeDirectory directory;
  private final NodeStatusBoard board;
  private final NodeRequests requests;
  /** Multi-process mode only, else null. */
  private final GenerationWatch generations;
  private final Recovery recovery;
  private final Coordination coordination;
  private volatile Thread deferredRecovery;

  /** How long a restore waits for the processes of remote nodes: a restore of a large SVM takes a while. */
  private static final Duration REMOTE_RESTORE_TIMEOUT = Duration.ofSeconds(120);
  /** How long a reachability report waits for them: ONTAP's default {@code return_timeout} is 15 s. */
  private static final Duration REMOTE_REACHABILITY_TIMEOUT = Duration.ofSeconds(15);
  /** How long recovery at start waits for an SVM's lock before it leaves that SVM for later. */
  private static final Duration RECOVERY_LOCK_WAIT = Duration.ofSeconds(2);

  /**
   * Builds and recovers an engine; {@link KmsEngine.Builder} has already applied its defaults.
   *
   * @param spec the cluster
   * @param provider where top-level KEKs come from
   * @param database where wrapped keys live
   * @param clock the clock for job times and retention
   * @param jobRetention how long finished jobs stay visible
   * @param parallelism rewrap and fan-out threads
   * @param localNodes the nodes this process hosts, all in {@code spec}
   * @param endpoint what this process announces for its nodes
   */
  public Engine(ClusterSpec spec, TopLevelKeyProvider provider, ClusterDatabase database, Clock clock,
      Duration jobRetention, int parallelism, Set<String> localNodes, String endpoint) {
    this.state = new EngineState(spec, provider, database, parallelism, localNodes);
    this.coordination = database.coordination();
    // First: a process of another cluster shape is refused before it writes or starts anything.
    ClusterShape.settle(state);
    state.resealConfigSecrets();
    this.directory = new NodeDirectory(spec.nodes(), localNodes, endpoint, coordination, System::nanoTime);
    // A process hosting every node has the cluster to itself: no other process can host one, so nobody needs to be
    // told of its nodes, and no other process's change needs watching.
    boolean multiProcess = coordination.distributed() && !directory.allLocal();
    try {
      this.jobs = new JobQueue(clock, jobRetention, database, JobQueue.DEFAULT_LOCK_WAIT);
      this.fanOut = new ClusterNodes(state.nodes, parallelism);
      this.board = new NodeStatusBoard(state, multiProcess);
      this.requests = new NodeRequests(state, directory, multiProcess, Map.of(NodeRequest.Kind.RESTORE,
          REMOTE_RESTORE_TIMEOUT, NodeRequest.Kind.REACHABILITY, REMOTE_REACHABILITY_TIMEOUT));
      this.generations = multiProcess ? new GenerationWatch(state) : null;
      KekFetcher keks = new KekFetcher(state);
      this.status = new KekStatusReport(state, fanOut, directory, board, requests);
      this.lifecycle = new KeystoreLifecycle(state, keks);
      this.volumeKeys = new VolumeKeys(state, keks, generations);
      this.rekeys = new Rekey(state, keks, new ParallelRewrap(state, fanOut));
      RemoteRestore remoteRestore = new RemoteRestore(state, requests, board);
      this.restores = new Restore(state, fanOut, remoteRestore);
      this.blocks = new VolumeBlocks(state, directory, volumeKeys);
      this.recovery = new Recovery(state);
      if (multiProcess) {
        generations.start(coordination);
        requests.serve(NodeRequest.Kind.RESTORE, r -> remoteRestore.serve(r, restores));
        requests.serve(NodeRequest.Kind.REACHABILITY, status::serve);
        requests.start(coordination);
        if (!recovery.underLocks(coordination, RECOVERY_LOCK_WAIT).isEmpty()) {
          startDeferredRecovery();
        }
      } else {
        recovery.run();
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Recovers, in the background, the SVMs whose lock another process held at start; ends when none is left. */
  private void startDeferredRecovery() {
    Thread t = new Thread(() -> {
      while (recovery.hasDeferred() && !Thread.currentThread().isInterrupted()) {
        recovery.retryDeferred(coordination, JobQueue.DEFAULT_LOCK_WAIT);
      }
    }, "kms-deferred-recovery");
    t.setDaemon(true);
    deferredRecovery = t;
    t.start();
  }

  /**
   * What the job runner calls just after it took an SVM's lock for a job, before the job's body: recovers the SVM
   * first if its recovery was deferred at start because another process held the lock.
   *
   * @param svm the SVM whose lock was taken
   * @param lock the lock, whose fence the recovery's commit carries
   */
  public void afterSvmLocked(UUID svm, Coordination.SvmLock lock) {
    recovery.afterLock(svm, lock);
  }

  /**
   * Lets {@link #of} find a facade's engine; {@link KmsEngine} calls this once as its class initialises.
   *
   * @param access reads a facade's engine
   * @throws IllegalStateException if called twice
   */
  public static synchronized void installFacadeAccess(Function<KmsEngine, Engine> access) {
    if (facadeAccess != null) {
      throw new IllegalStateException("facade access is installed already");
    }
    facadeAccess = Objects.requireNonNull(access);
  }

  /**
   * The engine behind a facade: the route by which this module's tests and the benchmarks reach the internals.
   *
   * @param facade a built engine
   * @return its internals
   */
  public static Engine of(KmsEngine facade) {
    return facadeAccess.apply(Objects.requireNonNull(facade));
  }

  /**
   * The cluster's shared state, for benchmarks that load records directly.
   *
   * @return the state
   */
  public EngineState state() {
    return state;
  }

  // ---------------------------------------------------------------- cluster, SVMs, volumes, data path

  public ClusterSpec spec() {
    return state.spec;
  }

  public List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>();
    for (String name : state.spec.nodes()) {
      if (directory.isLocal(name)) {
        Node n = state.node(name);
        out.add(new NodeInfo(n.uuid, n.name, n.isUp(), n.svmKekCount(), n.vekCount(), true,
            Optional.of(directory.endpoint())));
        continue;
      }
      Optional<String> endpoint = directory.endpointOf(name);
      NodeStatusRecord published = endpoint.isPresent() ? board.published(name) : null;
      boolean up = published != null && published.up();
      out.add(new NodeInfo(state.nodeUuid(name), name, up, up ? published.generations().size() : 0,
          up ? published.veks() : 0, false, endpoint));
    }
    return out;
  }

  public void rebootNode(String name) {
    directory.requireLocal(name);
    state.node(name).reboot();
  }

  public void setNodeUp(String name, boolean up) {
    directory.requireLocal(name);
    state.node(name).setUp(up);
  }

  public List<SvmInfo> svms() {
    return state.svmRecords().stream().map(s -> new SvmInfo(s.uuid(), s.name(), s.admin())).toList();
  }

  public SvmInfo createSvm(String name) {
    if (name == null || name.isBlank() || name.length() > 255) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "name", "An SVM name of 1 to 255 characters is required.");
    }
    return jobs.exclusive(null, () -> {
      if (state.svmRecords().stream().anyMatch(s -> s.name().equals(name))) {
        throw new KmsException(ErrorCode.DUPLICATE_ENTRY, "name", "SVM \"" + name + "\" already exists.");
      }
      SvmRecord svm = new SvmRecord(UUID.randomUUID(), name, false);
      state.db.commit(new WriteBatch().put(Buckets.SVMS, svm.uuid(), svm.encode()));
      return new SvmInfo(svm.uuid(), svm.name(), false);
    });
  }

  public List<VolumeInfo> volumes() {
    List<VolumeInfo> out = new ArrayList<>();
    for (SvmRecord s : state.svmRecords()) {
      out.addAll(state.volumes(s.uuid()));
    }
    return out;
  }

  public List<VolumeInfo> volumes(UUID svmUuid) {
    return state.volumes(svmUuid);
  }

  public Optional<VolumeInfo> volume(UUID uuid) {
    VolumeRecord r = state.volumeRecord(uuid);
    if (r == null) {
      return Optional.empty();
    }
    SvmRecord s = state.svm(r.svm());
    return Optional.of(new VolumeInfo(r.uuid(), r.name(), r.svm(), s.name(), r.encrypted(), r.keyId()));
  }

  public Job createVolume(String svmName, UUID svmUuid, String name, boolean encrypted) {
    SvmRecord svm = state.resolveSvm(svmName, svmUuid);
    if (name == null || name.isBlank() || name.length() > 203) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "name", "A volume name of 1 to 203 characters is required.");
    }
    if (state.volumeNameTaken(svm.uuid(), name)) {
      throw new KmsException(ErrorCode.DUPLICATE_ENTRY, "name",
          "Volume \"" + name + "\" already exists in SVM \"" + svm.name() + "\".");
    }
    if (encrypted && state.keyState(svm.uuid()).enabled() == null) {
      throw new KmsException(ErrorCode.NO_KMS_CONFIGURED, "encryption.enabled",
          "SVM \"" + svm.name() + "\" has no enabled key manager.");
    }
    UUID volume = UUID.randomUUID();
    return jobs.submit(Operation.CREATE_VOLUME, svm.uuid(), volume,
        ctx -> volumeKeys.create(svm, volume, name, encrypted));
  }

  public Job deleteVolume(UUID uuid) {
    VolumeRecord v = state.volumeRecord(uuid);
    if (v == null) {
      throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "uuid");
    }
    return jobs.submit(Operation.DELETE_VOLUME, v.svm(), uuid, ctx -> volumeKeys.delete(v));
  }

  public void writeBlock(String node, UUID volume, long block, byte[] data) {
    blocks.write(node, volume, block, data);
  }

  public byte[] readBlock(String node, UUID volume, long block) {
    return blocks.read(node, volume, block);
  }

  // ---------------------------------------------------------------- Barbican configurations and keystores

  public List<Job> restoreAll() {
    List<Job> out = new ArrayList<>();
    for (SvmRecord s : state.svmRecords()) {
      UUID enabled = state.keyState(s.uuid()).enabled();
      if (enabled != null) {
        out.add(restore(enabled));
      }
    }
    return out;
  }

  public List<BarbicanConfig> barbicanConfigs() {
    return state.configRecords().stream().map(state::view).toList();
  }

  public Optional<BarbicanConfig> barbicanConfig(UUID uuid) {
    ConfigRecord c = state.configRecord(uuid);
    return c == null ? Optional.empty() : Optional.of(state.view(c));
  }

  public Job createBarbicanConfig(BarbicanConfigRequest r) {
    ConfigRecord record = ConfigValidator.checkCreate(state, r);
    return jobs.submit(Operation.CREATE_BARBICAN_CONFIG, record.svm(), record.uuid(), ctx -> {
      state.requireUniqueName(record.svm(), record.name());
      state.putConfig(record);
    });
  }

  public void rotateConfigProtectionKey() {
    state.rotateConfigProtectionKey();
  }

  public Job updateBarbicanConfig(UUID uuid, BarbicanConfigUpdate u) {
    Objects.requireNonNull(u, "update");
    ConfigRecord current = state.requireConfig(uuid, ErrorCode.CONFIG_NOT_FOUND);
    ConfigValidator.checkUpdate(current, u);
    return jobs.submit(Operation.UPDATE_BARBICAN_CONFIG, current.svm(), uuid, ctx -> lifecycle.update(uuid, u));
  }

  public Reachability reachability(UUID config) {
    return status.reachability(state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND));
  }

  public KekAvailability kekAvailability(UUID config) {
    return status.kekAvailability(state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND));
  }

  public Job rekeyInternal(UUID config) {
    ConfigRecord c = enabledConfig(config);
    return jobs.submit(Operation.REKEY_INTERNAL, c.svm(), config, ctx -> rekeys.run(c.uuid(), ctx));
  }

  public Job restore(UUID config) {
    ConfigRecord c = enabledConfig(config);
    return jobs.submit(Operation.RESTORE, c.svm(), config, ctx -> restores.run(c.uuid(), ctx));
  }

  private ConfigRecord enabledConfig(UUID config) {
    ConfigRecord c = state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND);
    state.requireEnabled(c);
    return c;
  }

  public List<Keystore> keystores() {
    return barbicanConfigs().stream().map(Engine::keystore).toList();
  }

  public Optional<Keystore> keystore(UUID uuid) {
    return barbicanConfig(uuid).map(Engine::keystore);
  }

  private static Keystore keystore(BarbicanConfig c) {
    return new Keystore(c.uuid(), c.name(), c.svmUuid(), c.svmName(), c.enabled(), c.state());
  }

  public Job enableKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    return jobs.submit(Operation.ENABLE_KEYSTORE, c.svm(), uuid, ctx -> lifecycle.enable(uuid));
  }

  public Job disableKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    return jobs.submit(Operation.DISABLE_KEYSTORE, c.svm(), uuid, ctx -> lifecycle.disable(uuid));
  }

  public void deleteKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    jobs.exclusive(c.svm(), () -> {
      lifecycle.delete(uuid, state.keyState(c.svm()));
      return null;
    });
    state.provider.invalidate(uuid);
  }

  // ---------------------------------------------------------------- jobs and lifecycle

  public Optional<Job> job(UUID uuid) {
    return jobs.get(uuid);
  }

  public List<Job> jobs() {
    return jobs.list();
  }

  public Job awaitJob(UUID uuid, Duration timeout) throws InterruptedException {
    return jobs.await(uuid, timeout);
  }

  @Override
  public void close() {
    Thread t = deferredRecovery;
    if (t != null) {
      t.interrupt();
    }
    closeAll(requests, generations, jobs, fanOut, board, directory);
  }

  /** Closes each of {@code parts} that was built (a failed constructor leaves some null), the first failure last. */
  private static void closeAll(AutoCloseable... parts) {
    RuntimeException first = null;
    for (AutoCloseable p : parts) {
      try {
        if (p != null) {
          p.close();
        }
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "KmsEngine[cluster=" + state.spec.name() + ", nodes=" + state.spec.nodes().size()
        + (directory.allLocal() ? "" : ", local=" + state.nodes.size()) + "]";
  }
}
