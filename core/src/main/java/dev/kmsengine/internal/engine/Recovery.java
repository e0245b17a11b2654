package dev.kmsengine.internal.engine;

import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * What an engine does when it opens a database: finish or roll back what a crash interrupted. Only the
 * {@code svm-keys} record decides which generation is current, so every bucket of another generation is a
 * leftover (a rekey's staging, or the old generation it had not dropped yet), and a transient state goes back to
 * the state it started from.
 *
 * <h2>Several processes</h2>
 * Another live process may be running a rekey when this one starts: its staging bucket is not a leftover, and
 * dropping it would fail that rekey. So in multi-process mode an SVM is recovered only under its lock
 * ({@link #underLocks}): taken with a short wait at start; an SVM whose lock is held elsewhere is recovered later,
 * by the first of {@link #afterLock} (the job runner, just after it took the lock for a job on the SVM) and a
 * background attempt that waits for the lock ({@link #retryDeferred}).
 *
 * <p>Thread-safe: each SVM is recovered under its lock, or (one process) before the engine accepts operations.
 */
final class Recovery {
  private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

  private final EngineState state;
  /** SVMs whose recovery waits for their lock. */
  private final Set<UUID> deferred = ConcurrentHashMap.newKeySet();

  Recovery(EngineState state) {
    this.state = state;
  }

  /** Recovers every SVM; for an engine that is the only process on its database. */
  void run() {
    for (SvmKeyState ks : states()) {
      recover(ks, null);
    }
  }

  /**
   * Recovers each SVM whose lock is free within {@code wait}; the others are deferred.
   *
   * @return the SVMs deferred
   */
  Set<UUID> underLocks(Coordination coordination, Duration wait) {
    for (SvmKeyState ks : states()) {
      try (Coordination.SvmLock lock = coordination.lockSvm(ks.svm(), wait)) {
        recover(state.keyState(ks.svm()), lock);
      } catch (StoreException e) {
        LOG.info(() -> "recovery of SVM " + ks.svm() + " deferred until its lock is free: " + e.getMessage());
        deferred.add(ks.svm());
      }
    }
    return Set.copyOf(deferred);
  }

  /** Recovers {@code svm} if its recovery was deferred; the caller holds the SVM's lock ({@code lock}, if given). */
  void afterLock(UUID svm, Coordination.SvmLock lock) {
    if (deferred.remove(svm)) {
      recover(state.keyState(svm), lock);
    }
  }

  /** Waits up to {@code wait} for the lock of each deferred SVM and recovers it under the lock. */
  void retryDeferred(Coordination coordination, Duration wait) {
    for (UUID svm : List.copyOf(deferred)) {
      try (Coordination.SvmLock lock = coordination.lockSvm(svm, wait)) {
        afterLock(svm, lock);
      } catch (StoreException e) {
        LOG.info(() -> "recovery of SVM " + svm + " still waits for its lock: " + e.getMessage());
      }
    }
  }

  boolean hasDeferred() {
    return !deferred.isEmpty();
  }

  private List<SvmKeyState> states() {
    List<SvmKeyState> states = new ArrayList<>();
    state.db.forEach(Buckets.SVM_KEYS, (svm, bytes) -> states.add(SvmKeyState.decode(svm, bytes)));
    return states;
  }

  /** Recovers one SVM; {@code lock} (if not null) fences the commit, so that it applies only while it is held. */
  private void recover(SvmKeyState ks, Coordination.SvmLock lock) {
    WriteBatch batch = new WriteBatch();
    if (lock != null && lock.fence() != null) {
      batch.fence(lock.fence());
    }
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
