package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.WriteBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RekeyTest {
  private final TestCluster t = new TestCluster();
  private UUID config;
  private UUID svm;

  @AfterEach
  void close() {
    t.close();
  }

  private List<UUID> setUp(int volumes) {
    config = t.enabledConfig("svm1", "c", KEY_1);
    svm = t.svmUuid("svm1");
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < volumes; i++) {
      ids.add(t.volume("svm1", "vol" + i));
    }
    return ids;
  }

  private long generation() {
    return Engine.of(t.engine).state.keyState(svm).generation();
  }

  private byte[] blob(UUID volume) {
    return Engine.of(t.engine).state.db.get(Buckets.veks(svm, generation()), volume);
  }

  private void putBlob(UUID volume, byte[] blob) {
    Engine.of(t.engine).state.db.commit(new WriteBatch().put(Buckets.veks(svm, generation()), volume, blob));
  }

  @Test
  void rekey_thousandsOfVolumes_newSvmKekEveryVekRewrappedAndUnchanged() throws Exception {
    int count = 3000;
    List<UUID> ids = setUp(1);
    // Bulk-create the rest straight through the engine's own wrap path, to keep the test fast.
    Node node1 = Engine.of(t.engine).state.nodes.get(0);
    Node.HeldKek held = node1.svmKek(svm);
    WriteBatch batch = new WriteBatch();
    Map<UUID, byte[]> veks = new HashMap<>();
    for (int i = 1; i < count; i++) {
      UUID v = UUID.randomUUID();
      try (KeyMaterial vek = KeyMaterial.generate(new java.security.SecureRandom())) {
        batch.put(Buckets.volumes(svm), v, new VolumeRecord(v, svm, "bulk" + i, true, "00").encode());
        batch.put(Buckets.veks(svm, 1), v, held.wrapping.wrap(vek, KeyBinding.vek(svm, v, 1)));
        veks.put(v, vek.copyBytes(KeyAccess.insecure()));
        Engine.of(t.engine).state.nodes.forEach(n -> n.installVek(v, veks.get(v)));
      }
      ids.add(v);
    }
    Engine.of(t.engine).state.db.commit(batch);
    veks.put(ids.get(0), node1.vek(ids.get(0)).clone());
    Map<UUID, byte[]> oldBlobs = new HashMap<>();
    ids.forEach(v -> oldBlobs.put(v, blob(v)));
    KeyMaterial oldSvmKek = held.key.duplicate();

    Job job = t.succeed(t.engine.barbican().rekeyInternal(config));

    assertEquals(2, generation());
    assertEquals("success", job.message());
    assertEquals(List.of(Buckets.veks(svm, 2)), Engine.of(t.engine).state.db.buckets(Buckets.vekPrefix(svm)),
        "old generation dropped");
    Node.HeldKek fresh = node1.svmKek(svm);
    assertEquals(2, fresh.generation);
    assertFalse(fresh.key.sameAs(oldSvmKek), "a fresh SVM-KEK");
    for (UUID v : ids) {
      byte[] now = blob(v);
      assertFalse(java.util.Arrays.equals(oldBlobs.get(v), now), "every VEK was rewrapped");
      try (KeyMaterial vek = fresh.wrapping.unwrap(now, KeyBinding.vek(svm, v, 2))) {
        assertTrue(vek.sameAs(KeyMaterial.copyOf(veks.get(v))), "the VEK itself is unchanged");
      }
    }
    // The new SVM-KEK is protected by the enabled configuration's top-level KEK.
    try (WrappingKey top =
        WrappingKey.of(t.provider.fetchKey("node1", Engine.of(t.engine).state.configRecord(config).connection()));
        KeyMaterial unwrapped = top.unwrap(Engine.of(t.engine).state.keyState(svm).wrappedKeks().get(config),
            KeyBinding.svmKek(svm, config, 2))) {
      assertTrue(unwrapped.sameAs(fresh.key));
    }
    oldSvmKek.destroy();
  }

  @Test
  void rekey_keepsDataReadableOnEveryNode_andReportsSuccess() {
    List<UUID> ids = setUp(20);
    for (UUID v : ids) {
      t.engine.cluster().writeBlock("node1", v, 0, v.toString().getBytes());
    }
    t.succeed(t.engine.barbican().rekeyInternal(config));
    t.succeed(t.engine.barbican().rekeyInternal(config));
    assertEquals(3, generation());
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    t.succeed(t.engine.barbican().restore(config));
    for (UUID v : ids) {
      for (var n : t.engine.cluster().nodes()) {
        assertArrayEquals(v.toString().getBytes(), t.engine.cluster().readBlock(n.name(), v, 0));
      }
    }
  }

  @Test
  void rekey_reportsProgressInVekCounts() {
    setUp(5);
    List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
    Engine.of(t.engine).rekeys.run(config, new dev.kmsengine.internal.job.JobContext() {
      @Override
      public void progress(String message) {
        messages.add(message);
      }

      @Override
      public void nodes(List<dev.kmsengine.keystore.Keystore.NodeStatus> nodes) {}
    });
    assertEquals("Rewrapped 0 of 5 volume encryption keys", messages.get(0));
    assertEquals("Rewrapped 5 of 5 volume encryption keys", messages.get(messages.size() - 1));
  }

  @Test
  void rekey_fetchesTheTopLevelKeyOnce_whateverTheVolumeCount() {
    setUp(50);
    long before = t.provider.fetchCount();
    t.succeed(t.engine.barbican().rekeyInternal(config));
    assertEquals(1, t.provider.fetchCount() - before);
  }

  @Test
  void rekey_nodeWithoutTheOldSvmKek_doesNotGetTheNewOne() {
    setUp(2);
    t.engine.cluster().rebootNode("node2");
    t.succeed(t.engine.barbican().rekeyInternal(config));
    assertTrue(Engine.of(t.engine).state.nodes.get(1).svmKek(svm) == null,
        "a rebooted node stays keyless until restore");
    assertEquals(2, Engine.of(t.engine).state.nodes.get(0).svmKek(svm).generation);
  }

  @Test
  void rekey_withNoVolumes_succeedsWithNothingToDo() {
    setUp(0);
    Job job = t.succeed(t.engine.barbican().rekeyInternal(config));
    assertEquals(0, generation());
    assertEquals("success", job.message());
  }

  @Test
  void rekey_unknownConfiguration_fails65539832_inactive_fails65539817() {
    setUp(0);
    Expect.error(ErrorCode.CONFIG_NOT_FOUND, "uuid", () -> t.engine.barbican().rekeyInternal(UUID.randomUUID()));
    UUID inactive = t.createConfig("svm1", "other", KEY_1);
    Expect.error(ErrorCode.NOT_CONFIGURED, "uuid", () -> t.engine.barbican().rekeyInternal(inactive));
    Expect.error(ErrorCode.NOT_CONFIGURED, "uuid", () -> t.engine.barbican().restore(inactive));
  }

  private void forceState(KeystoreState state) {
    Engine.of(t.engine).state.db.commit(
        new WriteBatch().put(Buckets.SVM_KEYS, svm, Engine.of(t.engine).state.keyState(svm).withState(state).encode()));
  }

  @Test
  void rekey_whileInitializing_fails65539436_whileDisabling_fails65539437() {
    setUp(1);
    forceState(KeystoreState.INITIALIZING);
    Expect.failedJob(ErrorCode.REKEY_WHILE_INITIALIZING, t.await(t.engine.barbican().rekeyInternal(config)));
    forceState(KeystoreState.DISABLING);
    Expect.failedJob(ErrorCode.REKEY_WHILE_DISABLING, t.await(t.engine.barbican().rekeyInternal(config)));
    forceState(KeystoreState.SWITCHING);
    Expect.failedJob(ErrorCode.REKEY_WHILE_SWITCHING, t.await(t.engine.barbican().rekeyInternal(config)));
    forceState(KeystoreState.BLOCKED);
    Expect.failedJob(ErrorCode.KEYSTORE_BLOCKED, t.await(t.engine.barbican().rekeyInternal(config)));
  }

  private void assertRolledBack(long generation, Map<UUID, byte[]> blobs) {
    assertEquals(generation, generation());
    assertEquals(List.of(Buckets.veks(svm, generation)), Engine.of(t.engine).state.db.buckets(Buckets.vekPrefix(svm)),
        "the staged generation was dropped");
    blobs.forEach((v, b) -> assertArrayEquals(b, blob(v)));
  }

  @Test
  void rekey_tamperedVekBlob_fails65536884_andLeavesTheOldGenerationCurrentAndComplete() {
    List<UUID> ids = setUp(10);
    Map<UUID, byte[]> before = new HashMap<>();
    ids.forEach(v -> before.put(v, blob(v)));
    byte[] bad = blob(ids.get(5)).clone();
    bad[30] ^= 0x01;
    putBlob(ids.get(5), bad);
    before.put(ids.get(5), bad);
    Job job = Expect.failedJob(ErrorCode.VEK_INVALID, t.await(t.engine.barbican().rekeyInternal(config)));
    assertTrue(job.message().contains(ids.get(5).toString()), "names the volume");
    assertRolledBack(1, before);
    assertEquals(KeystoreState.ACTIVE, t.engine.barbican().keystore(config).orElseThrow().state());
  }

  @Test
  void rekey_blobMovedToAnotherVolume_fails65536884() {
    List<UUID> ids = setUp(3);
    Map<UUID, byte[]> before = new HashMap<>();
    putBlob(ids.get(1), blob(ids.get(0)));
    ids.forEach(v -> before.put(v, blob(v)));
    Expect.failedJob(ErrorCode.VEK_INVALID, t.await(t.engine.barbican().rekeyInternal(config)));
    assertRolledBack(1, before);
  }

  @Test
  void rekey_blobFromAnotherSvm_fails65536884() {
    List<UUID> ids = setUp(1);
    t.enabledConfig("svm2", "c2", KEY_1);
    UUID other = t.volume("svm2", "o");
    UUID svm2 = t.svmUuid("svm2");
    putBlob(ids.get(0), Engine.of(t.engine).state.db.get(Buckets.veks(svm2, 1), other));
    Expect.failedJob(ErrorCode.VEK_INVALID, t.await(t.engine.barbican().rekeyInternal(config)));
  }

  @Test
  void rekey_truncatedBlob_fails65536889() {
    List<UUID> ids = setUp(3);
    putBlob(ids.get(2), java.util.Arrays.copyOf(blob(ids.get(2)), 40));
    Expect.failedJob(ErrorCode.INVALID_ENCRYPTION_BLOB, t.await(t.engine.barbican().rekeyInternal(config)));
    assertEquals(1, generation());
  }

  @Test
  void rekey_missingBlob_fails65536883() {
    List<UUID> ids = setUp(3);
    assertRekeyFailsWithoutBlobOf(ids.get(1));
  }

  @Test
  void rekey_missingBlobAmongUnencryptedVolumes_stillFails65536883() {
    // With unencrypted volumes the SVM has more volumes than blobs, so the rekey must count the encrypted ones
    // rather than take the all-encrypted shortcut.
    List<UUID> ids = setUp(3);
    t.await(t.engine.cluster().createVolume("svm1", null, "plain1", false)).requireSuccess();
    t.await(t.engine.cluster().createVolume("svm1", null, "plain2", false)).requireSuccess();
    assertRekeyFailsWithoutBlobOf(ids.get(0));
  }

  /** Deletes the VEK blob of {@code volume}: the rekey fails with 65536883 naming it, and nothing changes. */
  private void assertRekeyFailsWithoutBlobOf(UUID volume) {
    Engine.of(t.engine).state.db.commit(new WriteBatch().delete(Buckets.veks(svm, 1), volume));
    Job job = Expect.failedJob(ErrorCode.VEK_MISSING, t.await(t.engine.barbican().rekeyInternal(config)));
    assertTrue(job.message().contains(volume.toString()));
    assertEquals(1, generation());
  }

  @Test
  void rekey_unencryptedVolumesAlongside_rewrapsEveryBlob() {
    List<UUID> ids = setUp(3);
    t.await(t.engine.cluster().createVolume("svm1", null, "plain1", false)).requireSuccess();
    t.await(t.engine.barbican().rekeyInternal(config)).requireSuccess();
    assertEquals(2, generation());
    assertEquals(3, Engine.of(t.engine).state.db.count(Buckets.veks(svm, 2)));
    for (UUID id : ids) {
      assertTrue(blob(id) != null, "blob of " + id);
    }
  }

  @Test
  void rekey_tamperedSvmKekBlob_withNoNodeHoldingTheKey_fails65537533_andBlocks() {
    setUp(2);
    SvmKeyState ks = Engine.of(t.engine).state.keyState(svm);
    byte[] bad = ks.wrappedKeks().get(config).clone();
    bad[20] ^= 0x40;
    Engine.of(t.engine).state.db.commit(new WriteBatch().put(Buckets.SVM_KEYS, svm, new SvmKeyState(svm, ks.enabled(),
        ks.state(), null, ks.generation(), Map.of(config, bad)).encode()));
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    Expect.failedJob(ErrorCode.SVM_KEK_UNWRAP_FAILED, t.await(t.engine.barbican().rekeyInternal(config)));
    assertEquals(1, generation());
    assertEquals(KeystoreState.BLOCKED, t.engine.barbican().keystore(config).orElseThrow().state());
  }

  @Test
  void rekey_barbicanUnreachable_fails65539801_andChangesNothing() {
    List<UUID> ids = setUp(4);
    Map<UUID, byte[]> before = new HashMap<>();
    ids.forEach(v -> before.put(v, blob(v)));
    t.engine.cluster().nodes().forEach(n -> t.provider.cutOff(n.name(), true));
    Expect.failedJob(ErrorCode.UNREACHABLE, t.await(t.engine.barbican().rekeyInternal(config)));
    assertRolledBack(1, before);
    assertEquals(KeystoreState.ACTIVE, t.engine.barbican().keystore(config).orElseThrow().state());
  }

  @Test
  void rekey_keyDeletedInBarbican_fails65539834() {
    setUp(1);
    t.provider.deleteKey(KEY_1);
    Expect.failedJob(ErrorCode.KEY_ID_NOT_FOUND, t.await(t.engine.barbican().rekeyInternal(config)));
    assertEquals(1, generation());
  }
}
