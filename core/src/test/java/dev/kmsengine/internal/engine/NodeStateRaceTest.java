package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Reboots interleaved with restore, rekey and volume creation: no rebooted node ever holds a key it did not fetch
 * after the reboot. Each of 10,000 rounds starts one operation and reboots one node from inside it, at the k-th of
 * its fetches, commits or VEK reads (k drawn at random): either there, synchronously, or from another thread as a
 * burst of reboots of random length, racing the rest of the operation. The operation began before the reboot, so whatever it fetched or derived
 * belongs to the node as it was; once both are done the node must be empty.
 *
 * <p>Cheap by design, so that it can run 100 times in a row: in-memory store and key provider, a handful of
 * volumes, and the operations called directly rather than through the job queue.
 */
class NodeStateRaceTest {
  private static final int ROUNDS = 10_000;
  private static final int VOLUMES = 6;

  /** Counts the calls an operation makes through the store and the provider, and runs the hook at the k-th. */
  private static final class Hooks {
    final AtomicInteger calls = new AtomicInteger();
    volatile int at = -1;
    volatile Runnable hook = () -> { };

    void tick() {
      if (calls.getAndIncrement() == at) {
        hook.run();
      }
    }

    void arm(int k, Runnable r) {
      calls.set(0);
      hook = r;
      at = k;
    }

    void disarm() {
      at = -1;
    }
  }

  private static final class HookedDatabase extends ForwardingClusterDatabase {
    final Hooks hooks;

    HookedDatabase(Hooks hooks) {
      super(new InMemoryClusterDatabase());
      this.hooks = hooks;
    }

    @Override
    public void commit(WriteBatch batch) {
      hooks.tick();
      delegate.commit(batch);
      hooks.tick();
    }

