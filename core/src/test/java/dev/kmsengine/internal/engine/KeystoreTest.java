package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static dev.kmsengine.internal.engine.TestCluster.KEY_2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeystoreTest {
  private final TestCluster t = new TestCluster();

  @AfterEach
  void close() {
    t.close();
  }

  private Map<UUID, byte[]> vekBlobs(UUID svm) {
    Map<UUID, byte[]> out = new HashMap<>();
    long gen = Engine.of(t.engine).state.keyState(svm).generation();
    Engine.of(t.engine).state.db.forEach(Buckets.veks(svm, gen), (k, v) -> out.put(k, v.clone()));
    return out;
  }

  private void cutAll(boolean cut) {
    t.engine.cluster().nodes().forEach(n -> t.provider.cutOff(n.name(), cut));
  }

  @Test
  void enable_firstConfiguration_becomesActiveAfterFetchingTheKek() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    long fetches = t.provider.fetchCount();
    t.succeed(t.engine.barbican().enableKeystore(c));
    Keystore k = t.engine.barbican().keystore(c).orElseThrow();
    assertTrue(k.enabled());
    assertEquals(KeystoreState.ACTIVE, k.state());
    assertEquals("barbican", k.type());
    assertTrue(t.provider.fetchCount() > fetches);
  }

  @Test
  void enable_whenBarbicanIsUnreachable_fails65539801_andStaysInactive() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    cutAll(true);
    Expect.failedJob(ErrorCode.UNREACHABLE, t.await(t.engine.barbican().enableKeystore(c)));
    Keystore k = t.engine.barbican().keystore(c).orElseThrow();
    assertFalse(k.enabled());
    assertEquals(KeystoreState.INACTIVE, k.state());
  }

  @Test
  void enable_withDeletedKey_fails65539834() {
    UUID c = t.createConfig("svm1", "c", KEY_2);
    t.provider.deleteKey(KEY_2);
    Expect.failedJob(ErrorCode.KEY_ID_NOT_FOUND, t.await(t.engine.barbican().enableKeystore(c)));
  }

  @Test
  void enable_wrongSizedKey_fails65539416() {
    t.provider.putKey(KEY_2, new byte[16]);
    UUID c = t.createConfig("svm1", "c", KEY_2);
    Expect.failedJob(ErrorCode.KEY_RESPONSE_UNPARSABLE, t.await(t.engine.barbican().enableKeystore(c)));
  }

  @Test
  void enable_unknownUuid_fails4() {
    Expect.error(ErrorCode.ENTRY_NOT_FOUND, "uuid", () -> t.engine.barbican().enableKeystore(UUID.randomUUID()));
  }

  @Test
  void switch_reprotectsTheSvmKek_withoutTouchingAnyVek() throws Exception {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    UUID v = t.volume("svm1", "v1");
    t.volume("svm1", "v2");
    t.engine.cluster().writeBlock("node1", v, 0, "before switch".getBytes());
    UUID svm = t.svmUuid("svm1");
    Map<UUID, byte[]> before = vekBlobs(svm);
    long generation = Engine.of(t.engine).state.keyState(svm).generation();
    UUID b = t.createConfig("svm1", "b", KEY_2);

    t.succeed(t.engine.barbican().enableKeystore(b));

    assertFalse(t.engine.barbican().keystore(a).orElseThrow().enabled(), "at most one configuration is enabled");
    assertEquals(KeystoreState.INACTIVE, t.engine.barbican().keystore(a).orElseThrow().state());
    assertTrue(t.engine.barbican().keystore(b).orElseThrow().enabled());
    SvmKeyState ks = Engine.of(t.engine).state.keyState(svm);
    assertEquals(generation, ks.generation());
    assertEquals(java.util.Set.of(b), ks.wrappedKeks().keySet());
    Map<UUID, byte[]> after = vekBlobs(svm);
    assertEquals(before.keySet(), after.keySet());
    before.forEach((k, blob) -> assertArrayEquals(blob, after.get(k), "VEK blobs are untouched by a switch"));

    // The SVM-KEK is now protected by KEY_2 only: with KEY_1 gone, every node restores through b.
    t.provider.deleteKey(KEY_1);
    t.engine.cluster().nodes().forEach(n -> t.engine.cluster().rebootNode(n.name()));
    t.succeed(t.engine.barbican().restore(b));
    assertEquals("before switch", new String(t.engine.cluster().readBlock("node4", v, 0)));
  }

  @Test
  void switch_interrupted_staysSwitching_blocksRekeyAndDelete_andCompletesWhenEnabledAgain() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    UUID v = t.volume("svm1", "v1");
    t.engine.cluster().writeBlock("node2", v, 7, "data".getBytes());
    UUID b = t.createConfig("svm1", "b", KEY_2);
    UUID spare = t.createConfig("svm1", "spare", KEY_2);
    cutAll(true);

    Expect.failedJob(ErrorCode.UNREACHABLE, t.await(t.engine.barbican().enableKeystore(b)));

    assertEquals(KeystoreState.SWITCHING, t.engine.barbican().keystore(a).orElseThrow().state());
    assertEquals(KeystoreState.SWITCHING, t.engine.barbican().keystore(b).orElseThrow().state());
    assertTrue(t.engine.barbican().keystore(a).orElseThrow().enabled(),
        "the old configuration stays enabled until the switch completes");
    Expect.failedJob(ErrorCode.REKEY_WHILE_SWITCHING, t.await(t.engine.barbican().rekeyInternal(a)));
    Expect.error(ErrorCode.DELETE_WHILE_SWITCHING, "uuid", () -> t.engine.barbican().deleteKeystore(spare));
    assertArrayEquals("data".getBytes(), t.engine.cluster().readBlock("node3", v, 7), "data stays readable meanwhile");

    cutAll(false);
    t.succeed(t.engine.barbican().enableKeystore(b));
    assertEquals(KeystoreState.ACTIVE, t.engine.barbican().keystore(b).orElseThrow().state());
    assertTrue(t.engine.barbican().keystore(b).orElseThrow().enabled());
    t.succeed(t.engine.barbican().rekeyInternal(b));
    t.engine.barbican().deleteKeystore(spare);
  }

  @Test
  void switch_interrupted_canBeCancelledByEnablingTheOldConfiguration() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    t.volume("svm1", "v1");
    UUID b = t.createConfig("svm1", "b", KEY_2);
    t.provider.deleteKey(KEY_2);
    Expect.failedJob(ErrorCode.KEY_ID_NOT_FOUND, t.await(t.engine.barbican().enableKeystore(b)));
    t.succeed(t.engine.barbican().enableKeystore(a));
    assertEquals(KeystoreState.ACTIVE, t.engine.barbican().keystore(a).orElseThrow().state());
    assertEquals(KeystoreState.INACTIVE, t.engine.barbican().keystore(b).orElseThrow().state());
    t.succeed(t.engine.barbican().rekeyInternal(a));
  }

  @Test
  void switch_beforeAnyVolume_justMovesTheEnabledFlag() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    UUID b = t.createConfig("svm1", "b", KEY_2);
    t.succeed(t.engine.barbican().enableKeystore(b));
    assertFalse(t.engine.barbican().keystore(a).orElseThrow().enabled());
    t.volume("svm1", "v");
    assertEquals(java.util.Set.of(b), Engine.of(t.engine).state.keyState(t.svmUuid("svm1")).wrappedKeks().keySet());
  }

  @Test
  void delete_enabledConfiguration_fails65538905() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    Expect.error(ErrorCode.KEYSTORE_ENABLED, "uuid", () -> t.engine.barbican().deleteKeystore(a));
    assertTrue(t.engine.barbican().keystore(a).isPresent());
  }

  @Test
  void delete_inactiveConfiguration_removesItAndInvalidatesCaches() {
    t.enabledConfig("svm1", "a", KEY_1);
    UUID b = t.createConfig("svm1", "b", KEY_2);
    t.engine.barbican().deleteKeystore(b);
    assertTrue(t.engine.barbican().keystore(b).isEmpty());
    assertTrue(t.provider.wasInvalidated(b));
    Expect.error(ErrorCode.ENTRY_NOT_FOUND, "uuid", () -> t.engine.barbican().deleteKeystore(b));
  }

  @Test
  void disable_withEncryptedVolumes_isRefused() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    t.volume("svm1", "v");
    Expect.failedJob(ErrorCode.RESOURCE_IN_USE, t.await(t.engine.barbican().disableKeystore(a)));
    assertTrue(t.engine.barbican().keystore(a).orElseThrow().enabled());
  }

  @Test
  void disable_afterLastVolumeIsDeleted_dropsTheSvmKekEverywhere() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    UUID v = t.volume("svm1", "v");
    t.succeed(t.engine.cluster().deleteVolume(v));
    t.succeed(t.engine.barbican().disableKeystore(a));
    UUID svm = t.svmUuid("svm1");
    assertFalse(t.engine.barbican().keystore(a).orElseThrow().enabled());
    assertEquals(0, Engine.of(t.engine).state.keyState(svm).generation());
    Engine.of(t.engine).state.nodes.forEach(n -> assertNull(n.svmKek(svm)));
    t.engine.barbican().deleteKeystore(a);
  }

  @Test
  void blocked_keystore_isClearedByEnablingAgainOnceTheKeyIsBack() {
    UUID a = t.enabledConfig("svm1", "a", KEY_1);
    t.volume("svm1", "v");
    t.engine.cluster().nodes().forEach(n -> t.provider.inject(n.name(), KekFailure.KEY_NOT_FOUND));
    Expect.failedJob(ErrorCode.RESTORE_FAILED, t.await(t.engine.barbican().restore(a)));
    assertEquals(KeystoreState.BLOCKED, t.engine.barbican().keystore(a).orElseThrow().state());
    Expect.failedJob(ErrorCode.KEYSTORE_BLOCKED, t.await(t.engine.barbican().rekeyInternal(a)));
    Expect.failedJob(ErrorCode.KEYSTORE_BLOCKED, t.await(t.engine.cluster().createVolume("svm1", null, "v2", true)));
    t.engine.cluster().nodes().forEach(n -> t.provider.inject(n.name(), null));
    t.succeed(t.engine.barbican().enableKeystore(a));
    assertEquals(KeystoreState.ACTIVE, t.engine.barbican().keystore(a).orElseThrow().state());
  }
}
