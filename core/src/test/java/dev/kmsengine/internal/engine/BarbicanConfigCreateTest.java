package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static dev.kmsengine.internal.engine.TestCluster.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.keystore.Secret;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BarbicanConfigCreateTest {
  private final TestCluster t = new TestCluster();

  @AfterEach
  void close() {
    t.close();
  }

  @Test
  void create_minimalRequest_appliesReferenceDefaultsAndIsInactive() {
    UUID uuid = t.createConfig("svm1", "myConfiguration", KEY_1);
    BarbicanConfig c = t.engine.barbican().barbicanConfig(uuid).orElseThrow();
    assertEquals("myConfiguration", c.name());
    assertEquals("svm1", c.svmName());
    assertEquals(t.svmUuid("svm1"), c.svmUuid());
    assertEquals("svm", c.scope());
    assertEquals(10, c.timeoutSeconds());
    assertTrue(c.verify());
    assertTrue(c.verifyHost());
    assertFalse(c.enabled());
    assertEquals(KeystoreState.INACTIVE, c.state());
    assertEquals(ProxyType.HTTPS, c.proxyType());
    assertEquals("", c.proxyHost());
    assertEquals(0, c.proxyPort());
    assertEquals("", c.proxyUsername());
    assertEquals(uuid, t.engine.barbican().keystore(uuid).orElseThrow().uuid(),
        "uuid is the keystore configuration uuid");
  }

  @Test
  void create_allOptionalFields_areKept() {
    UUID uuid = t.succeed(t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).proxyType("http")
        .proxyHost("proxy.test").proxyPort(3128).proxyUsername("u").proxyPassword(Secret.of("pw-canary"))
        .verify(false).verifyHost(false).timeoutSeconds(30).build())).resourceUuid();
    BarbicanConfig c = t.engine.barbican().barbicanConfig(uuid).orElseThrow();
    assertEquals(ProxyType.HTTP, c.proxyType());
    assertEquals("proxy.test", c.proxyHost());
    assertEquals(3128, c.proxyPort());
    assertEquals("u", c.proxyUsername());
    assertFalse(c.verify());
    assertFalse(c.verifyHost());
    assertEquals(30, c.timeoutSeconds());
    assertFalse(c.toString().contains("pw-canary"));
  }

  @Test
  void create_keyIdWithTrailingSlash_isAcceptedAndFetchesTheSameKey() {
    UUID uuid = t.createConfig("svm1", "slash", KEY_1 + "/");
    t.succeed(t.engine.barbican().enableKeystore(uuid));
    t.volume("svm1", "v1");
    assertEquals(KEY_1 + "/", t.engine.barbican().barbicanConfig(uuid).orElseThrow().keyId());
  }

  @Test
  void create_severalConfigurationsPerSvm_areAllInactive() {
    t.createConfig("svm1", "a", KEY_1);
    t.createConfig("svm1", "b", KEY_1);
    t.createConfig("svm2", "a", KEY_1);
    assertEquals(3, t.engine.barbican().barbicanConfigs().size());
    assertTrue(t.engine.barbican().keystores().stream().noneMatch(k -> k.enabled()));
  }

  @Test
  void create_unlicensedCluster_fails1115127() {
    try (TestCluster u = new TestCluster(KmsEngine.builder(
        ClusterSpec.builder("c").licenses(Set.of()).dataSvms("svm1").build()))) {
      Expect.error(ErrorCode.NOT_LICENSED, "", () -> u.engine.barbican().createBarbicanConfig(request("svm1", "c",
          KEY_1).build()));
    }
  }

  @Test
  void create_clusterBelow917_fails65539806() {
    try (TestCluster u = new TestCluster(KmsEngine.builder(
        ClusterSpec.builder("c").version("9.16.1").dataSvms("svm1").build()))) {
      Expect.error(ErrorCode.CLUSTER_VERSION_TOO_LOW, "",
          () -> u.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).build()));
    }
  }

  @Test
  void create_metroCluster_fails65539809() {
    try (TestCluster u = new TestCluster(KmsEngine.builder(
        ClusterSpec.builder("c").metroCluster(true).dataSvms("svm1").build()))) {
      Expect.error(ErrorCode.METROCLUSTER_NOT_SUPPORTED, "",
          () -> u.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).build()));
    }
  }

  @Test
  void create_clusterChecksComeBeforeFieldChecks() {
    try (TestCluster u = new TestCluster(KmsEngine.builder(
        ClusterSpec.builder("c").licenses(Set.of()).metroCluster(true).dataSvms("svm1").build()))) {
      Expect.error(ErrorCode.NOT_LICENSED, "", () -> u.engine.barbican().createBarbicanConfig(BarbicanConfigRequest.builder().build()));
    }
  }

  @Test
  void create_adminSvm_fails65539807() {
    Expect.error(ErrorCode.ADMIN_SVM_NOT_SUPPORTED, "svm.name",
        () -> t.engine.barbican().createBarbicanConfig(request("cluster1", "c", KEY_1).build()));
  }

  @Test
  void create_noSvm_failsNamingSvmName() {
    Expect.error(ErrorCode.INVALID_FIELD, "svm.name",
        () -> t.engine.barbican().createBarbicanConfig(request(null, "c", KEY_1).build()));
  }

  @Test
  void create_unknownSvm_failsNamingTheField() {
    Expect.error(ErrorCode.SVM_NOT_FOUND, "svm.name",
        () -> t.engine.barbican().createBarbicanConfig(request("nope", "c", KEY_1).build()));
    Expect.error(ErrorCode.SVM_NOT_FOUND, "svm.uuid",
        () -> t.engine.barbican().createBarbicanConfig(request(null, "c", KEY_1).svmUuid(UUID.randomUUID()).build()));
  }

  @Test
  void create_svmNameAndUuidDisagree_fails() {
    Expect.error(ErrorCode.SVM_NOT_FOUND, "svm.uuid", () -> t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).svmUuid(t.svmUuid("svm2")).build()));
  }

  @Test
  void create_bySvmUuid_works() {
    UUID c = t.succeed(t.engine.barbican().createBarbicanConfig(
        request(null, "c", KEY_1).svmUuid(t.svmUuid("svm2")).build())).resourceUuid();
    assertEquals("svm2", t.engine.barbican().barbicanConfig(c).orElseThrow().svmName());
  }

  @Test
  void create_missingConfigurationName_failsNamingIt() {
    Expect.error(ErrorCode.INVALID_FIELD, "configuration.name",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", " ", KEY_1).build()));
  }

  @Test
  void create_duplicateNameInSameSvm_fails65539808_butOtherSvmIsFine() {
    t.createConfig("svm1", "dup", KEY_1);
    Expect.error(ErrorCode.DUPLICATE_CONFIG_NAME, "configuration.name",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "dup", KEY_1).build()));
    t.createConfig("svm2", "dup", KEY_1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://barbican.test/v1/secrets/x", "ftp://x/y", "barbican.test/v1/secrets/x", "https://",
      "https:///path", "", "https://user:pw@host/x", "ht tps://x"})
  void create_keyIdNotHttps_fails65539810(String keyId) {
    Expect.error(ErrorCode.INVALID_KEY_ID, "key_id",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", keyId).build()));
  }

  @Test
  void create_keyIdAbsent_fails65539810() {
    Expect.error(ErrorCode.INVALID_KEY_ID, "key_id",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", null).build()));
  }

  @Test
  void create_keystoneUrlNotHttps_fails65539811() {
    Expect.error(ErrorCode.INVALID_KEYSTONE_URL, "keystone_url", () -> t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).keystoneUrl("http://keystone.test:5000/v3").build()));
    Expect.error(ErrorCode.INVALID_KEYSTONE_URL, "keystone_url", () -> t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).keystoneUrl(null).build()));
  }

  @Test
  void create_keystoneUrlWithoutAuthTokens_isAccepted() {
    t.succeed(t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).keystoneUrl("https://keystone.test:5000/v3").build()));
  }

  @Test
  void create_emptyCredentialId_fails65539835() {
    Expect.error(ErrorCode.CREATE_EMPTY_CRED_ID, "application_cred_id",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).applicationCredId("").build()));
    Expect.error(ErrorCode.CREATE_EMPTY_CRED_ID, "application_cred_id",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).applicationCredId(null).build()));
  }

  @Test
  void create_missingSecret_fails65539805() {
    Expect.error(ErrorCode.CREATE_INVALID_CRED_SECRET, "application_cred_secret",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c",
            KEY_1).applicationCredSecret(null).build()));
    Expect.error(ErrorCode.CREATE_INVALID_CRED_SECRET, "application_cred_secret",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c",
            KEY_1).applicationCredSecret(Secret.of("  ")).build()));
  }

  @Test
  void create_fieldsAreCheckedInRequestOrder() {
    // Everything is wrong: the first field a user would fix is the key id, after the SVM and the name.
    Expect.error(ErrorCode.INVALID_KEY_ID, "key_id", () -> t.engine.barbican().createBarbicanConfig(BarbicanConfigRequest
        .builder().svmName("svm1").configurationName("c").keyId("http://x").keystoneUrl("http://y").build()));
  }

  @Test
  void create_badProxyType_fails() {
    Expect.error(ErrorCode.INVALID_FIELD, "proxy_type",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).proxyType("socks").build()));
  }

  @Test
  void create_badProxyPort_fails() {
    Expect.error(ErrorCode.INVALID_FIELD, "proxy_port", () -> t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).proxyHost("p").proxyPort(70000).build()));
    Expect.error(ErrorCode.INVALID_FIELD, "proxy_port", () -> t.engine.barbican().createBarbicanConfig(
        request("svm1", "c", KEY_1).proxyHost("p").build()));
  }

  @Test
  void create_timeoutOutOfRange_fails() {
    Expect.error(ErrorCode.INVALID_FIELD, "timeout",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).timeoutSeconds(0).build()));
    Expect.error(ErrorCode.INVALID_FIELD, "timeout",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", KEY_1).timeoutSeconds(601).build()));
  }

  @Test
  void create_failedValidation_storesNothing() {
    Expect.error(ErrorCode.INVALID_KEY_ID, "key_id",
        () -> t.engine.barbican().createBarbicanConfig(request("svm1", "c", "http://x").build()));
    assertTrue(t.engine.barbican().barbicanConfigs().isEmpty());
  }
}
