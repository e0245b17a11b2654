package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.benchmarks.BenchmarkDefaults;
import dev.kmsengine.internal.crypto.VekRewrapper;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import java.security.GeneralSecurityException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code java -jar benchmarks/target/benchmarks.jar RewrapBenchmark -prof gc -rf json -rff rewrap.json}
 *
 * <p>One VEK rewrap, the unit of work of a rekey: open a 62-byte blob under the old SVM-KEK, seal the VEK under
 * the new one with a fresh nonce ({@link #rewrap}), and optionally open the new blob again and compare
 * ({@link #rewrapVerified}, what a rekey does). {@code variant} picks the implementation: {@code engine} is
 * {@link VekRewrapper}, the code a rekey runs; {@code jceReused} and {@code jceNaive} are plain-JCE baselines
 * written here ({@link JceReusedRewrap}, {@link JceNaiveRewrap}); {@code accp} is {@link JceReusedRewrap} over
 * Amazon Corretto Crypto Provider's native AES-GCM ({@link Accp}); {@code bouncyCastle} is BouncyCastle's
 * lightweight GCM with its key schedule kept ({@link BouncyCastleRewrap}). All of them read the same blobs and
 * produce the same format; {@code RewrapVariantsTest} proves each output unwraps with the engine and that every
 * variant opens every other's blobs.
 *
 * <p>On JDK 22 and later, add {@code -jvmArgsAppend --enable-native-access=ALL-UNNAMED} to silence the JVM's
 * warning about ACCP's native library ({@code benchmarks/run-all.sh} does).
 */
public class RewrapBenchmark extends BenchmarkDefaults {
  /** The blobs every thread rewraps, built once per trial. */
  @State(Scope.Benchmark)
  public static class Blobs {
    VekBlobs in;

    /**
     * Builds the blobs from a fixed seed, so every run reads the same inputs.
     *
     * @throws GeneralSecurityException if the JCE cannot build the keys or blobs
     */
    @Setup(Level.Trial)
    public void build() throws GeneralSecurityException {
      in = new VekBlobs(/* seed= */ 42);
    }
  }

  /** One thread's rewrapper of the chosen variant, its output buffer and its position in the inputs. */
  @State(Scope.Thread)
  public static class Rewrapper {
    /**
     * The implementation measured: {@code engine}, {@code jceReused}, {@code jceNaive}, {@code accp} or
     * {@code bouncyCastle}.
     */
    @Param({"engine", "jceReused", "jceNaive", "accp", "bouncyCastle"})
    public String variant;

    Rewrap rewrap;
    final byte[] out = new byte[WrappedKeyFormat.LENGTH];
    int i;

    /**
     * Creates the rewrapper of {@link #variant} over the shared blobs.
     *
     * @param blobs the blobs the rewrapper reads
     * @throws GeneralSecurityException if the JCE refuses a key or cipher
     */
    @Setup(Level.Trial)
    public void create(Blobs blobs) throws GeneralSecurityException {
      rewrap = Rewrap.create(variant, blobs.in);
    }
  }

  /**
   * Unwrap under the old SVM-KEK, wrap under the new one.
   *
   * @param blobs the shared input blobs
   * @param r this thread's rewrapper
   * @return the new blob, so JMH keeps the work alive
   * @throws GeneralSecurityException if a blob does not open
   */
  @Benchmark
  public byte[] rewrap(Blobs blobs, Rewrapper r) throws GeneralSecurityException {
    r.rewrap.rewrap(blobs.in, r.i++ & VekBlobs.MASK, r.out, false);
    return r.out;
  }

  /**
   * The same, then unwrap the new blob and compare it with the VEK in constant time.
   *
   * @param blobs the shared input blobs
   * @param r this thread's rewrapper
   * @return the new blob, so JMH keeps the work alive
   * @throws GeneralSecurityException if a blob does not open or the new one does not match
   */
  @Benchmark
  public byte[] rewrapVerified(Blobs blobs, Rewrapper r) throws GeneralSecurityException {
    r.rewrap.rewrap(blobs.in, r.i++ & VekBlobs.MASK, r.out, true);
    return r.out;
  }
}
