package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.internal.engine.KekFetcher.Fetched;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.WriteBatch;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * A volume's key from birth to death: a create makes the VEK (and, for the SVM's first encrypted volume, the
 * SVM-KEK generation 1 under the top-level KEK), stores it wrapped and installs it on the nodes; a delete destroys
 * it everywhere. Each runs in a job holding the SVM's lock.
 *
 * <p>Thread-safe; callers serialise operations per SVM.
 */
final class VolumeKeys {
  private final EngineState state;
  private final KekFetcher keks;
  /** Multi-process mode only (else null): brings a node that is behind to the current SVM-KEK generation. */
  private final GenerationWatch generations;

  VolumeKeys(EngineState state, KekFetcher keks, GenerationWatch generations) {
    this.state = state;
    this.keks = keks;
    this.generations = generations;
  }

  /**
   * In multi-process mode, a volume's VEK for a local node that holds the SVM-KEK but not the VEK, because another
   * process created the volume: read from the current generation's bucket, unwrapped under the node's SVM-KEK and
   * installed (unless the node was wiped meanwhile). A node one generation behind (the watch has not caught up yet)
   * installs the current one first. Null if the node cannot have the key without a restore, or in one process.
   *
   * @return a copy of the VEK bytes, which the caller zeroises; or null
   */
  byte[] loadOnDemand(Node node, VolumeRecord v) {
    if (generations == null || !v.encrypted()) {
      return null;
    }
    long epoch = node.epoch();
    SvmKeyState ks = state.keyState(v.svm());
    if (ks.generation() == 0) {
      return null;
    }
    generations.catchUp(node, v.svm());
    try (Node.HeldKek held = node.svmKek(v.svm())) {
      if (held == null || held.generation != ks.generation() || !node.isUp()) {
        return null;
      }
      byte[] blob = state.db.get(Buckets.veks(v.svm(), ks.generation()), v.uuid());
      if (blob == null) {
        return null;
      }
      try (KeyMaterial vek = held.wrapping.unwrap(blob, KeyBinding.vek(v.svm(), v.uuid(), ks.generation()))) {
        byte[] bytes = vek.copyBytes(KeyAccess.insecure());
        if (!node.installVekIfHolding(epoch, v.svm(), ks.generation(), v.uuid(), bytes)) {
          Arrays.fill(bytes, (byte) 0);
          return null;
        }
        return bytes;
      } catch (GeneralSecurityException e) {
        throw new KmsException(ErrorCode.VEK_INVALID, "", "The wrapped key of volume " + v.uuid()
            + " does not unwrap under the node's SVM-KEK.", e);
      }
    }
  }

