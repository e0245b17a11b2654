package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.internal.crypto.VekRewrapper;
import dev.kmsengine.internal.crypto.WrappingKey;
import java.security.GeneralSecurityException;

/** The engine's own rekey path: {@link VekRewrapper} over two {@link WrappingKey}s, exactly as a rekey uses it. */
final class EngineRewrap implements Rewrap {
  private final VekRewrapper rewrapper;

  EngineRewrap(VekBlobs in) {
    rewrapper = new VekRewrapper(WrappingKey.of(in.oldKek), WrappingKey.of(in.newKek), in.svm,
        in.oldGeneration, in.newGeneration);
  }

  @Override
  public void rewrap(VekBlobs in, int i, byte[] out, boolean verify) throws GeneralSecurityException {
    rewrapper.rewrap(in.oldBlobs[i], in.volumeMsb[i], in.volumeLsb[i], out, 0, verify);
  }
}
