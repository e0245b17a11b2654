package dev.kmsengine.internal.engine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.job.JobLocks;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ConfigProtectionKey;
import dev.kmsengine.store.WriteBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What an engine is built on, and every read and write of its records: the cluster database, the nodes, the key
 * provider, the configuration-protection key. The operations share one instance and never touch the database
 * except through it or through a {@link WriteBatch} they commit here.
 *
 * <p>Thread-safe: the database and the nodes are; configuration records take {@link #configWrites}.
 */
public final class EngineState {
  final ClusterSpec spec;
  final TopLevelKeyProvider provider;
  /** The cluster database. */
  public final ClusterDatabase db;
  /**
   * The nodes this process hosts (every node of the cluster unless the engine was built with
   * {@code localNodes}), in cluster order: the only key tables in this process.
   */
  public final List<Node> nodes;
  final int parallelism;
  private final ConfigProtectionKey configKey;
  /**
   * Read-locked by every read and write of configuration records, write-locked by
   * {@link #rotateConfigProtectionKey}: a rotation reseals every record in one commit, which must not overwrite a
   * concurrent change or resurrect a deleted record, and then retires the old key generation, which a read that
   * fetched a record before the commit would still need. Always taken before the database's own lock.
   */
  private final ReentrantReadWriteLock configWrites = new ReentrantReadWriteLock();

  EngineState(ClusterSpec spec, TopLevelKeyProvider provider, ClusterDatabase db, int parallelism,
      Set<String> localNodes) {
    this.spec = spec;
    this.provider = provider;
    this.db = JobLocks.checkingCommits(db);
    this.parallelism = parallelism;
    this.configKey = db.configProtectionKey();
    List<Node> n = new ArrayList<>();
    for (String name : spec.nodes()) {
      if (localNodes.contains(name)) {
        n.add(new Node(nodeUuid(name), name));
      }
    }
    this.nodes = List.copyOf(n);
  }

  /** A node's uuid, the same in every process: derived from the cluster and node names. */
  UUID nodeUuid(String name) {
    return stableUuid("node/" + name);
  }

  private UUID stableUuid(String what) {
    return UUID.nameUUIDFromBytes((spec.name() + "/" + what).getBytes(StandardCharsets.UTF_8));
  }

  /** Adds the admin SVM and the specification's data SVMs that the database does not hold yet. */
  void initialiseSvms() {
    WriteBatch batch = new WriteBatch();
    List<SvmRecord> existing = svmRecords();
    if (existing.stream().noneMatch(SvmRecord::admin)) {
      SvmRecord admin = new SvmRecord(stableUuid("svm/" + spec.adminSvm()), spec.adminSvm(), true);
      batch.put(Buckets.SVMS, admin.uuid(), admin.encode());
    }
    for (String name : spec.dataSvms()) {
      if (existing.stream().noneMatch(s -> s.name().equals(name))) {
        // Stable, as the admin SVM's: two processes adding the spec's SVMs add the same records.
        SvmRecord svm = new SvmRecord(stableUuid("svm/" + name), name, false);
        batch.put(Buckets.SVMS, svm.uuid(), svm.encode());
      }
    }
    if (!batch.isEmpty()) {
      db.commit(batch);
    }
  }

  // ---------------------------------------------------------------- nodes

  Node node(String name) {
    for (Node n : nodes) {
      if (n.name.equals(name)) {
        return n;
      }
    }
    throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "name", "Node \"" + name + "\" does not exist.");
  }

  /** Every node's wipe epoch, in node order. */
  long[] epochs() {
    long[] out = new long[nodes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = nodes.get(i).epoch();
    }
    return out;
  }

  // ---------------------------------------------------------------- SVMs and volumes

  List<SvmRecord> svmRecords() {
    List<SvmRecord> out = new ArrayList<>();
    db.forEach(Buckets.SVMS, (k, v) -> out.add(SvmRecord.decode(k, v)));
    out.sort(Comparator.comparing((SvmRecord s) -> !s.admin()).thenComparing(SvmRecord::name));
    return out;
  }

  SvmRecord svm(UUID uuid) {
    byte[] b = uuid == null ? null : db.get(Buckets.SVMS, uuid);
    return b == null ? null : SvmRecord.decode(uuid, b);
  }

  String svmName(UUID svm) {
    SvmRecord s = svm(svm);
    return s == null ? "" : s.name();
  }

  /** Resolves {@code svm.name} and/or {@code svm.uuid} of a request body; both must agree when both are given. */
  SvmRecord resolveSvm(String name, UUID uuid) {
    if (name == null && uuid == null) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "svm.name", "Either \"svm.name\" or \"svm.uuid\" is required.");
    }
    SvmRecord found = uuid != null ? svm(uuid)
        : svmRecords().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    if (found == null || (name != null && !found.name().equals(name))) {
      throw new KmsException(ErrorCode.SVM_NOT_FOUND, uuid != null ? "svm.uuid" : "svm.name",
          "SVM \"" + (name != null ? name : uuid) + "\" was not found.");
    }
    return found;
  }

  /** The volumes of one SVM, by name; empty for an unknown SVM. */
  List<VolumeInfo> volumes(UUID svmUuid) {
    SvmRecord s = svm(svmUuid);
    if (s == null) {
      return List.of();
    }
    List<VolumeInfo> out = new ArrayList<>();
    db.forEach(Buckets.volumes(svmUuid), (k, v) -> {
      VolumeRecord r = VolumeRecord.decode(svmUuid, k, v);
      out.add(new VolumeInfo(r.uuid(), r.name(), svmUuid, s.name(), r.encrypted(), r.keyId()));
    });
    out.sort(Comparator.comparing(VolumeInfo::name));
    return out;
  }

  boolean volumeNameTaken(UUID svm, String name) {
    return db.get(Buckets.volumeNames(svm), Buckets.volumeNameKey(name)) != null;
  }

  VolumeRecord volumeRecord(UUID uuid) {
    if (uuid == null) {
      return null;
    }
    for (SvmRecord s : svmRecords()) {
      byte[] b = db.get(Buckets.volumes(s.uuid()), uuid);
      if (b != null) {
        return VolumeRecord.decode(s.uuid(), uuid, b);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- key state

  public SvmKeyState keyState(UUID svm) {
    byte[] b = db.get(Buckets.SVM_KEYS, svm);
    return b == null ? SvmKeyState.empty(svm) : SvmKeyState.decode(svm, b);
  }

  void saveState(SvmKeyState ks) {
    db.commit(new WriteBatch().put(Buckets.SVM_KEYS, ks.svm(), ks.encode()));
  }

  // ---------------------------------------------------------------- Barbican configurations

  List<ConfigRecord> configRecords() {
    List<ConfigRecord> out = new ArrayList<>();
    configWrites.readLock().lock();
    try {
      db.forEach(Buckets.CONFIGS, (k, v) -> out.add(ConfigRecord.decode(k, v, configKey)));
    } finally {
      configWrites.readLock().unlock();
    }
    out.sort(Comparator.comparing((ConfigRecord c) -> svmName(c.svm())).thenComparing(ConfigRecord::name));
    return out;
  }

  ConfigRecord configRecord(UUID uuid) {
    if (uuid == null) {
      return null;
    }
    configWrites.readLock().lock();
    try {
      byte[] b = db.get(Buckets.CONFIGS, uuid);
      return b == null ? null : ConfigRecord.decode(uuid, b, configKey);
    } finally {
      configWrites.readLock().unlock();
    }
  }

  /** The configuration {@code uuid}, or {@code missing} with target {@code uuid} if there is none. */
  ConfigRecord requireConfig(UUID uuid, ErrorCode missing) {
    ConfigRecord c = configRecord(uuid);
    if (c == null) {
      throw new KmsException(missing, "uuid");
    }
    return c;
  }

  /** The key state of {@code cfg}'s SVM, which must have {@code cfg} enabled (65539817 otherwise). */
  SvmKeyState requireEnabled(ConfigRecord cfg) {
    SvmKeyState ks = keyState(cfg.svm());
    if (!cfg.uuid().equals(ks.enabled())) {
      throw new KmsException(ErrorCode.NOT_CONFIGURED, "uuid", "The configuration is not enabled.");
    }
    return ks;
  }

  /** Whether a configuration named {@code name} exists on {@code svm} (65539808). */
  void requireUniqueName(UUID svm, String name) {
    if (configRecords().stream().anyMatch(c -> c.svm().equals(svm) && c.name().equals(name))) {
      throw new KmsException(ErrorCode.DUPLICATE_CONFIG_NAME, "configuration.name");
    }
  }

  BarbicanConfig view(ConfigRecord c) {
    SvmKeyState ks = keyState(c.svm());
    boolean enabled = c.uuid().equals(ks.enabled());
    KeystoreState state = enabled || c.uuid().equals(ks.switchTarget()) ? ks.state() : KeystoreState.INACTIVE;
    return new BarbicanConfig(c.uuid(), c.name(), c.svm(), svmName(c.svm()), c.keyId(), c.keystoneUrl(),
        c.appCredId(), c.proxyType(), c.proxyHost(), c.proxyPort(), c.proxyUsername(), c.verify(), c.verifyHost(),
        c.timeout(), enabled, state);
  }

  /** Stores {@code record}, its secrets sealed under the current configuration-protection key. */
  void putConfig(ConfigRecord record) {
    configWrites.readLock().lock();
    try {
      db.commit(new WriteBatch().put(Buckets.CONFIGS, record.uuid(), record.encode(configKey)));
    } finally {
      configWrites.readLock().unlock();
    }
  }

  void deleteConfig(UUID uuid) {
    configWrites.readLock().lock();
    try {
      db.commit(new WriteBatch().delete(Buckets.CONFIGS, uuid));
    } finally {
      configWrites.readLock().unlock();
    }
  }

  /** See {@link dev.kmsengine.BarbicanKms#rotateConfigProtectionKey()}. */
  void rotateConfigProtectionKey() {
    configWrites.writeLock().lock();
    try {
      configKey.rotate();
      resealConfigSecrets();
    } finally {
      configWrites.writeLock().unlock();
    }
  }

  /**
   * Reseals every configuration record that is in plain text (version 1) or sealed under a retired key generation,
   * in one commit that also marks the files for a purge; purges; then retires the old key generations.
   *
   * @throws dev.kmsengine.store.StoreException if a record's secrets do not open under the key (the key file is
   *     missing or another database's)
   */
  void resealConfigSecrets() {
    WriteBatch batch = new WriteBatch();
    db.forEach(Buckets.CONFIGS, (k, v) -> {
      // Decoded even when current: a key file that does not belong to this database fails here, at start.
      ConfigRecord c = ConfigRecord.decode(k, v, configKey);
      if (ConfigRecord.needsResealing(v, configKey)) {
        batch.put(Buckets.CONFIGS, k, c.encode(configKey));
      }
    });
    if (!batch.isEmpty()) {
      batch.put(Buckets.MAINTENANCE, Buckets.PURGE_PENDING, new byte[0]);
      db.commit(batch);
    }
    if (db.get(Buckets.MAINTENANCE, Buckets.PURGE_PENDING) != null) {
      db.purgeHistory();
      db.commit(new WriteBatch().delete(Buckets.MAINTENANCE, Buckets.PURGE_PENDING));
    }
    configKey.retireOldGenerations();
  }
}
