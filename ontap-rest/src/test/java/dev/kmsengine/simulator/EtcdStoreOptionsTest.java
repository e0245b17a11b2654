package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --cluster-db etcd:...} and its companions: defaults, what is parsed, what is refused and how. */
class EtcdStoreOptionsTest {
  private static SimulatorOptions parse(String... args) throws UsageException {
    return SimulatorOptions.parse(args);
  }

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> SimulatorOptions.parse(args)).getMessage();
  }

  @Test
  void withoutClusterDb_theStoreIsTheDefaultOne() throws Exception {
    assertNull(parse().etcd());
    assertNull(parse("--data-dir", "d").etcd());
  }

  @Test
  void clusterDb_withDataDir_defaultsTheNamespaceToTheClusterName_andTheKeyFileToTheDataDir() throws Exception {
    EtcdStoreOptions e = parse("--cluster-db", "etcd:http://127.0.0.1:2379,http://10.0.0.2:2379", "--data-dir", "d")
        .etcd();
    assertEquals(List.of(URI.create("http://127.0.0.1:2379"), URI.create("http://10.0.0.2:2379")), e.endpoints());
    assertEquals("/kms-engine/cluster1/", e.namespace());
    assertEquals(Path.of("d", "etcd.config-protection-key"), e.keyFile());
    assertEquals(Duration.ofSeconds(15), e.timeout());
  }

  @Test
  void companions_areParsed() throws Exception {
    EtcdStoreOptions e = parse("--cluster-db", "etcd:http://h:1", "--etcd-namespace", "/mine/",
        "--config-protection-key", "k", "--etcd-timeout", "3").etcd();
    assertEquals("/mine/", e.namespace());
    assertEquals(Path.of("k"), e.keyFile());
    assertEquals(Duration.ofSeconds(3), e.timeout());
    assertTrue(parse("--cluster-db", "etcd:http://h:1", "--config-protection-key", "k").toString()
        .contains("etcd:http://h:1"));
  }

  @Test
  void clusterDb_withNeitherKeyFileNorDataDir_isRefused_sayingWhichOptionToAdd() {
    String m = refused("--cluster-db", "etcd:http://127.0.0.1:2379");
    assertTrue(m.contains("--config-protection-key FILE, or --data-dir DIR"), m);
    assertTrue(m.contains("never kept in etcd"), m);
  }

  @Test
  void clusterDb_thatIsNotEtcd_isRefused() {
    assertTrue(refused("--cluster-db", "mvstore:x", "--data-dir", "d").contains("must be etcd:URL[,URL...]"));
  }

  @Test
  void endpoints_thatAreNotHttpHostPort_areRefusedNamingTheUrl() {
    for (String bad : List.of("etcd:", "etcd:http://h:1,", "etcd:h:2379", "etcd:https://h:2379", "etcd:http://h",
        "etcd:http://h:1/path", "etcd:http://u@h:1", "etcd:http://h:1?x")) {
      String m = refused("--cluster-db", bad, "--data-dir", "d");
      assertTrue(m.startsWith("--cluster-db"), bad + ": " + m);
    }
    assertTrue(refused("--cluster-db", "etcd:https://h:2379", "--data-dir", "d").contains("\"https://h:2379\""));
  }

  @Test
  void namespace_mustStartAndEndWithASlash() {
    for (String bad : List.of("kms/", "/kms", "/", "")) {
      String m = refused("--cluster-db", "etcd:http://h:1", "--data-dir", "d", "--etcd-namespace", bad);
      assertTrue(m.contains("--etcd-namespace"), bad + ": " + m);
    }
  }

  @Test
  void companions_withoutClusterDb_areRefused() {
    assertTrue(refused("--etcd-namespace", "/x/").contains("goes with --cluster-db"));
    assertTrue(refused("--config-protection-key", "k").contains("--config-protection-key goes with"));
    assertTrue(refused("--etcd-timeout", "3").contains("--etcd-timeout goes with"));
    assertTrue(refused("--cluster-db", "etcd:http://h:1", "--data-dir", "d", "--etcd-timeout", "0")
        .contains("--etcd-timeout"));
  }
}
