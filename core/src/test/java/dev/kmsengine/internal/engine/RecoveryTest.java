package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static dev.kmsengine.internal.engine.TestCluster.KEY_2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A second engine opened on the database of a first one that "crashed" in the middle of an operation. */
class RecoveryTest {
  private final InMemoryClusterDatabase db = new InMemoryClusterDatabase();
  private final dev.kmsengine.kek.InMemoryKeyProvider barbican = TestCluster.newProvider();

  private TestCluster open() {
    return new TestCluster(KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(4).dataSvms("svm1", "svm2")
        .build()).database(db), barbican);
  }

  @Test
  void restart_keepsSvmsConfigurationsAndVolumes_withEmptyKeyTablesUntilRestore() {
    UUID c;
    UUID v;
    UUID svm;
    try (TestCluster first = open()) {
      c = first.enabledConfig("svm1", "c", KEY_1);
      v = first.volume("svm1", "v");
      first.engine.cluster().writeBlock("node2", v, 0, "kept".getBytes());
      svm = first.svmUuid("svm1");
    }
    try (TestCluster second = open()) {
      assertEquals(svm, second.svmUuid("svm1"), "SVMs come from the database, not a fresh spec");
      assertEquals(3, second.engine.cluster().svms().size());
      assertFalse(second.engine.barbican().kekAvailability(c).clusterState());
      second.engine.barbican().restoreAll().forEach(second::succeed);
      assertArrayEquals("kept".getBytes(), second.engine.cluster().readBlock("node3", v, 0));
    }
  }

  @Test
  void restart_afterCrashBeforeTheRekeyCommit_rollsBackToTheOldGeneration() {
    UUID c;
    UUID v;
    UUID svm;
    try (TestCluster first = open()) {
      c = first.enabledConfig("svm1", "c", KEY_1);
      v = first.volume("svm1", "v");
      first.engine.cluster().writeBlock("node1", v, 0, "x".getBytes());
      svm = first.svmUuid("svm1");
      // What a crash during staging leaves: state svm_kek_rekey and a partial bucket of generation 2.
      SvmKeyState ks = Engine.of(first.engine).state.keyState(svm);
      db.commit(new WriteBatch().put(Buckets.SVM_KEYS, svm, ks.withState(KeystoreState.SVM_KEK_REKEY).encode())
          .put(Buckets.veks(svm, 2), v, new byte[62]));
    }
    try (TestCluster second = open()) {
      assertEquals(KeystoreState.ACTIVE, second.engine.barbican().keystore(c).orElseThrow().state());
      assertEquals(1, Engine.of(second.engine).state.keyState(svm).generation());
      assertEquals(List.of(Buckets.veks(svm, 1)), db.buckets(Buckets.vekPrefix(svm)));
      second.engine.barbican().restoreAll().forEach(second::succeed);
      assertArrayEquals("x".getBytes(), second.engine.cluster().readBlock("node4", v, 0));
      second.succeed(second.engine.barbican().rekeyInternal(c));
    }
  }

  @Test
  void restart_afterCrashBetweenTheRekeyCommitAndTheCleanup_dropsTheOldGeneration() {
    UUID v;
    UUID svm;
    try (TestCluster first = open()) {
      UUID c = first.enabledConfig("svm1", "c", KEY_1);
      v = first.volume("svm1", "v");
      first.engine.cluster().writeBlock("node1", v, 0, "y".getBytes());
      svm = first.svmUuid("svm1");
      first.succeed(first.engine.barbican().rekeyInternal(c));
      // Put back a leftover of generation 1, as if the process died right after the atomic step.
      db.commit(new WriteBatch().put(Buckets.veks(svm, 1), v, new byte[62]));
    }
    try (TestCluster second = open()) {
      assertEquals(List.of(Buckets.veks(svm, 2)), db.buckets(Buckets.vekPrefix(svm)));
      second.engine.barbican().restoreAll().forEach(second::succeed);
      assertArrayEquals("y".getBytes(), second.engine.cluster().readBlock("node1", v, 0));
    }
  }

  @Test
  void restart_afterInterruptedFirstEnable_leavesTheConfigurationInactive() {
    UUID c;
    try (TestCluster first = open()) {
      c = first.createConfig("svm2", "c", KEY_1);
      UUID svm = first.svmUuid("svm2");
      db.commit(new WriteBatch().put(Buckets.SVM_KEYS, svm, new SvmKeyState(svm, c,
          KeystoreState.INITIALIZING, null, 0, java.util.Map.of()).encode()));
    }
    try (TestCluster second = open()) {
      assertFalse(second.engine.barbican().keystore(c).orElseThrow().enabled());
      second.succeed(second.engine.barbican().enableKeystore(c));
    }
  }

  @Test
  void restart_afterInterruptedSwitch_staysSwitching_andCompletesWhenEnabledAgain() {
    UUID b;
    UUID v;
    try (TestCluster first = open()) {
      first.enabledConfig("svm1", "a", KEY_1);
      v = first.volume("svm1", "v");
      first.engine.cluster().writeBlock("node1", v, 0, "z".getBytes());
      b = first.createConfig("svm1", "b", KEY_2);
      first.engine.cluster().nodes().forEach(n -> first.provider.cutOff(n.name(), true));
      first.await(first.engine.barbican().enableKeystore(b));
      first.engine.cluster().nodes().forEach(n -> first.provider.cutOff(n.name(), false));
    }
    try (TestCluster second = open()) {
      assertEquals(KeystoreState.SWITCHING, second.engine.barbican().keystore(b).orElseThrow().state());
      second.succeed(second.engine.barbican().enableKeystore(b));
      assertEquals(KeystoreState.ACTIVE, second.engine.barbican().keystore(b).orElseThrow().state());
      second.engine.barbican().restoreAll().forEach(second::succeed);
      assertArrayEquals("z".getBytes(), second.engine.cluster().readBlock("node2", v, 0));
    }
  }
}
