package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Secret;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BarbicanConfigUpdateTest {
  private final TestCluster t = new TestCluster();

  @AfterEach
  void close() {
    t.close();
  }

  private static BarbicanConfigUpdate transport(Integer timeout, Boolean verify) {
    return new BarbicanConfigUpdate(null, null, null, null, null, null, null, verify, null, timeout);
  }

  @Test
  void update_unknownConfiguration_fails65539832() {
    Expect.error(ErrorCode.CONFIG_NOT_FOUND, "uuid",
        () -> t.engine.barbican().updateBarbicanConfig(UUID.randomUUID(), transport(20, null)));
  }

  @Test
  void update_idWithoutSecret_fails65539841() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    Expect.error(ErrorCode.CREDENTIALS_INCOMPLETE, "application_cred_secret",
        () -> t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials("other", null)));
    Expect.error(ErrorCode.CREDENTIALS_INCOMPLETE, "application_cred_id",
        () -> t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials(null, Secret.of("s"))));
  }

  @Test
  void update_emptyId_fails65539815_emptySecret_fails65539814() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    Expect.error(ErrorCode.UPDATE_INVALID_CRED_ID, "application_cred_id",
        () -> t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials(" ", Secret.of("s"))));
    Expect.error(ErrorCode.UPDATE_INVALID_CRED_SECRET, "application_cred_secret",
        () -> t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials("id", Secret.empty())));
  }

  @Test
  void update_wrongNewCredentials_fails65539223_andKeepsTheOldOnes() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    Expect.failedJob(ErrorCode.HEALTH_CHECK_FAILED,
        t.await(t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials("app345",
            Secret.of("secret")))));
    assertEquals(TestCluster.CRED_ID, t.engine.barbican().barbicanConfig(c).orElseThrow().applicationCredId());
    t.volume("svm1", "still-works");
  }

  @Test
  void update_validNewCredentials_areCheckedKeptAndInvalidateTheCache() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    t.provider.addCredential("app345", Secret.of("secret-345"));
    long checks = t.provider.checkCount();
    t.succeed(t.engine.barbican().updateBarbicanConfig(c, BarbicanConfigUpdate.credentials("app345",
        Secret.of("secret-345"))));
    assertTrue(t.provider.checkCount() > checks, "new credentials were checked against the provider");
    assertEquals("app345", t.engine.barbican().barbicanConfig(c).orElseThrow().applicationCredId());
    assertTrue(t.provider.wasInvalidated(c));
    // The stored secret is the new one: a fetch with it succeeds (restore goes to the provider on every node).
    t.volume("svm1", "v");
    t.succeed(t.engine.barbican().restore(c));
  }

  @Test
  void update_transportOfInactiveConfiguration_isNotChecked() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    long checks = t.provider.checkCount();
    t.succeed(t.engine.barbican().updateBarbicanConfig(c, transport(42, false)));
    BarbicanConfig after = t.engine.barbican().barbicanConfig(c).orElseThrow();
    assertEquals(42, after.timeoutSeconds());
    assertFalse(after.verify());
    assertEquals(checks, t.provider.checkCount());
  }

  @Test
  void update_transportOfEnabledConfiguration_thatBreaksIt_fails65539223() {
    UUID c = t.enabledConfig("svm1", "c", KEY_1);
    for (var n : t.engine.cluster().nodes()) {
      t.provider.cutOff(n.name(), true);
    }
    Expect.failedJob(ErrorCode.HEALTH_CHECK_FAILED, t.await(t.engine.barbican().updateBarbicanConfig(c, transport(5,
        null))));
    assertEquals(10, t.engine.barbican().barbicanConfig(c).orElseThrow().timeoutSeconds());
  }

  @Test
  void update_badTransportValues_failNamingTheField() {
    UUID c = t.createConfig("svm1", "c", KEY_1);
    Expect.error(ErrorCode.INVALID_FIELD, "timeout", () -> t.engine.barbican().updateBarbicanConfig(c, transport(-1,
        null)));
    Expect.error(ErrorCode.INVALID_FIELD, "proxy_type", () -> t.engine.barbican().updateBarbicanConfig(c,
        new BarbicanConfigUpdate(null, null, "ftp", null, null, null, null, null, null, null)));
    Expect.error(ErrorCode.INVALID_FIELD, "proxy_port", () -> t.engine.barbican().updateBarbicanConfig(c,
        new BarbicanConfigUpdate(null, null, null, "proxy", null, null, null, null, null, null)));
  }
}
