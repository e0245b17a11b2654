package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GenerationWatch#changed}, called as the watch would after another process committed a rekey: node2 is
 * made to hold the old generation again, as a node of a process that did not run the rekey does.
 */
class GenerationWatchTest {
  private final TestCluster t = new TestCluster();
  private final EngineState state = Engine.of(t.engine).state;
  private GenerationWatch watch;
  private UUID config;
  private UUID svm;
  private KeyMaterial oldKek;

  @BeforeEach
  void rekeyedElsewhere() {
    config = t.enabledConfig("svm1", "c", KEY_1);
    svm = t.svmUuid("svm1");
    t.volume("svm1", "v");
    watch = new GenerationWatch(state);
    watch.start(state.db.coordination());
    try (Node.HeldKek held = node(1).svmKek(svm)) {
      oldKek = held.key.duplicate();
    }
    t.succeed(t.engine.barbican().rekeyInternal(config));
    node(1).installSvmKek(svm, 1, oldKek);
  }

  @AfterEach
  void close() {
    watch.close();
    oldKek.destroy();
    t.close();
  }

  private Node node(int index) {
    return state.nodes.get(index);
  }

  @Test
  void aNodeHoldingTheOldGeneration_getsTheNewOne_fetchedThroughItsOwnPath() {
    long fetches = t.provider.fetchCount();

    watch.changed(svm);

    try (Node.HeldKek n1 = node(0).svmKek(svm); Node.HeldKek n2 = node(1).svmKek(svm)) {
      assertEquals(2, n2.generation);
      assertTrue(n2.key.sameAs(n1.key), "the SVM-KEK unwrapped from the record is the one the rekey made");
      assertFalse(n2.key.sameAs(oldKek));
    }
    assertEquals(fetches + 1, t.provider.fetchCount(), "one fetch, for the one node that was behind");
    watch.changed(svm);
    assertEquals(fetches + 1, t.provider.fetchCount(), "idempotent: nothing left to install");
  }

  @Test
  void aWipedNode_getsNothing_untilARestore() {
    node(2).reboot();

    watch.changed(svm);

    assertEquals(0, node(2).svmKekGeneration(svm));
    assertEquals(2, node(1).svmKekGeneration(svm));
  }

  @Test
  void aFailedInstall_keepsTheOldGeneration_andTheStateReportSaysWhy() {
    t.provider.inject(node(1).name, KekFailure.UNREACHABLE);

    watch.changed(svm);

    assertEquals(1, node(1).svmKekGeneration(svm));
    KekAvailability k = t.engine.barbican().kekAvailability(config);
    String reason = k.nodes().get(1).message();
    assertTrue(reason.contains("generation 1") && reason.contains("installing it failed"), reason);
    assertFalse(reason.contains(TestCluster.CRED_SECRET.reveal()), "no secret in the reason");
  }

  @Test
  void aDisabledKeystore_takesTheSvmKekOffEveryNode() {
    List<UUID> volumes = t.engine.cluster().volumes(svm).stream().map(v -> v.uuid()).toList();
    volumes.forEach(v -> t.succeed(t.engine.cluster().deleteVolume(v)));
    state.db.commit(new dev.kmsengine.store.WriteBatch().put(Buckets.SVM_KEYS, svm,
        SvmKeyState.empty(svm).encode()));

    watch.changed(svm);

    assertTrue(state.nodes.stream().allMatch(n -> n.svmKekGeneration(svm) == 0));
  }
}
