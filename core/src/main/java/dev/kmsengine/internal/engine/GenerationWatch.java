package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.store.ClusterDatabase.Coordination;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * In multi-process mode, how this process's nodes learn of SVM-KEK changes another process committed: it watches
 * the {@code svm-keys} records, and on a change of an SVM each local node that holds an older generation of its
 * KEK fetches the top-level KEK through its own path (as a restore does), unwraps the new SVM-KEK from the record
 * and installs it: what {@link Rekey} does for the nodes of its own process with the key in hand. The first
 * generation (the SVM's first encrypted volume) goes to every up node, as a create does in one process; a node
 * wiped since (a reboot) holds nothing and gets nothing: it waits for a restore. A disabled keystore's SVM-KEK
 * leaves every node.
 *
 * <p>Idempotent: a change is handled by comparing what each node holds with the record, so a repeated or late
 * event, or one for a change of this process, installs nothing twice. A failed install is logged (the node, the
 * SVM and the code; never key bytes) and kept on the node, where the {@code state} report shows it; the node keeps
 * its older generation, which its VEKs do not need (VEKs are the same across generations).
 *
 * <p>Thread-safe: changes are handled one at a time on one thread.
 */
final class GenerationWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(GenerationWatch.class.getName());

  private final EngineState state;
  /** The generation of each SVM this process saw last: a change from 0 is a first generation. */
  private final Map<UUID, Long> seen = new ConcurrentHashMap<>();
  private final ExecutorService worker;
  private Coordination.Subscription subscription;

  GenerationWatch(EngineState state) {
    this.state = state;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kms-generation-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts watching; the generations current now are the ones the nodes are compared against later. */
  void start(Coordination coordination) {
    subscription = coordination.watch(Buckets.SVM_KEYS, svm -> {
      try {
        worker.execute(() -> changed(svm));
      } catch (RejectedExecutionException closing) {
        // The engine is closing.
      }
    });
    state.db.forEach(Buckets.SVM_KEYS, (svm, b) -> seen.put(svm, SvmKeyState.decode(svm, b).generation()));
  }

  /** Brings every local node up to the SVM's current record. */
  synchronized void changed(UUID svm) {
    SvmKeyState ks = state.keyState(svm);
    Long before = seen.put(svm, ks.generation());
    boolean first = before == null || before == 0;
    for (Node n : state.nodes) {
      long held = n.svmKekGeneration(svm);
      if (ks.enabled() == null || ks.generation() == 0) {
        if (held != 0) {
          n.removeSvmKek(svm);
        }
      } else if (held != ks.generation() && (held != 0 || (first && n.isUp()))) {
        install(n, ks, held);
      }
    }
  }

  /**
   * Installs the SVM's current generation on {@code n} now if it holds an older one (or none, while the first
   * generation's event has not been handled): a block I/O that finds the node behind calls this rather than wait
   * for the watch.
   */
  synchronized void catchUp(Node n, UUID svm) {
    SvmKeyState ks = state.keyState(svm);
    long held = n.svmKekGeneration(svm);
    Long before = seen.get(svm);
    boolean firstPending = (before == null || before == 0) && n.isUp();
    if (ks.enabled() != null && ks.generation() > 0 && held != ks.generation() && (held != 0 || firstPending)) {
      install(n, ks, held);
    }
  }

  private void install(Node n, SvmKeyState ks, long held) {
    long epoch = n.epoch();
    ConfigRecord cfg = state.configRecord(ks.enabled());
    if (cfg == null) {
      return;
    }
    try (KeyMaterial kek = state.provider.fetchKey(n.name, cfg.connection());
        KeyMaterial svmKek = KekFetcher.unwrapSvmKek(ks, cfg.uuid(), kek)) {
      if (n.upgradeSvmKekIfSameEpoch(epoch, ks.svm(), held, ks.generation(), svmKek)) {
        LOG.info(() -> "node " + n.name + ": installed SVM-KEK generation " + ks.generation() + " of SVM "
            + ks.svm() + " (was " + held + ")");
      }
    } catch (KekException e) {
      failed(n, ks, KekFetcher.codeFor(e.failure()).wireCode() + ": " + e.getMessage());
    } catch (KmsException e) {
      failed(n, ks, e.code() + ": " + e.getMessage());
    }
  }

  private static void failed(Node n, SvmKeyState ks, String reason) {
    n.installFailed(ks.svm(), reason);
    LOG.warning(() -> "node " + n.name + ": installing SVM-KEK generation " + ks.generation() + " of SVM " + ks.svm()
        + " failed: " + reason);
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.close();
    }
    worker.shutdownNow();
  }
}
