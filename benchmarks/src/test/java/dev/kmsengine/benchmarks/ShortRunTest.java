package dev.kmsengine.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;

/**
 * {@code mvn verify} proves every benchmark runs: the short mode, in-process, on tiny inputs. It asserts that each
 * benchmark and parameter combination produced a result, never how fast it was.
 */
class ShortRunTest {
  @Test
  void shortRun_everyBenchmarkAndVariant_producesAResult() throws RunnerException {
    Collection<RunResult> results = new Runner(ShortRun.options(/* forks= */ 0, null)).run();

    Set<String> ran = new TreeSet<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.(\\w+Benchmark\\.\\w+)$", "$1");
      String variant = r.getParams().getParam("variant");
      String nodes = r.getParams().getParam("nodes");
      String threads = r.getParams().getParam("threads");
      String store = r.getParams().getParam("store");
      String cache = r.getParams().getParam("cache");
      ran.add(name + (variant != null ? "/" + variant : "") + (nodes != null ? "/nodes=" + nodes : "")
          + (threads != null ? "/threads=" + threads : "") + (store != null ? "/store=" + store : "")
          + (cache != null ? "/cache=" + cache : ""));
      assertTrue(r.getPrimaryResult().getScore() > 0, () -> name + " has no score");
    }
    assertEquals(new TreeSet<>(Set.of(
        "RewrapBenchmark.rewrap/engine", "RewrapBenchmark.rewrap/jceReused", "RewrapBenchmark.rewrap/jceNaive",
        "RewrapBenchmark.rewrap/accp", "RewrapBenchmark.rewrap/bouncyCastle",
        "RewrapBenchmark.rewrapVerified/engine", "RewrapBenchmark.rewrapVerified/jceReused",
        "RewrapBenchmark.rewrapVerified/jceNaive", "RewrapBenchmark.rewrapVerified/accp",
        "RewrapBenchmark.rewrapVerified/bouncyCastle", "RewrapInterleavedBenchmark.rewrapAll",
        "RekeyBenchmark.rekey/threads=1/store=memory", "RekeyBenchmark.rekey/threads=2/store=memory",
        "RekeyBenchmark.rekey/threads=1/store=durable", "RekeyBenchmark.rekey/threads=2/store=durable",
        "RekeyScalingBenchmark.rekeyBoth",
        "FetchContentionBenchmark.fetch/cache=cold", "FetchContentionBenchmark.fetch/cache=warm",
        "RestoreBenchmark.restore/nodes=1", "RestoreBenchmark.restore/nodes=16",
        "StartupBenchmark.start/threads=2")), ran);
  }
}
