package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code --node}, {@code --lease-ttl} and {@code --advertise-host}, the options of one process per node: they go
 * with {@code --cluster-db etcd:...} only, and name nodes the cluster has.
 */
class NodeOptionsTest {
  private static final String ETCD = "etcd:http://127.0.0.1:2379";

  private static SimulatorOptions parse(String... args) throws UsageException {
    return SimulatorOptions.parse(args);
  }

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> SimulatorOptions.parse(args)).getMessage();
  }

  @Test
  void withoutNode_theProcessHostsEveryNode_andTheLeaseLivesTenSeconds() throws Exception {
    SimulatorOptions o = parse("--cluster-db", ETCD, "--data-dir", "d");
    assertEquals(Set.of(), o.localNodes());
    assertEquals(Duration.ofSeconds(10), o.etcd().leaseTtl());
    assertNull(o.advertiseHost());
    assertEquals(Set.of(), parse().localNodes(), "without --cluster-db too");
  }

  @Test
  void node_isRepeatable_inTheOrderGiven_andTheLeaseTtlIsParsed() throws Exception {
    SimulatorOptions o = parse("--cluster-db", ETCD, "--data-dir", "d", "--node", "node3", "--node", "node1",
        "--lease-ttl", "3", "--advertise-host", "host-a.example");
    assertEquals(List.of("node3", "node1"), List.copyOf(o.localNodes()));
    assertEquals(Duration.ofSeconds(3), o.etcd().leaseTtl());
    assertEquals("host-a.example", o.advertiseHost());
    assertTrue(o.toString().contains("localNodes=[node3, node1]"), o::toString);
  }

  @Test
  void node_withoutClusterDb_isAUsageError_sayingWhy() {
    String m = refused("--node", "node1");
    assertTrue(m.startsWith("--node goes with --cluster-db etcd:URL[,URL...]") && m.contains("other processes"), m);
    assertEquals("--lease-ttl goes with --cluster-db etcd:URL[,URL...].", refused("--lease-ttl", "3"));
  }

  @Test
  void aNodeTheClusterDoesNotHave_isRefused_namingTheNodesItHas() {
    String m = refused("--cluster-db", ETCD, "--data-dir", "d", "--nodes", "2", "--node", "node3");
    assertEquals("--node \"node3\" is not a node of the cluster (node1, node2; --nodes sets how many).", m);
    assertTrue(refused("--cluster-db", ETCD, "--data-dir", "d", "--node").contains("needs a value"));
  }

  @Test
  void leaseTtl_isBounded_becauseTheStoreNeedsAtLeastTwoSeconds() {
    assertEquals("--lease-ttl must be an integer in 2..3600, not \"1\".",
        refused("--cluster-db", ETCD, "--data-dir", "d", "--lease-ttl", "1"));
  }

  @Test
  void advertiseHost_mustBeAHost() {
    assertTrue(refused("--advertise-host", " h").startsWith("--advertise-host must be a host name or address"));
  }

  @Test
  void usage_listsTheNewOptions() {
    String usage = refused("--help");
    for (String option : List.of("--node NAME", "--lease-ttl S", "--advertise-host HOST")) {
      assertTrue(usage.contains("  " + option + " "), option);
    }
  }
}
