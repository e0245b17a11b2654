package dev.kmsengine.internal.engine;

import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * What an engine does when it opens a database: finish or roll back what a crash interrupted. Only the
 * {@code svm-keys} record decides which generation is current, so every bucket of another generation is a
 * leftover (a rekey's staging, or the old generation it had not dropped yet), and a transient state goes back to
 * the state it started from.
 *
 * <p>Not thread-safe: runs once, before the engine accepts operations.
 */
final class Recovery {
  private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

  private Recovery() {}

  static void run(EngineState state) {
    List<SvmKeyState> states = new ArrayList<>();
    state.db.forEach(Buckets.SVM_KEYS, (svm, bytes) -> states.add(SvmKeyState.decode(svm, bytes)));
    for (SvmKeyState ks : states) {
      WriteBatch batch = new WriteBatch();
      String current = Buckets.veks(ks.svm(), ks.generation());
      for (String bucket : state.db.buckets(Buckets.vekPrefix(ks.svm()))) {
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
        batch.put(Buckets.SVM_KEYS, ks.svm(), fixed.encode());
        LOG.info("recovered SVM " + ks.svm() + " from interrupted state " + ks.state().wireName());
      }
      if (!batch.isEmpty()) {
        state.db.commit(batch);
      }
    }
  }
}