    @Override
    public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
      delegate.forEach(bucket, (k, v) -> {
        action.accept(k, v);
        hooks.tick();
      });
    }
  }

  private static final class HookedProvider implements TopLevelKeyProvider {
    final InMemoryKeyProvider delegate;
    final Hooks hooks;
    /** Fetches started per node: a fetch counted after a reboot's snapshot may have begun after the reboot. */
    final Map<String, AtomicInteger> starts = new ConcurrentHashMap<>();

    HookedProvider(InMemoryKeyProvider delegate, Hooks hooks) {
      this.delegate = delegate;
      this.hooks = hooks;
    }

    @Override
    public KeyMaterial fetchKey(String node, BarbicanConnection connection) throws KekException {
      starts(node).incrementAndGet();
      hooks.tick();
      KeyMaterial k = delegate.fetchKey(node, connection);
      hooks.tick();
      return k;
    }

    AtomicInteger starts(String node) {
      return starts.computeIfAbsent(node, n -> new AtomicInteger());
    }

    @Override
    public void checkReachability(String node, BarbicanConnection connection) throws KekException {
      delegate.checkReachability(node, connection);
    }
  }

  private enum Op { RESTORE, REKEY, CREATE }

  @Test
  void rebootsDuringRestoreRekeyAndCreate_neverLeaveARebootedNodeHoldingKeys() throws Exception {
    // Ten thousand rounds would log some forty thousand progress lines; only the assertions matter here.
    Logger hierarchyLog = Logger.getLogger(KmsEngine.class.getPackageName());
    Level level = hierarchyLog.getLevel();
    hierarchyLog.setLevel(Level.WARNING);
    Hooks hooks = new Hooks();
    HookedDatabase db = new HookedDatabase(hooks);
    HookedProvider provider = new HookedProvider(TestCluster.newProvider(), hooks);
    ExecutorService rebooter = Executors.newSingleThreadExecutor();
    try (KmsEngine engine = KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(4).dataSvms("svm1").build())
        .database(db).keyProvider(provider).parallelism(2).build()) {
      UUID config = succeed(engine, engine.barbican().createBarbicanConfig(TestCluster.request("svm1", "race",
          KEY_1).build()))
          .resourceUuid();
      succeed(engine, engine.barbican().enableKeystore(config));
      Deque<UUID> volumes = new ArrayDeque<>();
      for (int i = 0; i < VOLUMES; i++) {
        volumes.add(succeed(engine, engine.cluster().createVolume("svm1", null, "v" + i, true)).resourceUuid());
      }
      SvmRecord svm = Engine.of(engine).state.svmRecords().stream().filter(x -> x.name().equals("svm1")).findFirst().orElseThrow();
      Random random = new Random(13);
      int[] byOp = new int[Op.values().length];
      int hit = 0;
      int checked = 0;
      for (int round = 0; round < ROUNDS; round++) {
        Op op = Op.values()[random.nextInt(Op.values().length)];
        Node node = Engine.of(engine).state.nodes.get(random.nextInt(Engine.of(engine).state.nodes.size()));
        boolean racing = random.nextBoolean();
        Future<?>[] reboot = new Future<?>[1];
        int[] fetchesBefore = {-1};
        Runnable rebootNode = () -> {
          fetchesBefore[0] = provider.starts(node.name).get();
          node.reboot();
        };
        int at = random.nextInt(12);
        // Racing, a burst of reboots of random length, so that the last one lands anywhere in the rest of the
        // operation, between its checks and its installs included.
        int burst = 1 + random.nextInt(64);
        hooks.arm(at, racing ? () -> reboot[0] = rebooter.submit(() -> {
          for (int i = 0; i < burst; i++) {
            rebootNode.run();
          }
        }) : rebootNode);
        try {
          switch (op) {
            case RESTORE -> Engine.of(engine).restores.run(config, TestCluster.NO_REPORTS);
            case REKEY -> Engine.of(engine).rekeys.run(config, TestCluster.NO_REPORTS);
            case CREATE -> {
              UUID v = UUID.randomUUID();
              Engine.of(engine).volumeKeys.create(svm, v, "r" + round, true);
              volumes.add(v);
            }
          }
        } catch (KmsException expected) {
          // A reboot mid-restore fails it (65539842); a create with no node holding the SVM-KEK is refused.
        }
        boolean rebootedInside = hooks.calls.get() > hooks.at;
        hooks.disarm();
        if (rebootedInside) {
          hit++;
        } else {
          rebootNode.run();
        }
        if (reboot[0] != null) {
          reboot[0].get(60, TimeUnit.SECONDS);
        }
        byOp[op.ordinal()]++;
        // A restore's fetch for this very node that began after the reboot legitimately gives it keys.
        if (provider.starts(node.name).get() == fetchesBefore[0]) {
          checked++;
          int r = round;
          assertEquals(0, node.svmKekCount() + node.vekCount(), () -> "round " + r + ": " + node.name + ", rebooted"
              + (racing ? " concurrently" : "") + " during " + op + " at call " + at + ", holds "
              + node.svmKekCount() + " SVM-KEKs and " + node.vekCount() + " VEKs it did not fetch after the reboot");
        }
        if (volumes.size() > VOLUMES) {
          Engine.of(engine).volumeKeys.delete(Engine.of(engine).state.volumeRecord(volumes.poll()));
        }
        heal(engine, config);
      }
      assertTrue(hit > ROUNDS / 2, "most reboots landed inside an operation: " + hit);
      assertTrue(checked > ROUNDS * 3 / 4, "most rounds could be checked: " + checked);
      for (Op op : Op.values()) {
        assertTrue(byOp[op.ordinal()] > ROUNDS / 5, op + " ran " + byOp[op.ordinal()] + " times");
      }
    } finally {
      rebooter.shutdownNow();
      hierarchyLog.setLevel(level);
    }
  }

  private static Job succeed(KmsEngine engine, Job job) throws InterruptedException {
    Job done = engine.awaitJob(job, Duration.ofSeconds(60));
    assertEquals(JobState.SUCCESS, done.state(), done::toString);
    return done;
  }

  /**
   * A restore without reboots once at most one node holds the SVM-KEK, so that the next rounds find nodes with keys
   * to lose and a create finds a node to wrap with. Not every round: restores are the costly part of a round.
   */
  private static void heal(KmsEngine engine, UUID config) {
    if (Engine.of(engine).state.nodes.stream().filter(n -> n.svmKekCount() > 0).count() <= 1) {
      Engine.of(engine).restores.run(config, TestCluster.NO_REPORTS);
    }
  }
}