  void create(SvmRecord svm, UUID volume, String name, boolean encrypted) {
    // Captured before any key is derived: a node rebooted during the create must not get the new VEK after it.
    long[] epochs = state.epochs();
    if (state.volumeNameTaken(svm.uuid(), name)) {
      throw new KmsException(ErrorCode.DUPLICATE_ENTRY, "name", "Volume \"" + name + "\" already exists.");
    }
    byte[] id = new byte[16];
    Randomness.secureRandom().nextBytes(id);
    VolumeRecord record = new VolumeRecord(volume, svm.uuid(), name, encrypted,
        encrypted ? HexFormat.of().formatHex(id) : "");
    WriteBatch batch = new WriteBatch().put(Buckets.volumes(svm.uuid()), volume, record.encode())
        .put(Buckets.volumeNames(svm.uuid()), Buckets.volumeNameKey(name), Buckets.uuidBytes(volume));
    if (!encrypted) {
      state.db.commit(batch);
      return;
    }
    SvmKeyState ks = state.keyState(svm.uuid());
    if (ks.enabled() == null) {
      throw new KmsException(ErrorCode.NO_KMS_CONFIGURED, "encryption.enabled");
    }
    if (ks.state() == KeystoreState.BLOCKED) {
      throw new KmsException(ErrorCode.KEYSTORE_BLOCKED);
    }
    ConfigRecord cfg = state.configRecord(ks.enabled());
    if (ks.generation() == 0) {
      createFirstEncrypted(svm, volume, ks, cfg, batch, epochs);
      return;
    }
    KeyMaterial svmKek = currentSvmKek(svm.uuid(), ks.generation());
    if (svmKek == null && generations != null) {
      // Another process made this generation a moment ago (the SVM's first volume, or a rekey) and the watch that
      // brings it to this process's nodes has not run yet: fetch it now rather than fail the create.
      for (Node n : state.nodes) {
        generations.catchUp(n, svm.uuid());
      }
      svmKek = currentSvmKek(svm.uuid(), ks.generation());
    }
    if (svmKek == null) {
      throw new KmsException(ErrorCode.SVM_KEK_NOT_LOADED, "",
          "No node holds the SVM-KEK of SVM " + svm.name() + " (nodes rebooted or went down since the last restore)."
              + " Run the restore of configuration " + cfg.uuid() + ", then create the volume again.");
    }
    try (KeyMaterial kekCopy = svmKek; WrappingKey wrapping = WrappingKey.of(kekCopy);
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
      byte[] blob = KekFetcher.wrapVerified(wrapping, vek, KeyBinding.vek(svm.uuid(), volume, ks.generation()),
          "The wrapped VEK did not verify.");
      batch.put(Buckets.veks(svm.uuid(), ks.generation()), volume, blob);
      state.db.commit(batch);
      byte[] bytes = vek.copyBytes(KeyAccess.insecure());
      for (int i = 0; i < state.nodes.size(); i++) {
        state.nodes.get(i).installVekIfHolding(epochs[i], svm.uuid(), ks.generation(), volume, bytes);
      }
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private void createFirstEncrypted(SvmRecord svm, UUID volume, SvmKeyState ks, ConfigRecord cfg,
      WriteBatch batch, long[] epochs) {
    long generation = 1;
    try (Fetched kek = keks.fetch(cfg);
        KeyMaterial svmKek = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey svmWrapping = WrappingKey.of(svmKek)) {
      byte[] wrappedKek = KekFetcher.wrapSvmKek(svmKek, kek.key(),
          KeyBinding.svmKek(svm.uuid(), cfg.uuid(), generation));
      byte[] blob = KekFetcher.wrapVerified(svmWrapping, vek, KeyBinding.vek(svm.uuid(), volume, generation),
          "The wrapped VEK did not verify.");
      SvmKeyState next = new SvmKeyState(svm.uuid(), ks.enabled(), ks.state(), ks.switchTarget(), generation,
          Map.of(cfg.uuid(), wrappedKek));
      batch.put(Buckets.veks(svm.uuid(), generation), volume, blob);
      batch.put(Buckets.SVM_KEYS, svm.uuid(), next.encode());
      state.db.commit(batch);
      byte[] bytes = vek.copyBytes(KeyAccess.insecure());
      for (int i = 0; i < state.nodes.size(); i++) {
        Node n = state.nodes.get(i);
        if (n.installSvmKekIfSameEpoch(epochs[i], svm.uuid(), generation, svmKek)) {
          n.installVekIfSameEpoch(epochs[i], volume, bytes);
        }
      }
      Arrays.fill(bytes, (byte) 0);
    }
  }

  void delete(VolumeRecord v) {
    SvmKeyState ks = state.keyState(v.svm());
    WriteBatch batch = new WriteBatch().delete(Buckets.volumes(v.svm()), v.uuid())
        .delete(Buckets.volumeNames(v.svm()), Buckets.volumeNameKey(v.name())).drop(VolumeBlocks.bucket(v.uuid()));
    if (ks.generation() > 0) {
      batch.delete(Buckets.veks(v.svm(), ks.generation()), v.uuid());
    }
    state.db.commit(batch);
    for (Node n : state.nodes) {
      n.removeVek(v.uuid());
    }
  }

  /** A copy of {@code generation} of the SVM's KEK from the first local node that holds it, or null. */
  private KeyMaterial currentSvmKek(UUID svm, long generation) {
    for (Node n : state.nodes) {
      KeyMaterial k = n.svmKekCopy(svm, generation);
      if (k != null) {
        return k;
      }
    }
    return null;
  }
}
