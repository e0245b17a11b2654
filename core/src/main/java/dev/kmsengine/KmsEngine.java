package dev.kmsengine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.JobQueue;
import dev.kmsengine.job.Operation;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Reachability;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 * a 62-byte versioned blob ({@link dev.kmsengine.crypto.WrappedKeyFormat}); the associated data
 * ({@link dev.kmsengine.crypto.KeyBinding}) binds each blob to its SVM, to its volume (or, for an SVM-KEK, to the
 * keystore configuration protecting it) and to the SVM-KEK generation, so a blob moved anywhere else fails to
 * unwrap.
 *
 * <h2>Operations</h2>
 * The operations of {@code /api/security/barbican-kms} and {@code /api/security/key-stores} map one to one onto
 * methods here. Input errors are thrown at once as {@link KmsException}; work that touches keys or the network
 * runs as a {@link Job} (await it with {@link #awaitJob}), whose failure carries the error. Operations on one SVM
 * run one at a time in submission order; different SVMs proceed in parallel. A rekey makes its new generation
 * current in one atomic commit, after every new blob has been verified, so readers never see half of it.
 *
 * <h2>Security</h2>
 * No method returns key bytes, application credential secrets or proxy passwords, and no message, log line or
 * {@code toString} contains them. The secrets are stored sealed under the database's
 * {@link ClusterDatabase#configProtectionKey() configuration-protection key}, which lives outside the database;
 * building an engine reseals any that an older engine stored in plain text (then has the database purge its
 * earlier versions), and {@link #rotateConfigProtectionKey()} replaces the key.
 *
 * <p>Build with {@link #builder(ClusterSpec)}; close to stop job threads.
 */
public final class KmsEngine implements AutoCloseable {
  final EngineState state;
  final JobQueue jobs;
  private final ClusterNodes fanOut;
  private final KekStatusReport status;
  private final KeystoreLifecycle lifecycle;
  final VolumeKeys volumeKeys;
  final Rekey rekeys;
  final Restore restores;
  private final VolumeBlocks blocks;

  private KmsEngine(Builder b) {
    this.state = new EngineState(b.spec, b.provider, b.database, b.parallelism);
    state.resealConfigSecrets();
    this.jobs = new JobQueue(b.clock, b.jobRetention);
    this.fanOut = new ClusterNodes(state.nodes, b.parallelism);
    KekFetcher keks = new KekFetcher(state);
    this.status = new KekStatusReport(state, fanOut);
    this.lifecycle = new KeystoreLifecycle(state, keks);
    this.volumeKeys = new VolumeKeys(state, keks);
    this.rekeys = new Rekey(state, keks, new ParallelRewrap(state, fanOut));
    this.restores = new Restore(state, fanOut);
    this.blocks = new VolumeBlocks(state);
    state.initialiseSvms();
    Recovery.run(state);
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

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }

    /**
     * The engine. Opening an existing database recovers any operation a crash interrupted.
     *
     * @return a running engine; close it to stop its threads
     * @throws IllegalStateException if no key provider was given
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
      return new KmsEngine(this);
    }
  }

  // ---------------------------------------------------------------- cluster

  /**
   * The cluster this engine runs.
   *
   * @return the cluster specification the engine was built with
   */
  public ClusterSpec cluster() {
    return state.spec;
  }

  /**
   * The nodes, in cluster order.
   *
   * @return a snapshot of every node's name and state
   */
  public List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>();
    for (Node n : state.nodes) {
      out.add(new NodeInfo(n.uuid, n.name, n.isUp(), n.svmKekCount(), n.vekCount()));
    }
    return out;
  }

  /**
   * Reboots a node: it comes back at once with an empty key table and stays without keys until a restore.
   *
   * @param name the node's name, as in the cluster specification
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown node
   */
  public void rebootNode(String name) {
    state.node(name).reboot();
  }

  /**
   * Takes a node down (its key table is lost) or brings it up again (with an empty key table).
   *
   * @param name the node's name, as in the cluster specification
   * @param up {@code true} to bring the node up, {@code false} to take it down
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown node
   */
  public void setNodeUp(String name, boolean up) {
    state.node(name).setUp(up);
  }

  // ---------------------------------------------------------------- SVMs

  /**
   * Every SVM, admin SVM first.
   *
   * @return a snapshot of the SVMs
   */
  public List<SvmInfo> svms() {
    return state.svmRecords().stream().map(s -> new SvmInfo(s.uuid(), s.name(), s.admin())).toList();
  }

  /**
   * Creates a data SVM.
   *
   * @param name the new SVM's name
   * @return the new SVM, with a fresh uuid
   * @throws KmsException {@link ErrorCode#DUPLICATE_ENTRY} if the name is taken, {@link ErrorCode#INVALID_FIELD}
   *     if it is empty
   */
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

  // ---------------------------------------------------------------- volumes

  /**
   * Every volume of every SVM, by SVM then name.
   *
   * @return a snapshot of the volumes
   */
  public List<VolumeInfo> volumes() {
    List<VolumeInfo> out = new ArrayList<>();
    for (SvmRecord s : state.svmRecords()) {
      out.addAll(state.volumes(s.uuid()));
    }
    return out;
  }

  /**
   * The volumes of one SVM, by name.
   *
   * @param svmUuid the SVM's uuid
   * @return a snapshot of that SVM's volumes; empty for an unknown SVM
   */
  public List<VolumeInfo> volumes(UUID svmUuid) {
    return state.volumes(svmUuid);
  }

  /**
   * One volume.
   *
   * @param uuid the volume's uuid
   * @return the volume, or empty if there is none with this uuid
   */
  public Optional<VolumeInfo> volume(UUID uuid) {
    VolumeRecord r = state.volumeRecord(uuid);
    if (r == null) {
      return Optional.empty();
    }
    SvmRecord s = state.svm(r.svm());
    return Optional.of(new VolumeInfo(r.uuid(), r.name(), r.svm(), s.name(), r.encrypted(), r.keyId()));
  }

  /**
   * Creates a volume; an encrypted one gets a fresh VEK wrapped under the SVM-KEK (created now if this is the
   * SVM's first encrypted volume) and installed on every up node that holds the SVM-KEK.
   *
   * @param svmName {@code svm.name} (or null when {@code svmUuid} is given)
   * @param svmUuid {@code svm.uuid} (or null)
   * @param name the volume name, unique within the SVM
   * @param encrypted {@code encryption.enabled}
   * @return the job; its {@link Job#resourceUuid()} is the new volume's uuid
   * @throws KmsException for an unknown SVM, a duplicate or empty name, or (encrypted) an SVM without an enabled
   *     Barbican configuration ({@link ErrorCode#NO_KMS_CONFIGURED})
   */
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

  /**
   * Deletes a volume and destroys its VEK: the wrapped blob leaves the database and every node wipes its copy.
   *
   * @param uuid the volume's uuid
   * @return the job that wipes the VEK from the database and the nodes
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown volume
   */
  public Job deleteVolume(UUID uuid) {
    VolumeRecord v = state.volumeRecord(uuid);
    if (v == null) {
      throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "uuid", "");
    }
    return jobs.submit(Operation.DELETE_VOLUME, v.svm(), uuid, ctx -> volumeKeys.delete(v));
  }

  /**
   * Writes one block of a volume through {@code node}, encrypted with the volume's VEK as that node holds it.
   * This simulated data path lets a test write data before a rekey, switch, restore or restart and prove it reads
   * back afterwards.
   *
   * @param node the name of the node that encrypts the block
   * @param volume the volume's uuid
   * @param block the block number, zero or more
   * @param data the plaintext, at most 64 KiB
   * @throws KmsException {@link ErrorCode#VEK_NOT_LOADED} if the node is down or lacks the volume's key,
   *     {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown volume, {@link ErrorCode#INVALID_FIELD} for a block over
   *     64 KiB or a negative block number
   */
  public void writeBlock(String node, UUID volume, long block, byte[] data) {
    blocks.write(node, volume, block, data);
  }

  /**
   * Reads one block of a volume through {@code node}, decrypting with that node's copy of the VEK.
   *
   * @param node the name of the node that decrypts the block
   * @param volume the volume's uuid
   * @param block the block number
   * @return the plaintext last written to that block
   * @throws KmsException as {@link #writeBlock}, {@link ErrorCode#ENTRY_NOT_FOUND} for a block never written, and
   *     {@link ErrorCode#DECRYPT_FAILED} if the node's key does not decrypt it
   */
  public byte[] readBlock(String node, UUID volume, long block) {
    return blocks.read(node, volume, block);
  }

  /**
   * Starts a restore for every SVM with an enabled configuration, as a restarted cluster does: nodes come back
   * with empty key tables and get their keys from Barbican.
   *
   * @return the restore jobs, one per SVM
   */
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

  // ---------------------------------------------------------------- Barbican configurations

  /**
   * Every Barbican configuration, by SVM name then configuration name.
   *
   * @return a snapshot of the configurations, without secrets
   */
  public List<BarbicanConfig> barbicanConfigs() {
    return state.configRecords().stream().map(state::view).toList();
  }

  /**
   * One configuration.
   *
   * @param uuid the configuration's uuid
   * @return the configuration without its secrets, or empty if there is none with this uuid
   */
  public Optional<BarbicanConfig> barbicanConfig(UUID uuid) {
    ConfigRecord c = state.configRecord(uuid);
    return c == null ? Optional.empty() : Optional.of(state.view(c));
  }

  /**
   * Creates an inactive Barbican configuration ({@code POST /api/security/barbican-kms}).
   *
   * <p>Checks run in this order, each failing with the reference's code: the cluster (license 1115127, version
   * 65539806, MetroCluster 65539809), the SVM (exists, not the admin SVM 65539807), the configuration name
   * (present, unique 65539808), {@code key_id} (HTTPS 65539810), {@code keystone_url} (HTTPS 65539811), the
   * credential id (65539835) and secret (65539805), then the optional transport fields.
   *
   * @param r the configuration's name, SVM, URLs, credentials and transport settings
   * @return the job; {@link Job#resourceUuid()} is the new configuration's uuid
   */
  public Job createBarbicanConfig(BarbicanConfigRequest r) {
    ConfigRecord record = ConfigValidator.checkCreate(state, r);
    return jobs.submit(Operation.CREATE_BARBICAN_CONFIG, record.svm(), record.uuid(), ctx -> {
      state.requireUniqueName(record.svm(), record.name());
      state.putConfig(record);
    });
  }

  /**
   * Replaces the configuration-protection key: adds a new key generation (durably, in the key's own file),
   * reseals every configuration's secrets under it in one commit, retires the old generation and has the database
   * rewrite its files without the records sealed under it. Configuration writes wait meanwhile; a crash at any
   * point is finished when the next engine is built on the database.
   *
   * @throws dev.kmsengine.store.StoreException if the key file or the database cannot be written
   */
  public void rotateConfigProtectionKey() {
    state.rotateConfigProtectionKey();
  }

  /**
   * Updates a configuration ({@code PATCH /api/security/barbican-kms/{uuid}}). New credentials, and any change to
   * the enabled configuration, are checked against Barbican before they are kept (65539223 otherwise); cached
   * tokens and keys of the configuration are then invalidated.
   *
   * @param uuid the configuration's uuid
   * @param u the fields to change; absent fields keep their value
   * @return the job that checks and stores the change
   * @throws KmsException 65539832 for an unknown configuration, 65539841 when only one of the credential fields
   *     is given, 65539815/65539814 for an empty id/secret, {@link ErrorCode#INVALID_FIELD} for bad transport
   *     values
   */
  public Job updateBarbicanConfig(UUID uuid, BarbicanConfigUpdate u) {
    Objects.requireNonNull(u, "update");
    ConfigRecord current = state.requireConfig(uuid, ErrorCode.CONFIG_NOT_FOUND);
    ConfigValidator.checkUpdate(current, u);
    return jobs.submit(Operation.UPDATE_BARBICAN_CONFIG, current.svm(), uuid,
        ctx -> lifecycle.update(uuid, u));
  }

  /**
   * The advanced property {@code barbican_reachability}: asks every node, in parallel, whether it reaches
   * Barbican with this configuration (token and key metadata, no key bytes).
   *
   * @param config the configuration's uuid
   * @return each node's answer
   * @throws KmsException {@link ErrorCode#CONFIG_NOT_FOUND} for an unknown configuration
   */
  public Reachability reachability(UUID config) {
    return status.reachability(state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND));
  }

  /**
   * The advanced property {@code state}: whether every node holds the SVM-KEK, and if not, which nodes lack it
   * and why.
   *
   * @param config the configuration's uuid
   * @return whether every node holds the SVM-KEK, with the reason of each node that does not
   * @throws KmsException {@link ErrorCode#CONFIG_NOT_FOUND} for an unknown configuration
   */
  public KekAvailability kekAvailability(UUID config) {
    return status.kekAvailability(state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND));
  }

  /**
   * Rekeys the SVM's internal key ({@code POST .../rekey-internal}): a fresh SVM-KEK, every VEK rewrapped under
   * it and verified, the new SVM-KEK protected by the configuration's top-level KEK, all made current in one
   * atomic commit. The VEKs themselves do not change.
   *
   * @param config the uuid of the SVM's enabled configuration
   * @return the rekey job
   * @throws KmsException 65539832 for an unknown configuration, 65539817 if it is not the enabled one; state
   *     conflicts (65537610, 65539436, 65539437, 65537556) fail the job
   */
  public Job rekeyInternal(UUID config) {
    ConfigRecord c = enabledConfig(config);
    return jobs.submit(Operation.REKEY_INTERNAL, c.svm(), config,
        ctx -> rekeys.run(c.uuid(), ctx));
  }

  /**
   * Restores the SVM-KEK (and the VEKs under it) on every node from Barbican ({@code POST .../restore}). Each node
   * fetches the top-level KEK through its own path; the job's {@link Job#nodes()} says what happened on each, and
   * the job fails with 65539842 if any node failed.
   *
   * @param config the uuid of the SVM's enabled configuration
   * @return the restore job, with one result per node
   * @throws KmsException 65539832 for an unknown configuration, 65539817 if it is not the enabled one
   */
  public Job restore(UUID config) {
    ConfigRecord c = enabledConfig(config);
    return jobs.submit(Operation.RESTORE, c.svm(), config,
        ctx -> restores.run(c.uuid(), ctx));
  }

  private ConfigRecord enabledConfig(UUID config) {
    ConfigRecord c = state.requireConfig(config, ErrorCode.CONFIG_NOT_FOUND);
    state.requireEnabled(c);
    return c;
  }

  // ---------------------------------------------------------------- key stores

  /**
   * Every keystore configuration ({@code GET /api/security/key-stores}), by SVM then name.
   *
   * @return a snapshot of the keystore configurations
   */
  public List<Keystore> keystores() {
    return barbicanConfigs().stream().map(KmsEngine::keystore).toList();
  }

  /**
   * One keystore configuration.
   *
   * @param uuid the keystore configuration's uuid
   * @return the keystore configuration, or empty if there is none with this uuid
   */
  public Optional<Keystore> keystore(UUID uuid) {
    return barbicanConfig(uuid).map(KmsEngine::keystore);
  }

  private static Keystore keystore(BarbicanConfig c) {
    return new Keystore(c.uuid(), c.name(), c.svmUuid(), c.svmName(), c.enabled(), c.state());
  }

  /**
   * Enables a configuration ({@code PATCH /api/security/key-stores/{uuid}} with {@code enabled: true}). With no
   * enabled configuration, this fetches the top-level KEK to prove it works and makes the configuration active.
   * With another one enabled, it switches: the SVM-KEK is re-protected under the new configuration's KEK, no VEK
   * changes. A switch that fails leaves the keystore {@code switching} (rekey and delete are refused) until this
   * call is repeated and completes.
   *
   * @param uuid the keystore configuration's uuid
   * @return the enable or switch job
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown uuid
   */
  public Job enableKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    return jobs.submit(Operation.ENABLE_KEYSTORE, c.svm(), uuid, ctx -> lifecycle.enable(uuid));
  }

  /**
   * Disables the enabled configuration ({@code enabled: false}); refused while the SVM has encrypted volumes,
   * whose keys would become unprotected.
   *
   * @param uuid the keystore configuration's uuid
   * @return the disable job
   */
  public Job disableKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    return jobs.submit(Operation.DISABLE_KEYSTORE, c.svm(), uuid, ctx -> lifecycle.disable(uuid));
  }

  /**
   * Deletes an inactive configuration ({@code DELETE /api/security/key-stores/{uuid}}).
   *
   * @param uuid the keystore configuration's uuid
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown uuid, 65538905 if it is enabled,
   *     65539593 while the SVM's keystore is switching
   */
  public void deleteKeystore(UUID uuid) {
    ConfigRecord c = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    jobs.exclusive(c.svm(), () -> {
      lifecycle.delete(uuid, state.keyState(c.svm()));
      return null;
    });
    state.provider.invalidate(uuid);
  }

  // ---------------------------------------------------------------- jobs

  /**
   * A job, unless unknown or purged (finished more than the retention period ago).
   *
   * @param uuid the job's uuid
   * @return the job, or empty if unknown or purged
   */
  public Optional<Job> job(UUID uuid) {
    return jobs.get(uuid);
  }

  /**
   * Every retained job.
   *
   * @return a snapshot of the jobs still retained
   */
  public List<Job> jobs() {
    return jobs.list();
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
    return jobs.await(uuid, timeout);
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
    return jobs.await(job.uuid(), timeout);
  }

  /** Stops the job threads and the engine's worker threads. The database is left open (its owner closes it). */
  @Override
  public void close() {
    jobs.close();
    fanOut.close();
  }

  @Override
  public String toString() {
    return "KmsEngine[cluster=" + state.spec.name() + ", nodes=" + state.nodes.size() + "]";
  }
}
