package dev.kmsengine.benchmarks.crypto;

import java.security.GeneralSecurityException;

/**
 * One way of rewrapping a VEK blob: open it under the old SVM-KEK, seal the VEK under the new one into
 * {@code out[0..62)}, and with {@code verify} open the result again and compare. One instance per thread.
 */
interface Rewrap {
  void rewrap(VekBlobs in, int i, byte[] out, boolean verify) throws GeneralSecurityException;

  /** The implementations compared by {@link RewrapBenchmark}, by {@code @Param} name. */
  static Rewrap create(String variant, VekBlobs in) throws GeneralSecurityException {
    return switch (variant) {
      case "engine" -> new EngineRewrap(in);
      case "jceReused" -> new JceReusedRewrap(in);
      case "jceNaive" -> new JceNaiveRewrap(in);
      case "accp" -> new JceReusedRewrap(in, Accp.provider());
      case "bouncyCastle" -> new BouncyCastleRewrap(in);
      default -> throw new IllegalArgumentException("unknown variant: " + variant);
    };
  }
}
