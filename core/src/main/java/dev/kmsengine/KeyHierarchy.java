package dev.kmsengine;

import dev.kmsengine.Records.ConfigRecord;
import dev.kmsengine.Records.SvmKeyState;
import dev.kmsengine.Records.SvmRecord;
import dev.kmsengine.Records.VolumeRecord;
import dev.kmsengine.crypto.KeyBinding;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.MalformedBlobException;
import dev.kmsengine.crypto.Randomness;
import dev.kmsengine.crypto.VekRewrapper;
import dev.kmsengine.crypto.WrappedKeyFormat;
import dev.kmsengine.crypto.WrappingKey;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.JobContext;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekFailure;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.KekAvailability;
import dev.kmsengine.keystore.KeystoreState;
import dev.kmsengine.keystore.NodeStatus;
import dev.kmsengine.keystore.Reachability;
import dev.kmsengine.store.WriteBatch;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.crypto.AEADBadTagException;

/*
 * The key operations of the engine, each run by a job while it holds its SVM's lock.
 *
 * Generations:
 *   Every SVM-KEK has a generation, starting at 1 with the SVM's first encrypted volume. The VEK blobs wrapped
 *   under generation g live in bucket veks/{svm}/{g}; the svm-keys record names the current generation and holds
 *   the current SVM-KEK wrapped under the enabled configuration's top-level KEK. Only that record decides what is
 *   current, so any operation that changes generations makes its change visible with one small atomic commit.
 *
 * Rekey (shadow generation):
 *   1. persist state svm_kek_rekey;
 *   2. fetch the top-level KEK once (one node), obtain the current SVM-KEK (from a node's table, else unwrap);
 *   3. generate SVM-KEK g+1, wrap it under the top-level KEK and check it unwraps;
 *   4. rewrap every VEK blob of generation g into generation g+1 on `parallelism` threads, each new blob verified
 *      to unwrap to the same VEK before it counts;
 *   5. write bucket veks/{svm}/{g+1} (not yet current: a crash here leaves g current and complete);
 *   6. one commit of svm-keys: generation g+1, new wrapped SVM-KEK, state active  <- the atomic step;
 *   7. drop bucket g, and swap the SVM-KEK in the key tables of the nodes that held generation g.
 *   Any failure before 6 drops the staged bucket and leaves g current. A restart drops every bucket that is not
 *   the current generation (see recover()).
 *
 * Switch:
 *   persist state switching with the target; obtain the SVM-KEK; fetch the target's top-level KEK; then one commit
 *   makes the target enabled with the SVM-KEK wrapped under its KEK. A failure leaves `switching` persisted, which
 *   blocks rekey and delete until the same enable is run again. VEKs are untouched.
 */
