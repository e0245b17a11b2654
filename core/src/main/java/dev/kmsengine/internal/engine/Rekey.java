package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.internal.engine.KekFetcher.Fetched;
import dev.kmsengine.internal.job.JobContext;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.WriteBatch;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

/*
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
 *      to unwrap to the same VEK before it counts (ParallelRewrap);
 *   5. write bucket veks/{svm}/{g+1} (not yet current: a crash here leaves g current and complete);
 *   6. one commit of svm-keys: generation g+1, new wrapped SVM-KEK, state active  <- the atomic step;
 *   7. swap the SVM-KEK in the key tables of the nodes that held generation g, and drop bucket g. Other
 *      processes' nodes learn of g+1 by watching svm-keys (GenerationWatch).
 *   Any failure before 6 drops the staged bucket and leaves g current. A restart drops every bucket that is not
 *   the current generation (see Recovery).
 */
/**
 * {@code POST .../rekey-internal}: a new SVM-KEK generation, every VEK rewrapped under it and verified, made
 * current in one atomic commit (see the note above).
 *
 * <p>Thread-safe; callers serialise operations per SVM.
 */
final class Rekey {
  private static final Logger LOG = Logger.getLogger(Rekey.class.getName());

  private final EngineState state;
  private final KekFetcher keks;
  private final ParallelRewrap rewrap;

  Rekey(EngineState state, KekFetcher keks, ParallelRewrap rewrap) {
    this.state = state;
    this.keks = keks;
    this.rewrap = rewrap;
  }

  void run(UUID configUuid, JobContext ctx) {
    ConfigRecord cfg = state.requireConfig(configUuid, ErrorCode.CONFIG_NOT_FOUND);
    SvmKeyState ks = state.requireEnabled(cfg);
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
    String staging = Buckets.veks(ks.svm(), to);
    state.saveState(ks.withState(KeystoreState.SVM_KEK_REKEY));
    LOG.info(() -> "rekey of SVM " + ks.svm() + ": started, SVM-KEK generation " + from + " -> " + to);
    boolean committed = false;
    KeystoreState after = KeystoreState.ACTIVE;
    try (Fetched kek = keks.fetch(cfg);
        KeyMaterial oldSvmKek = keks.currentSvmKek(ks, cfg, kek.key());
        KeyMaterial newSvmKek = KeyMaterial.generate(Randomness.secureRandom())) {
      byte[] wrapped = KekFetcher.wrapSvmKek(newSvmKek, kek.key(), KeyBinding.svmKek(ks.svm(), cfg.uuid(), to));
      state.db.commit(new WriteBatch().drop(staging));
      int total = rewrap.rewrapAll(ks.svm(), oldSvmKek, newSvmKek, from, to, staging, ctx);
      // The last line of defence before the generation switch: a staged bucket short of a blob would lose a key.
      if (state.db.count(staging) != total) {
        throw new KmsException(ErrorCode.VDEK_UPDATE_FAILED, "", "Staged " + state.db.count(staging) + " of "
            + total + " rewrapped volume encryption keys.");
      }
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": " + total + " VEKs rewrapped, verified and staged as generation "
          + to);
      state.saveState(
          new SvmKeyState(ks.svm(), ks.enabled(), KeystoreState.ACTIVE, null, to, Map.of(cfg.uuid(), wrapped)));
      committed = true;
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": generation " + to + " is current");
      // Before the drop's commit: with other processes, the watch of this one sees the new generation too, and
      // would fetch the top-level KEK for every node that still held the old one.
      for (Node n : state.nodes) {
        n.replaceSvmKekIfHolding(ks.svm(), from, to, newSvmKek);
      }
      state.db.commit(new WriteBatch().drop(Buckets.veks(ks.svm(), from)));
      ctx.progress("Rewrapped " + total + " of " + total + " volume encryption keys");
    } catch (KmsException e) {
      if (KekFetcher.blocks(e.errorCode())) {
        after = KeystoreState.BLOCKED;
      }
      LOG.info(() -> "rekey of SVM " + ks.svm() + ": failed with " + e.code() + ", generation " + from
          + " stays current");
      throw e;
    } finally {
      if (!committed) {
        state.db.commit(new WriteBatch().drop(staging));
        state.saveState(ks.withState(after));
      }
    }
  }
}
