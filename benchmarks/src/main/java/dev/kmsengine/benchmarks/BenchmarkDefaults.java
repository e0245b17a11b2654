package dev.kmsengine.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The harness defaults of every benchmark in this module, in one place. Benchmarks extend this class (JMH's
 * annotations are inherited); command-line options ({@code -f}, {@code -wi}, {@code -i}, ...) still override them.
 *
 * <p>One fork, a 3 GB heap cap (a million-volume SVM and its rekey fit) and few short iterations: the machine
 * this project measures on has 2 cores shared with other work, so ratios between variants measured in one run are
 * what the results table reports, and the run has to fit in the 15-minute budget of
 * {@code benchmarks/run-all.sh}. Eight warm-up seconds, because C2 compiles slowly when the cores are busy.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-XX:+UseG1GC"})
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public abstract class BenchmarkDefaults {
  /**
   * Warm-up shots of a single-shot benchmark (a whole rekey or restore per shot). Why eight: for the first
   * half-dozen 1M-VEK rekeys the JIT compiler and G1's concurrent threads still run beside the job. A 1-thread
   * rekey leaves them the idle core; a 2-thread rekey shares its two cores with them, and with 3 warm-up shots
   * the first measured 2-thread rekeys took up to twice as long as the later ones, their workers' rewrap time
   * doubled.
   */
  public static final int SINGLE_SHOT_WARMUPS = 8;
  /** Measured shots of a single-shot benchmark. */
  public static final int SINGLE_SHOT_MEASUREMENTS = 5;

  /** Benchmarks only. */
  protected BenchmarkDefaults() {}
}