final class KeyHierarchy implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KeyHierarchy.class.getName());
  /** Staged VEK blobs are committed in batches of this size so a durable store never builds a huge transaction. */
  private static final int STAGE_BATCH = 65_536;
  /** How often rewrap workers report progress; often enough to watch, rare enough to cost nothing. */
  private static final int PROGRESS_EVERY = 16_384;
  private static final String UNAVAILABLE_PREFIX =
      "Top-level internal key encryption key is unavailable on the following nodes with the associated reasons:";

  private final KmsEngine engine;
  private final ExecutorService cpu;
  private final ExecutorService io;

  KeyHierarchy(KmsEngine engine) {
    this.engine = engine;
    AtomicInteger n = new AtomicInteger();
    this.cpu = Executors.newFixedThreadPool(engine.parallelism, r -> daemon(r, "kms-rewrap-" + n.incrementAndGet()));
    AtomicInteger m = new AtomicInteger();
    // Node fetches wait on the network, not the CPU: one thread per node in flight, so restore scales with nodes.
    this.io = Executors.newCachedThreadPool(r -> daemon(r, "kms-node-io-" + m.incrementAndGet()));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    cpu.shutdownNow();
    io.shutdownNow();
  }

  // ------------------------------------------------------------------ recovery

  /** Finishes or rolls back what a crash interrupted; see the class note. */
  void recover() {
    List<SvmKeyState> states = new ArrayList<>();
    engine.db.forEach(Records.SVM_KEYS, (svm, bytes) -> states.add(SvmKeyState.decode(svm, bytes)));
    for (SvmKeyState ks : states) {
      WriteBatch batch = new WriteBatch();
      String current = Records.veks(ks.svm(), ks.generation());
      for (String bucket : engine.db.buckets(Records.vekPrefix(ks.svm()))) {
        if (!bucket.equals(current)) {
          batch.drop(bucket);
        }
      }
      SvmKeyState fixed = switch (ks.state()) {
        case SVM_KEK_REKEY -> ks.withState(KeystoreState.ACTIVE);
        case INITIALIZING, DISABLING -> SvmKeyState.empty(ks.svm()).withState(KeystoreState.INACTIVE);
        default -> ks;
      };
      if (ks.state() == KeystoreState.DISABLING && ks.generation() > 0) {
        // Disable refuses to start while encrypted volumes exist, so a DISABLING record never has live VEKs.
        batch.drop(current);
      }
      if (fixed != ks) {
        batch.put(Records.SVM_KEYS, ks.svm(), fixed.encode());
        LOG.info("recovered SVM " + ks.svm() + " from interrupted state " + ks.state().wireName());
      }
      if (!batch.isEmpty()) {
        engine.db.commit(batch);
      }
    }
  }

  // ------------------------------------------------------------------ top-level KEK

  /** A top-level KEK and the node that fetched it. */
  private record Fetched(String node, KeyMaterial key) implements AutoCloseable {
    @Override
    public void close() {
      key.destroy();
    }
  }

  /** Fetches the top-level KEK through the first up node that succeeds. */
  private Fetched fetchKek(ConfigRecord cfg) {
    KmsException first = null;
    for (Node n : engine.nodes) {
      if (!n.isUp()) {
        continue;
      }
      try {
        return new Fetched(n.name, engine.provider.fetchKey(n.name, cfg.connection()));
      } catch (KekException e) {
        if (first == null) {
          first = map(e, n.name);
        }
      }
    }
    throw first != null ? first : new KmsException(ErrorCode.UNREACHABLE, "", "No node is up.");
  }

  /** The ONTAP error for a failed fetch; the detail names the node and carries the connector's reason. */
  static KmsException map(KekException e, String node) {
    return new KmsException(codeFor(e.failure()), "", "Node: " + node + ". Reason: " + e.getMessage(), e);
  }

  /** The ONTAP code of a fetch failure; per-node reports use it without building an exception. */
  private static ErrorCode codeFor(KekFailure failure) {
    return switch (failure) {
      case UNREACHABLE, TIMEOUT -> ErrorCode.UNREACHABLE;
      case AUTHENTICATION -> ErrorCode.HEALTH_CHECK_FAILED;
      case KEY_NOT_FOUND -> ErrorCode.KEY_ID_NOT_FOUND;
      case WRONG_KEY_TYPE -> ErrorCode.KEY_RESPONSE_UNPARSABLE;
    };
  }

  /** Whether a failure means the top-level key itself is unusable, which blocks the keystore. */
  private static boolean blocks(ErrorCode code) {
    return code == ErrorCode.KEY_ID_NOT_FOUND || code == ErrorCode.KEY_RESPONSE_UNPARSABLE
        || code == ErrorCode.SVM_KEK_UNWRAP_FAILED;
  }

  /** Unwraps the SVM-KEK blob of {@code cfg} with its top-level KEK. */
  private static KeyMaterial unwrapSvmKek(SvmKeyState ks, UUID cfg, KeyMaterial kek) {
    byte[] blob = ks.wrappedKeks().get(cfg);
    if (blob == null) {
      throw new KmsException(ErrorCode.SVM_KEK_UNWRAP_FAILED, "", "No wrapped SVM-KEK is stored for this configuration.");
    }
    try (WrappingKey top = WrappingKey.of(kek)) {
      return top.unwrap(blob, KeyBinding.svmKek(ks.svm(), cfg, ks.generation()));
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.SVM_KEK_UNWRAP_FAILED, "", "");
    }
  }

  /** A copy of the current SVM-KEK: from an up node's key table if one holds it, else unwrapped via Barbican. */
  private KeyMaterial currentSvmKek(SvmKeyState ks, ConfigRecord cfg, KeyMaterial kekOrNull) {
    for (Node n : engine.nodes) {
      KeyMaterial held = n.svmKekCopy(ks.svm(), ks.generation());
      if (held != null) {
        return held;
      }
    }
    if (kekOrNull != null) {
      return unwrapSvmKek(ks, cfg.uuid(), kekOrNull);
    }
    try (Fetched kek = fetchKek(cfg)) {
      return unwrapSvmKek(ks, cfg.uuid(), kek.key());
    }
  }

  /** Wraps an SVM-KEK under a top-level KEK and proves the blob unwraps to it before anyone relies on it. */
  private static byte[] wrapSvmKek(KeyMaterial svmKek, KeyMaterial kek, KeyBinding binding) {
    try (WrappingKey top = WrappingKey.of(kek)) {
      byte[] blob = top.wrap(svmKek, binding);
      try (KeyMaterial check = top.unwrap(blob, binding)) {
        if (!check.sameAs(svmKek)) {
          throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "The wrapped SVM-KEK did not verify.");
        }
      }
      return blob;
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "");
    }
  }

  private void saveState(SvmKeyState ks) {
    engine.db.commit(new WriteBatch().put(Records.SVM_KEYS, ks.svm(), ks.encode()));
  }

  private ConfigRecord reloadConfig(UUID uuid, ErrorCode missing) {
    ConfigRecord c = engine.configRecord(uuid);
    if (c == null) {
      throw new KmsException(missing, "uuid", "");
    }
    return c;
  }

  // ------------------------------------------------------------------ configuration update

  void updateConfig(UUID uuid, BarbicanConfigUpdate u) {
    ConfigRecord current = reloadConfig(uuid, ErrorCode.CONFIG_NOT_FOUND);
    ConfigRecord updated = KmsEngine.apply(current, u);
    SvmKeyState ks = engine.keyState(current.svm());
    boolean inUse = uuid.equals(ks.enabled()) || uuid.equals(ks.switchTarget());
    if (u.changesCredentials() || (inUse && u.changesTransport())) {
      healthCheck(updated);
    }
    engine.putConfig(updated);
    engine.provider.invalidate(uuid);
  }

  /** Proves the settings work from at least one up node, without fetching key bytes. */
  private void healthCheck(ConfigRecord cfg) {
    String firstReason = "No node is up.";
    for (Node n : engine.nodes) {
      if (!n.isUp()) {
        continue;
      }
      try {
        engine.provider.checkReachability(n.name, cfg.connection());
        return;
      } catch (KekException e) {
        firstReason = "Node: " + n.name + ". Reason: " + e.getMessage();
        break;
      }
    }
    throw new KmsException(ErrorCode.HEALTH_CHECK_FAILED, "", firstReason);
  }

  // ------------------------------------------------------------------ advanced properties

  Reachability reachability(ConfigRecord cfg) {
    List<NodeStatus> statuses = perNode(n -> {
      if (!n.isUp()) {
        return new NodeStatus(n.name, false, code(ErrorCode.UNREACHABLE), "Node is down.");
      }
      try {
        engine.provider.checkReachability(n.name, cfg.connection());
        return NodeStatus.success(n.name);
      } catch (KekException e) {
        return new NodeStatus(n.name, false, code(codeFor(e.failure())), e.getMessage());
      }
    });
    for (NodeStatus s : statuses) {
      if (!s.ok()) {
        return new Reachability(false, code(ErrorCode.UNREACHABLE),
            "Barbican KMS is not reachable from all nodes - Node: " + s.node() + ". Reason: " + s.message(),
            statuses);
      }
    }
    return new Reachability(true, "0", "", statuses);
  }

  KekAvailability kekAvailability(ConfigRecord cfg) {
    SvmKeyState ks = engine.keyState(cfg.svm());
    List<NodeStatus> statuses = new ArrayList<>();
    for (Node n : engine.nodes) {
      long held = n.svmKekGeneration(cfg.svm());
      String reason;
      if (!cfg.uuid().equals(ks.enabled())) {
        reason = "The Barbican KMS configuration is not enabled.";
      } else if (ks.generation() == 0) {
        reason = "No volumes created yet for the SVM. Wrapped KEK status will be available after creating"
            + " encrypted volumes.";
      } else if (!n.isUp()) {
        reason = "Node is down.";
      } else if (held != ks.generation()) {
        reason = "The SVM-KEK is not in the node's key table. Restore it from Barbican.";
      } else {
        statuses.add(NodeStatus.success(n.name));
        continue;
      }
      statuses.add(new NodeStatus(n.name, false, code(ErrorCode.RESTORE_FAILED), reason));
    }
    StringBuilder message = new StringBuilder();
    for (NodeStatus s : statuses) {
      if (!s.ok()) {
        message.append(" Node: ").append(s.node()).append(". Reason: ").append(s.message());
      }
    }
    return message.length() == 0
        ? new KekAvailability(true, "0", "", statuses)
        : new KekAvailability(false, code(ErrorCode.RESTORE_FAILED), UNAVAILABLE_PREFIX + message, statuses);
  }

  private static String code(ErrorCode c) {
    return Integer.toString(c.code());
  }

  private interface PerNode {
    NodeStatus apply(Node node);
  }

  /** Runs {@code action} for every node in parallel; results in node order. */
  private List<NodeStatus> perNode(PerNode action) {
    List<Future<NodeStatus>> futures = new ArrayList<>();
    for (Node n : engine.nodes) {
      futures.add(io.submit(() -> action.apply(n)));
    }
    List<NodeStatus> out = new ArrayList<>();
    for (Future<NodeStatus> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  private static <T> T join(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KmsException(ErrorCode.NOT_SUPPORTED, "", "Interrupted.");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KmsException k) {
        throw k;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  // ------------------------------------------------------------------ enable, switch, disable

  void enable(UUID uuid) {
    ConfigRecord cfg = reloadConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    SvmKeyState ks = engine.keyState(cfg.svm());
    if (ks.enabled() == null) {
      enableFirst(cfg, ks);
    } else if (ks.enabled().equals(uuid)) {
      reEnable(cfg, ks);
    } else {
      switchTo(cfg, ks);
    }
  }

  private void enableFirst(ConfigRecord cfg, SvmKeyState ks) {
    SvmKeyState initializing =
        new SvmKeyState(ks.svm(), cfg.uuid(), KeystoreState.INITIALIZING, null, 0, Map.of());
    saveState(initializing);
    try {
      // Enabling proves the top-level key can be fetched; the SVM-KEK comes with the first encrypted volume.
      fetchKek(cfg).close();
      saveState(initializing.withState(KeystoreState.ACTIVE));
    } catch (RuntimeException e) {
      saveState(SvmKeyState.empty(ks.svm()));
      throw e;
    }
  }

  /** Enabling the enabled configuration: cancels a switch away from it, or clears a blocked state. */
  private void reEnable(ConfigRecord cfg, SvmKeyState ks) {
    switch (ks.state()) {
      case SWITCHING -> saveState(new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.ACTIVE, null,
          ks.generation(), ks.wrappedKeks()));
      case BLOCKED -> {
        try (Fetched kek = fetchKek(cfg)) {
          if (ks.generation() > 0) {
            unwrapSvmKek(ks, cfg.uuid(), kek.key()).destroy();
          }
        }
        saveState(ks.withState(KeystoreState.ACTIVE));
      }
      default -> { }
    }
  }

  private void switchTo(ConfigRecord target, SvmKeyState ks) {
    SvmKeyState switching = new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.SWITCHING, target.uuid(),
        ks.generation(), ks.wrappedKeks());
    saveState(switching);
    ConfigRecord old = engine.configRecord(ks.enabled());
    Map<UUID, byte[]> wrapped = Map.of();
    if (ks.generation() > 0) {
      try (KeyMaterial svmKek = currentSvmKek(ks, old, null); Fetched kek = fetchKek(target)) {
        wrapped = Map.of(target.uuid(),
            wrapSvmKek(svmKek, kek.key(), KeyBinding.svmKek(ks.svm(), target.uuid(), ks.generation())));
      }
    } else {
      fetchKek(target).close();
    }
    saveState(new SvmKeyState(ks.svm(), target.uuid(), KeystoreState.ACTIVE, null, ks.generation(), wrapped));
    LOG.info("switched SVM " + ks.svm() + " to configuration " + target.uuid());
  }

  void disable(UUID uuid) {
    ConfigRecord cfg = reloadConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    SvmKeyState ks = engine.keyState(cfg.svm());
    if (!uuid.equals(ks.enabled())) {
      return;
    }
    if (ks.state() == KeystoreState.SWITCHING) {
      throw new KmsException(ErrorCode.RESOURCE_IN_USE, "uuid",
          "A keystore switch is in progress; complete it before disabling.");
    }
    if (engine.volumes(cfg.svm()).stream().anyMatch(v -> v.encrypted())) {
      throw new KmsException(ErrorCode.RESOURCE_IN_USE, "enabled",
          "The SVM has encrypted volumes; delete them or migrate their keys before disabling the keystore.");
    }
    saveState(ks.withState(KeystoreState.DISABLING));
    WriteBatch batch = new WriteBatch().put(Records.SVM_KEYS, ks.svm(), SvmKeyState.empty(ks.svm()).encode());
    if (ks.generation() > 0) {
      batch.drop(Records.veks(ks.svm(), ks.generation()));
    }
    engine.db.commit(batch);
    for (Node n : engine.nodes) {
      n.removeSvmKek(ks.svm());
    }
  }

  // ------------------------------------------------------------------ volumes

  void createVolume(SvmRecord svm, UUID volume, String name, boolean encrypted) {
    // Captured before any key is derived: a node rebooted during the create must not get the new VEK after it.
    long[] epochs = epochs();
    if (engine.volumeNameTaken(svm.uuid(), name)) {
      throw new KmsException(ErrorCode.DUPLICATE_ENTRY, "name", "Volume \"" + name + "\" already exists.");
    }
    byte[] id = new byte[16];
    Randomness.secureRandom().nextBytes(id);
    VolumeRecord record = new VolumeRecord(volume, svm.uuid(), name, encrypted,
        encrypted ? HexFormat.of().formatHex(id) : "");
    WriteBatch batch = new WriteBatch().put(Records.volumes(svm.uuid()), volume, record.encode())
        .put(Records.volumeNames(svm.uuid()), Records.volumeNameKey(name), Records.uuidBytes(volume));
    if (!encrypted) {
      engine.db.commit(batch);
      return;
    }
    SvmKeyState ks = engine.keyState(svm.uuid());
    if (ks.enabled() == null) {
      throw new KmsException(ErrorCode.NO_KMS_CONFIGURED, "encryption.enabled", "");
    }
    if (ks.state() == KeystoreState.BLOCKED) {
      throw new KmsException(ErrorCode.KEYSTORE_BLOCKED, "", "");
    }
    ConfigRecord cfg = engine.configRecord(ks.enabled());
    if (ks.generation() == 0) {
      createFirstEncryptedVolume(svm, volume, ks, cfg, batch, epochs);
      return;
    }
    KeyMaterial svmKek = null;
    for (int i = 0; i < engine.nodes.size() && svmKek == null; i++) {
      svmKek = engine.nodes.get(i).svmKekCopy(svm.uuid(), ks.generation());
    }
    if (svmKek == null) {
      throw new KmsException(ErrorCode.SVM_KEK_NOT_LOADED, "",
          "No node holds the SVM-KEK of SVM " + svm.name() + " (nodes rebooted or went down since the last restore)."
              + " Run POST /api/security/barbican-kms/" + cfg.uuid() + "/restore, then create the volume again.");
    }
    try (KeyMaterial kekCopy = svmKek; WrappingKey wrapping = WrappingKey.of(kekCopy);
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
      byte[] blob = wrapVek(wrapping, vek, KeyBinding.vek(svm.uuid(), volume, ks.generation()));
      batch.put(Records.veks(svm.uuid(), ks.generation()), volume, blob);
      engine.db.commit(batch);
      byte[] bytes = vek.copyBytes();
      for (int i = 0; i < engine.nodes.size(); i++) {
        engine.nodes.get(i).installVekIfHolding(epochs[i], svm.uuid(), ks.generation(), volume, bytes);
      }
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** Every node's wipe epoch, in node order. */
  private long[] epochs() {
    long[] out = new long[engine.nodes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = engine.nodes.get(i).epoch();
    }
    return out;
  }

  private void createFirstEncryptedVolume(SvmRecord svm, UUID volume, SvmKeyState ks, ConfigRecord cfg,
      WriteBatch batch, long[] epochs) {
    long generation = 1;
    try (Fetched kek = fetchKek(cfg);
        KeyMaterial svmKek = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey svmWrapping = WrappingKey.of(svmKek)) {
      byte[] wrappedKek = wrapSvmKek(svmKek, kek.key(), KeyBinding.svmKek(svm.uuid(), cfg.uuid(), generation));
      byte[] blob = wrapVek(svmWrapping, vek, KeyBinding.vek(svm.uuid(), volume, generation));
      SvmKeyState next = new SvmKeyState(svm.uuid(), ks.enabled(), ks.state(), ks.switchTarget(), generation,
          Map.of(cfg.uuid(), wrappedKek));
      batch.put(Records.veks(svm.uuid(), generation), volume, blob);
      batch.put(Records.SVM_KEYS, svm.uuid(), next.encode());
      engine.db.commit(batch);
      byte[] bytes = vek.copyBytes();
      for (int i = 0; i < engine.nodes.size(); i++) {
        Node n = engine.nodes.get(i);
        if (n.installSvmKekIfSameEpoch(epochs[i], svm.uuid(), generation, svmKek)) {
          n.installVekIfSameEpoch(epochs[i], volume, bytes);
        }
      }
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static byte[] wrapVek(WrappingKey svmKek, KeyMaterial vek, KeyBinding binding) {
    try {
      byte[] blob = svmKek.wrap(vek, binding);
      try (KeyMaterial check = svmKek.unwrap(blob, binding)) {
        if (!check.sameAs(vek)) {
          throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "The wrapped VEK did not verify.");
        }
      }
      return blob;
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "");
    }
  }

  void deleteVolume(VolumeRecord v) {
    SvmKeyState ks = engine.keyState(v.svm());
    WriteBatch batch = new WriteBatch().delete(Records.volumes(v.svm()), v.uuid())
        .delete(Records.volumeNames(v.svm()), Records.volumeNameKey(v.name())).drop(VolumeBlocks.bucket(v.uuid()));
    if (ks.generation() > 0) {
      batch.delete(Records.veks(v.svm(), ks.generation()), v.uuid());
    }
    engine.db.commit(batch);
    for (Node n : engine.nodes) {
      n.removeVek(v.uuid());
    }
  }

  // ------------------------------------------------------------------ rekey-internal

  void rekey(UUID configUuid, JobContext ctx) {
    ConfigRecord cfg = reloadConfig(configUuid, ErrorCode.CONFIG_NOT_FOUND);
    SvmKeyState ks = engine.keyState(cfg.svm());
    if (!configUuid.equals(ks.enabled())) {
      throw new KmsException(ErrorCode.NOT_CONFIGURED, "uuid", "The configuration is not enabled.");
    }
    switch (ks.state()) {
      case SWITCHING -> throw new KmsException(ErrorCode.REKEY_WHILE_SWITCHING);
      case INITIALIZING -> throw new KmsException(ErrorCode.REKEY_WHILE_INITIALIZING);
      case DISABLING -> throw new KmsException(ErrorCode.REKEY_WHILE_DISABLING);
      case BLOCKED -> throw new KmsException(ErrorCode.KEYSTORE_BLOCKED);
      default -> { }
    }
    if (ks.generation() == 0) {
      ctx.progress("No encrypted volumes yet: there is no SVM-KEK to rekey.");
      return;
    }
    long from = ks.generation();
    long to = from + 1;
    String staging = Records.veks(ks.svm(), to);
    saveState(ks.withState(KeystoreState.SVM_KEK_REKEY));
    LOG.info(() -> "rekey of SVM " + ks.svm() + ": started, SVM-KEK generation " + from + " -> " + to);
    boolean committed = false;
    KeystoreState after = KeystoreState.ACTIVE;
    try (Fetched kek = fetchKek(cfg);
        KeyMaterial oldSvmKek = currentSvmKek(ks, cfg, kek.key());
        KeyMaterial newSvmKek = KeyMaterial.generate(Randomness.secureRandom())) {
      byte[] wrapped = wrapSvmKek(newSvmKek, kek.key(), KeyBinding.svmKek(ks.svm(), cfg.uuid(), to));
      engine.db.commit(new WriteBatch().drop(staging));
      int total = rewrapAll(ks.svm(), oldSvmKek, newSvmKek, from, to, staging, ctx);
      // The last line of defence before the generation switch: a staged bucket short of a blob would lose a key.
      if (engine.db.count(staging) != total) {
        throw new KmsException(ErrorCode.VDEK_UPDATE_FAILED, "", "Staged " + engine.db.count(staging) + " of "
            + total + " rewrapped volume encryption keys.");
      }
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": " + total + " VEKs rewrapped, verified and staged as generation "
          + to);
      saveState(new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.ACTIVE, null, to, Map.of(cfg.uuid(), wrapped)));
      committed = true;
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": generation " + to + " is current");
      engine.db.commit(new WriteBatch().drop(Records.veks(ks.svm(), from)));
      for (Node n : engine.nodes) {
        n.replaceSvmKekIfHolding(ks.svm(), from, to, newSvmKek);
      }
      ctx.progress("Rewrapped " + total + " of " + total + " volume encryption keys");
    } catch (KmsException e) {
      if (blocks(e.errorCode())) {
        after = KeystoreState.BLOCKED;
      }
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": failed with " + e.code() + ", generation " + from
          + " stays current");
      throw e;
    } finally {
      if (!committed) {
        engine.db.commit(new WriteBatch().drop(staging));
        saveState(ks.withState(after));
      }
    }
  }

  /**
   * VEK ids and blobs, index-aligned and packed: ids as (most, least significant) long pairs, blobs in pages of
   * {@link #STAGE_BATCH} blobs of {@value WrappedKeyFormat#LENGTH} bytes. Why: every young collection during the
   * rewrap would otherwise copy the million ids and blob arrays held so far; a few large arrays cost it nothing
   * (G1 allocates them as humongous regions that young collections do not copy). The store reads into them
   * ({@code forEachEntry}) and stages from them ({@code WriteBatch.putAll}) without an object per entry, so a
   * rekey allocates little more than these arrays and the staged bucket: 191 bytes per VEK at a million (684 with
   * a key object and a value copy per blob read and staged, and a second set of pages to rewrap into).
   */
  private record Packed(long[] ids, byte[][] pages) {
    static Packed allocate(int count) {
      byte[][] pages = new byte[(count + STAGE_BATCH - 1) / STAGE_BATCH][];
      for (int p = 0; p < pages.length; p++) {
        pages[p] = new byte[Math.min(STAGE_BATCH, count - p * STAGE_BATCH) * WrappedKeyFormat.LENGTH];
      }
      return new Packed(new long[2 * count], pages);
    }

    int size() {
      return ids.length / 2;
    }

    UUID id(int i) {
      return new UUID(ids[2 * i], ids[2 * i + 1]);
    }

    byte[] page(int i) {
      return pages[i / STAGE_BATCH];
    }

    static int offset(int i) {
      return (i % STAGE_BATCH) * WrappedKeyFormat.LENGTH;
    }
  }

  /**
   * Rewraps every VEK of generation {@code from} under the new SVM-KEK into bucket {@code staging}; returns how
   * many. Every encrypted volume must have a blob (65536883 otherwise); each new blob is verified before it counts.
   *
   * <p>In an SVM of more than {@link #STAGE_BATCH} VEKs, each worker stages its own blobs, a page at a time, as
   * it goes. Why: staging after the rewrap was a serial phase, a fifth of a million-VEK rekey that a second
   * thread could not help with; now only the store's own commit work is serial (under its lock). Staged blobs
   * are harmless until the caller's one atomic commit makes their generation current; on any failure the caller
   * drops the bucket, and every worker has stopped by the time this method returns or throws.
   *
   * <p>The rewrap workers start as soon as the blobs are read; this thread meanwhile checks that there are at least
   * as many blobs as encrypted volumes ({@link #missingBlobs}), before anything is returned, so a missing VEK still
   * fails the rekey before its commit and takes precedence over a blob that fails to rewrap.
   */
  private int rewrapAll(UUID svm, KeyMaterial oldKek, KeyMaterial newKek, long from, long to, String staging,
      JobContext ctx) {
    String bucket = Records.veks(svm, from);
    int total = engine.db.count(bucket);
    engine.db.reserve(staging, total);
    Packed blobs = Packed.allocate(total);
    int[] n = {0};
    engine.db.forEachEntry(bucket, (msb, lsb, blob, offset, length) -> {
      int i = n[0]++;
      if (i >= total) {
        return;
      }
      blobs.ids[2 * i] = msb;
      blobs.ids[2 * i + 1] = lsb;
      // A blob of the wrong length stays all zeros in the page, which the rewrapper rejects as malformed.
      if (length == WrappedKeyFormat.LENGTH) {
        System.arraycopy(blob, offset, blobs.page(i), Packed.offset(i), length);
      }
    });
    ctx.progress("Rewrapped 0 of " + total + " volume encryption keys");
    AtomicLong done = new AtomicLong();
    AtomicBoolean failed = new AtomicBoolean();
    AtomicBoolean counted = new AtomicBoolean();
    Queue<Integer> parked = new ConcurrentLinkedQueue<>();
    try (WrappingKey oldWrapping = WrappingKey.of(oldKek); WrappingKey newWrapping = WrappingKey.of(newKek)) {
      // Several chunks per thread so that one slow chunk (a descheduled thread on a noisy 2-core box) does not
      // leave the other threads idle at the end. Above one page, a chunk is one page and its worker stages it;
      // below, this thread stages the one page at the end. Either way a rekey makes one staging commit per page.
      boolean workersStage = total > STAGE_BATCH;
      int chunks = Math.max(1, Math.min(total / 1024, engine.parallelism * 4));
      int chunkSize = workersStage ? STAGE_BATCH : Math.max(1, (total + chunks - 1) / chunks);
      List<Future<Void>> futures = new ArrayList<>();
      for (int lo = 0; lo < total; lo += chunkSize) {
        int start = lo;
        int end = Math.min(total, lo + chunkSize);
        Callable<Void> task = () -> {
          try (VekRewrapper rewrapper = new VekRewrapper(oldWrapping, newWrapping, svm, from, to)) {
            for (int i = start; i < end && !failed.get(); i++) {
              try {
                // In place: the new blob replaces the old one in the page, which saves a second copy of every
                // blob (62 MB per million to allocate and zero before the workers start, then collect). The store
                // still holds the old blob; the page is only this rekey's copy.
                rewrapper.rewrap(blobs.page(i), Packed.offset(i), blobs.ids[2 * i], blobs.ids[2 * i + 1],
                    blobs.page(i), Packed.offset(i), /* verify= */ true);
              } catch (MalformedBlobException e) {
                failed.set(true);
                throw new KmsException(ErrorCode.INVALID_ENCRYPTION_BLOB, "", "Volume: " + blobs.id(i) + ".");
              } catch (AEADBadTagException e) {
                failed.set(true);
                throw new KmsException(ErrorCode.VEK_INVALID, "", "Volume: " + blobs.id(i) + ".");
              } catch (GeneralSecurityException e) {
                failed.set(true);
                throw new KmsException(ErrorCode.VDEK_UPDATE_FAILED, "", "Volume: " + blobs.id(i) + ".");
              }
              if (((i - start + 1) % PROGRESS_EVERY) == 0) {
                ctx.progress("Rewrapped " + done.addAndGet(PROGRESS_EVERY) + " of " + total
                    + " volume encryption keys");
              }
            }
            // The page is staged at once, unless the count of the encrypted volumes may still hold the store's
            // read lock: then its commit would only queue behind it, so the page is parked for this thread.
            if (workersStage && !failed.get()) {
              if (counted.get()) {
                stage(staging, blobs, start, end, failed);
              } else {
                parked.add(start / STAGE_BATCH);
              }
            }
          }
          return null;
        };
        futures.add(cpu.submit(task));
      }
      boolean missing;
      try {
        missing = missingBlobs(svm, n[0]);
        counted.set(true);
        if (!missing) {
          stageParked(staging, blobs, parked, failed);
        }
      } catch (RuntimeException e) {
        failed.set(true);
        awaitAll(futures);
        throw e;
      }
      if (missing) {
        failed.set(true);
      }
      RuntimeException first = awaitAll(futures);
      if (missing) {
        throw missingVek(svm, bucket);
      }
      if (first != null) {
        throw first;
      }
      // Pages a worker parked after the drain above.
      stageParked(staging, blobs, parked, failed);
      if (!workersStage) {
        stage(staging, blobs, 0, total, failed);
      }
    }
    return total;
  }

  /** Stages the pages the workers parked, one commit each. */
  private void stageParked(String staging, Packed blobs, Queue<Integer> parked, AtomicBoolean failed) {
    for (Integer page = parked.poll(); page != null; page = parked.poll()) {
      stage(staging, blobs, page * STAGE_BATCH, Math.min(blobs.size(), (page + 1) * STAGE_BATCH), failed);
    }
  }

  /**
   * Commits blobs {@code [from, to)} of {@code blobs} into {@code staging}, {@link #STAGE_BATCH} per commit; a
   * failure stops the other workers.
   */
  private void stage(String staging, Packed blobs, int from, int to, AtomicBoolean failed) {
    for (int lo = from; lo < to; lo += STAGE_BATCH) {
      WriteBatch b = new WriteBatch().putAll(staging, blobs.ids, lo, blobs.page(lo), Packed.offset(lo),
          WrappedKeyFormat.LENGTH, Math.min(to, lo + STAGE_BATCH) - lo);
      try {
        engine.db.commit(b);
      } catch (RuntimeException e) {
        failed.set(true);
        throw e;
      }
    }
  }

  /**
   * Whether the SVM has more encrypted volumes than the {@code blobs} VEK blobs read. Counting the encrypted ones
   * is a pass over every volume record (about 50 ms per million on the benchmark box, reading the records in
   * place; 125 ms with a copy of each), with one rewrap thread fewer while it runs; when the SVM has no more
   * volumes than blobs, which is every SVM whose volumes are all encrypted, none can be missing one and the pass
   * is skipped.
   */
  private boolean missingBlobs(UUID svm, int blobs) {
    return engine.db.count(Records.volumes(svm)) > blobs && countEncrypted(svm) > blobs;
  }

  private int countEncrypted(UUID svm) {
    int[] encrypted = {0};
    engine.db.forEachEntry(Records.volumes(svm), (msb, lsb, rec, offset, length) -> {
      if (VolumeRecord.isEncrypted(rec, offset)) {
        encrypted[0]++;
      }
    });
    return encrypted[0];
  }

  /**
   * Waits for every worker, even after one failed, so that none is still writing when the caller cleans up;
   * returns the first failure (the others are consequences of the stop flag).
   */
  private static RuntimeException awaitAll(List<Future<Void>> futures) {
    RuntimeException first = null;
    for (Future<Void> f : futures) {
      try {
        join(f);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
  }

  /** The error for an encrypted volume without a VEK blob, naming the first such volume found. */
  private KmsException missingVek(UUID svm, String bucket) {
    List<UUID> missing = new ArrayList<>();
    engine.db.forEach(Records.volumes(svm), (id, rec) -> {
      if (VolumeRecord.isEncrypted(rec) && engine.db.get(bucket, id) == null) {
        missing.add(id);
      }
    });
    return new KmsException(ErrorCode.VEK_MISSING, "", missing.isEmpty() ? "" : "Volume: " + missing.get(0) + ".");
  }

  // ------------------------------------------------------------------ restore

  void restore(UUID configUuid, JobContext ctx) {
    ConfigRecord cfg = reloadConfig(configUuid, ErrorCode.CONFIG_NOT_FOUND);
    SvmKeyState ks = engine.keyState(cfg.svm());
    if (!configUuid.equals(ks.enabled())) {
      throw new KmsException(ErrorCode.NOT_CONFIGURED, "uuid", "The configuration is not enabled.");
    }
    ctx.progress("Fetching the top-level key on " + engine.nodes.size() + " nodes");
    LOG.info(() -> "restore of SVM " + ks.svm() + ": fetching the top-level KEK on " + engine.nodes.size() + " nodes");
    Map<String, KeyMaterial> svmKeks = new HashMap<>();
    Map<String, Long> epochs = new java.util.concurrent.ConcurrentHashMap<>();
    List<NodeStatus> statuses = perNode(n -> {
      // Captured before the fetch: keys fetched for the node as it was must not land in it after a reboot.
      epochs.put(n.name, n.epoch());
      if (!n.isUp()) {
        return new NodeStatus(n.name, false, code(ErrorCode.RESTORE_FAILED), "Node is down.");
      }
      try (KeyMaterial kek = engine.provider.fetchKey(n.name, cfg.connection())) {
        if (ks.generation() > 0) {
          KeyMaterial svmKek = unwrapSvmKek(ks, cfg.uuid(), kek);
          synchronized (svmKeks) {
            svmKeks.put(n.name, svmKek);
          }
        }
        return NodeStatus.success(n.name);
      } catch (KekException e) {
        return new NodeStatus(n.name, false, code(codeFor(e.failure())), e.getMessage());
      } catch (KmsException e) {
        return new NodeStatus(n.name, false, code(e.errorCode()), e.getMessage());
      }
    });
    try {
      if (!svmKeks.isEmpty()) {
        statuses = installVeks(ks, svmKeks, epochs, statuses, ctx);
      }
    } finally {
      svmKeks.values().forEach(KeyMaterial::destroy);
    }
    ctx.nodes(statuses);
    List<NodeStatus> failures = statuses.stream().filter(s -> !s.ok()).toList();
    LOG.info(() -> "restore of SVM " + ks.svm() + ": " + (engine.nodes.size() - failures.size()) + " of "
        + engine.nodes.size() + " nodes hold the SVM-KEK" + (failures.isEmpty() ? "" : "; failed: "
        + failures.stream().map(NodeStatus::node).toList()));
    // Blocked only when every node failed because of the key itself; a down node fails with a non-blocking code.
    boolean keyUnusable = statuses.stream().allMatch(s -> !s.ok() && blocks(codeOf(s)));
    if (keyUnusable) {
      saveState(ks.withState(KeystoreState.BLOCKED));
    } else if (failures.size() < statuses.size() && ks.state() == KeystoreState.BLOCKED) {
      saveState(ks.withState(KeystoreState.ACTIVE));
    }
    if (!failures.isEmpty()) {
      StringBuilder detail = new StringBuilder();
      for (NodeStatus s : failures) {
        detail.append("Node: ").append(s.node()).append(". Reason: ").append(s.message()).append(' ');
      }
      throw new KmsException(ErrorCode.RESTORE_FAILED, "", detail.toString().trim());
    }
    ctx.progress("Restored the SVM-KEK on " + statuses.size() + " of " + statuses.size() + " nodes");
  }

  private static ErrorCode codeOf(NodeStatus s) {
    for (ErrorCode c : ErrorCode.values()) {
      if (Integer.toString(c.code()).equals(s.code())) {
        return c;
      }
    }
    return ErrorCode.UNREACHABLE;
  }

  /**
   * Unwraps every VEK once and installs it, with the SVM-KEK, on each node that recovered the SVM-KEK. A VEK that
   * fails to unwrap is reported on every such node (it is the same blob for all of them).
   */
  private List<NodeStatus> installVeks(SvmKeyState ks, Map<String, KeyMaterial> svmKeks, Map<String, Long> epochs,
      List<NodeStatus> statuses, JobContext ctx) {
    KeyMaterial svmKek = svmKeks.values().iterator().next();
    List<Node> targets = engine.nodes.stream().filter(n -> svmKeks.containsKey(n.name)).toList();
    for (Node n : targets) {
      n.installSvmKekIfSameEpoch(epochs.get(n.name), ks.svm(), ks.generation(), svmKek);
    }
    int total = engine.db.count(Records.veks(ks.svm(), ks.generation()));
    ctx.progress("Restoring " + total + " volume encryption keys on " + targets.size() + " nodes");
    List<UUID> bad = new ArrayList<>();
    try (WrappingKey wrapping = WrappingKey.of(svmKek)) {
      byte[] vek = new byte[KeyMaterial.LENGTH];
      engine.db.forEach(Records.veks(ks.svm(), ks.generation()), (id, blob) -> {
        try (KeyMaterial k = wrapping.unwrap(blob, KeyBinding.vek(ks.svm(), id, ks.generation()))) {
          k.copyInto(vek, 0);
          for (Node n : targets) {
            n.installVekIfSameEpoch(epochs.get(n.name), id, vek);
          }
        } catch (GeneralSecurityException e) {
          bad.add(id);
        }
      });
      Arrays.fill(vek, (byte) 0);
    }
    List<NodeStatus> out = new ArrayList<>();
    for (NodeStatus s : statuses) {
      Node n = engine.node(s.node());
      if (s.ok() && n.epoch() != epochs.get(s.node())) {
        // Wiped while the restore ran: whatever it installed before the wipe is gone, nothing after it landed.
        out.add(new NodeStatus(s.node(), false, code(ErrorCode.RESTORE_FAILED),
            "Node rebooted or went down during the restore; run restore again."));
      } else if (s.ok() && !bad.isEmpty()) {
        out.add(new NodeStatus(s.node(), false, code(ErrorCode.VEK_INVALID),
            bad.size() + " volume encryption keys failed to unwrap (first: volume " + bad.get(0) + ")."));
      } else {
        out.add(s);
      }
    }
    return out;
  }
}
