package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VolumeTest {
  private final TestCluster t = new TestCluster();

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void firstEncryptedVolume_createsTheSvmKek_andInstallsItAndTheVekOnEveryUpNode() {
    t.enabledConfig("svm1", "c", KEY_1);
    UUID svm = t.svmUuid("svm1");
    assertEquals(0, Engine.of(t.engine).state.keyState(svm).generation(), "the SVM-KEK is created lazily");
    t.engine.cluster().setNodeUp("node4", false);
    UUID v = t.volume("svm1", "v1");
    assertEquals(1, Engine.of(t.engine).state.keyState(svm).generation());
    for (Node n : Engine.of(t.engine).state.nodes) {
      assertEquals(n.isUp(), n.svmKek(svm) != null, n.name);
      assertEquals(n.isUp(), n.hasVek(v), n.name);
    }
    VolumeInfo info = t.engine.cluster().volume(v).orElseThrow();
    assertTrue(info.encrypted());
    assertEquals("encrypted", info.encryptionState());
    assertEquals(32, info.keyId().length());
  }

  @Test
  void encryptedVolume_withoutEnabledKeyManager_fails65539836() {
    t.createConfig("svm1", "inactive", KEY_1);
    Expect.error(ErrorCode.NO_KMS_CONFIGURED, "encryption.enabled",
        () -> t.engine.cluster().createVolume("svm1", null, "v", true));
  }

  @Test
  void plainVolume_needsNoKeyManager_andHasNoKey() {
    UUID v = t.succeed(t.engine.cluster().createVolume("svm2", null, "plain", false)).resourceUuid();
    VolumeInfo info = t.engine.cluster().volume(v).orElseThrow();
    assertFalse(info.encrypted());
    assertEquals("", info.keyId());
    assertEquals("none", info.encryptionState());
  }

  @Test
  void duplicateVolumeName_inSameSvm_fails() {
    t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "v");
    Expect.error(ErrorCode.DUPLICATE_ENTRY, "name", () -> t.engine.cluster().createVolume("svm1", null, "v", true));
  }

  @Test
  void deleteVolume_destroysItsVekEverywhere_andItsData() {
    t.enabledConfig("svm1", "c", KEY_1);
    UUID v = t.volume("svm1", "v");
    UUID keep = t.volume("svm1", "keep");
    t.engine.cluster().writeBlock("node1", v, 0, new byte[] {1, 2, 3});
    UUID svm = t.svmUuid("svm1");
    long gen = Engine.of(t.engine).state.keyState(svm).generation();
    t.succeed(t.engine.cluster().deleteVolume(v));
    assertTrue(t.engine.cluster().volume(v).isEmpty());
    assertNull(Engine.of(t.engine).state.db.get(Buckets.veks(svm, gen), v), "the wrapped VEK left the database");
    assertEquals(0, Engine.of(t.engine).state.db.count(VolumeBlocks.bucket(v)));
    Engine.of(t.engine).state.nodes.forEach(n -> assertFalse(n.hasVek(v), n.name));
    assertNotNull(Engine.of(t.engine).state.db.get(Buckets.veks(svm, gen), keep));
    Expect.error(ErrorCode.ENTRY_NOT_FOUND, "uuid", () -> t.engine.cluster().deleteVolume(v));
  }

  @Test
  void rebootedNode_losesItsKeys_andCannotReadUntilRestore() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    UUID v = t.volume("svm1", "v");
    byte[] data = "hello".getBytes();
    t.engine.cluster().writeBlock("node1", v, 3, data);
    t.engine.cluster().rebootNode("node2");
    assertEquals(0, t.engine.cluster().nodes().get(1).veks());
    assertEquals(0, t.engine.cluster().nodes().get(1).svmKeks());
    Expect.error(ErrorCode.VEK_NOT_LOADED, "node", () -> t.engine.cluster().readBlock("node2", v, 3));
    t.succeed(t.engine.barbican().restore(c));
    assertArrayEquals(data, t.engine.cluster().readBlock("node2", v, 3));
  }

  @Test
  void volumeCreatedWhileANodeIsRebooted_reachesThatNodeOnRestore() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "first");
    t.engine.cluster().rebootNode("node3");
    UUID v = t.volume("svm1", "second");
    assertFalse(Engine.of(t.engine).state.nodes.get(2).hasVek(v));
    t.succeed(t.engine.barbican().restore(c));
    assertTrue(Engine.of(t.engine).state.nodes.get(2).hasVek(v));
  }

  @Test
  void encryptedVolume_whenNoNodeHoldsTheSvmKek_failsUntilRestore() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.volume("svm1", "v1");
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    Expect.failedJob(ErrorCode.SVM_KEK_NOT_LOADED, t.await(t.engine.cluster().createVolume("svm1", null, "v2", true)));
    assertTrue(t.engine.cluster().volumes(t.svmUuid("svm1")).stream().noneMatch(v -> v.name().equals("v2")));
    t.succeed(t.engine.barbican().restore(c));
    t.volume("svm1", "v2");
  }

  @Test
  void blocks_areBoundToTheirVolumeAndOffset() {
    t.enabledConfig("svm1", "c", KEY_1);
    UUID a = t.volume("svm1", "a");
    UUID b = t.volume("svm1", "b");
    t.engine.cluster().writeBlock("node1", a, 1, "A1".getBytes());
    // Move a's block 1 to b's block 1 and to a's block 2: neither decrypts.
    byte[] stored = Engine.of(t.engine).state.db.get(VolumeBlocks.bucket(a), new UUID(0, 1));
    Engine.of(t.engine).state.db.commit(new dev.kmsengine.store.WriteBatch().put(VolumeBlocks.bucket(b), new UUID(0,
        1), stored)
        .put(VolumeBlocks.bucket(a), new UUID(0, 2), stored));
    Expect.error(ErrorCode.DECRYPT_FAILED, "", () -> t.engine.cluster().readBlock("node1", b, 1));
    Expect.error(ErrorCode.DECRYPT_FAILED, "", () -> t.engine.cluster().readBlock("node1", a, 2));
    Expect.error(ErrorCode.ENTRY_NOT_FOUND, "block", () -> t.engine.cluster().readBlock("node1", a, 9));
    Expect.error(ErrorCode.INVALID_FIELD, "data",
        () -> t.engine.cluster().writeBlock("node1", a, 0, new byte[VolumeBlocks.MAX_BLOCK + 1]));
  }
}
