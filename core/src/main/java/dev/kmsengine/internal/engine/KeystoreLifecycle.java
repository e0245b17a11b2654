package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.engine.KekFetcher.Fetched;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.WriteBatch;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * A configuration's life as the SVM's keystore: enable (the first, or again), switch to another configuration,
 * disable, and an update of its settings. Each runs in a job holding the SVM's lock.
 *
 * <p>Switch: persist state {@code switching} with the target; obtain the SVM-KEK; fetch the target's top-level
 * KEK; then one commit makes the target enabled with the SVM-KEK wrapped under its KEK. A failure leaves
 * {@code switching} persisted, which blocks rekey and delete until the same enable is run again. VEKs are
 * untouched.
 *
 * <p>Thread-safe; callers serialise operations per SVM.
 */
final class KeystoreLifecycle {
  private static final Logger LOG = Logger.getLogger(KeystoreLifecycle.class.getName());

  private final EngineState state;
  private final KekFetcher keks;

  KeystoreLifecycle(EngineState state, KekFetcher keks) {
    this.state = state;
    this.keks = keks;
  }

  void update(UUID uuid, BarbicanConfigUpdate u) {
    ConfigRecord current = state.requireConfig(uuid, ErrorCode.CONFIG_NOT_FOUND);
    ConfigRecord updated = ConfigValidator.apply(current, u);
    SvmKeyState ks = state.keyState(current.svm());
    boolean inUse = uuid.equals(ks.enabled()) || uuid.equals(ks.switchTarget());
    if (u.changesCredentials() || (inUse && u.changesTransport())) {
      keks.healthCheck(updated);
    }
    state.putConfig(updated);
    state.provider.invalidate(uuid);
  }

  void enable(UUID uuid) {
    ConfigRecord cfg = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    SvmKeyState ks = state.keyState(cfg.svm());
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
    state.saveState(initializing);
    try {
      // Enabling proves the top-level key can be fetched; the SVM-KEK comes with the first encrypted volume.
      keks.fetch(cfg).close();
      state.saveState(initializing.withState(KeystoreState.ACTIVE));
    } catch (RuntimeException e) {
      state.saveState(SvmKeyState.empty(ks.svm()));
      throw e;
    }
  }

  /** Enabling the enabled configuration: cancels a switch away from it, or clears a blocked state. */
  private void reEnable(ConfigRecord cfg, SvmKeyState ks) {
    switch (ks.state()) {
      case SWITCHING -> state.saveState(new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.ACTIVE, null,
          ks.generation(), ks.wrappedKeks()));
      case BLOCKED -> {
        try (Fetched kek = keks.fetch(cfg)) {
          if (ks.generation() > 0) {
            KekFetcher.unwrapSvmKek(ks, cfg.uuid(), kek.key()).destroy();
          }
        }
        state.saveState(ks.withState(KeystoreState.ACTIVE));
      }
      default -> { }
    }
  }

  private void switchTo(ConfigRecord target, SvmKeyState ks) {
    SvmKeyState switching = new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.SWITCHING, target.uuid(),
        ks.generation(), ks.wrappedKeks());
    state.saveState(switching);
    ConfigRecord old = state.configRecord(ks.enabled());
    Map<UUID, byte[]> wrapped = Map.of();
    if (ks.generation() > 0) {
      try (KeyMaterial svmKek = keks.currentSvmKek(ks, old, null); Fetched kek = keks.fetch(target)) {
        wrapped = Map.of(target.uuid(),
            KekFetcher.wrapSvmKek(svmKek, kek.key(), KeyBinding.svmKek(ks.svm(), target.uuid(), ks.generation())));
      }
    } else {
      keks.fetch(target).close();
    }
    state.saveState(new SvmKeyState(ks.svm(), target.uuid(), KeystoreState.ACTIVE, null, ks.generation(), wrapped));
    LOG.info("switched SVM " + ks.svm() + " to configuration " + target.uuid());
  }

  void disable(UUID uuid) {
    ConfigRecord cfg = state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    SvmKeyState ks = state.keyState(cfg.svm());
    if (!uuid.equals(ks.enabled())) {
      return;
    }
    if (ks.state() == KeystoreState.SWITCHING) {
      throw new KmsException(ErrorCode.RESOURCE_IN_USE, "uuid",
          "A keystore switch is in progress; complete it before disabling.");
    }
    if (state.volumes(cfg.svm()).stream().anyMatch(v -> v.encrypted())) {
      throw new KmsException(ErrorCode.RESOURCE_IN_USE, "enabled",
          "The SVM has encrypted volumes; delete them or migrate their keys before disabling the keystore.");
    }
    state.saveState(ks.withState(KeystoreState.DISABLING));
    WriteBatch batch = new WriteBatch().put(Buckets.SVM_KEYS, ks.svm(), SvmKeyState.empty(ks.svm()).encode());
    if (ks.generation() > 0) {
      batch.drop(Buckets.veks(ks.svm(), ks.generation()));
    }
    state.db.commit(batch);
    for (Node n : state.nodes) {
      n.removeSvmKek(ks.svm());
    }
  }

  /** Deletes an inactive configuration; in a job-free exclusive section holding the SVM's lock. */
  void delete(UUID uuid, SvmKeyState ks) {
    if (ks.state() == KeystoreState.SWITCHING) {
      throw new KmsException(ErrorCode.DELETE_WHILE_SWITCHING, "uuid");
    }
    if (uuid.equals(ks.enabled())) {
      throw new KmsException(ErrorCode.KEYSTORE_ENABLED, "uuid");
    }
    state.requireConfig(uuid, ErrorCode.ENTRY_NOT_FOUND);
    state.deleteConfig(uuid);
  }
}
