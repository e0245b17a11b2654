package dev.kmsengine.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code java -cp benchmarks/target/benchmarks.jar dev.kmsengine.benchmarks.ShortRun [results.json]}
 *
 * <p>Every benchmark of this module once, on tiny inputs with one short iteration each: proof that they all run
 * (about a minute), not a measurement. {@code ShortRunTest} runs the same options in-process during
 * {@code mvn verify}; {@code benchmarks/run-all.sh --short} runs them in a forked JVM.
 */
public final class ShortRun {
  private ShortRun() {}

  /**
   * The short-mode options.
   *
   * @param forks 0 to run in this JVM (tests), 1 for a fresh JVM
   * @param resultFile where to write JSON results, or null for none
   * @return the JMH options for the short mode
   */
  public static Options options(int forks, String resultFile) {
    OptionsBuilder b = new OptionsBuilder();
    b.include("dev\\.kmsengine\\..*Benchmark")
        .forks(forks)
        .warmupIterations(1)
        .warmupTime(TimeValue.milliseconds(100))
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .timeUnit(TimeUnit.MICROSECONDS)
        .param("volumes", "1000")
        .param("latencyMs", "20")
        .param("callers", "8")
        .shouldFailOnError(true);
    if (resultFile != null) {
      b.resultFormat(ResultFormatType.JSON).result(resultFile);
    }
    return b.build();
  }

  /**
   * Runs the short mode in a forked JVM; the optional argument names the JSON result file.
   *
   * @param args optionally, the JSON result file
   * @throws RunnerException if JMH fails to run a benchmark
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(options(1, args.length > 0 ? args[0] : null)).run();
  }
}
