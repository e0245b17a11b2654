package dev.kmsengine.benchmarks.crypto;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.internal.crypto.WrappingKey;
import java.security.GeneralSecurityException;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The inputs of a rewrap benchmark, built once: an SVM, its old and new SVM-KEK, and {@value #COUNT} volumes whose
 * VEKs are wrapped under the old SVM-KEK by the engine itself, with each binding's associated data precomputed
 * for the baselines. Cycling through more keys than fit in L1 keeps the JIT from specialising on one input.
 */
final class VekBlobs {
  /** A power of two, so that {@code i & MASK} indexes the inputs. */
  static final int COUNT = 4096;
  static final int MASK = COUNT - 1;

  final UUID svm;
  final KeyMaterial oldKek;
  final KeyMaterial newKek;
  final long oldGeneration;
  final long newGeneration;
  final long[] volumeMsb;
  final long[] volumeLsb;
  final byte[][] oldBlobs;
  final byte[][] oldAad;
  final byte[][] newAad = new byte[COUNT][];

  VekBlobs(long seed) throws GeneralSecurityException {
    SplittableRandom random = new SplittableRandom(seed);
    svm = new UUID(random.nextLong(), random.nextLong());
    oldKek = KeyMaterial.generate(Randomness.secureRandom());
    newKek = KeyMaterial.generate(Randomness.secureRandom());
    oldGeneration = 7;
    newGeneration = 8;
    volumeMsb = new long[COUNT];
    volumeLsb = new long[COUNT];
    oldBlobs = new byte[COUNT][];
    oldAad = new byte[COUNT][];
    try (WrappingKey old = WrappingKey.of(oldKek)) {
      for (int i = 0; i < COUNT; i++) {
        UUID volume = new UUID(random.nextLong(), random.nextLong());
        volumeMsb[i] = volume.getMostSignificantBits();
        volumeLsb[i] = volume.getLeastSignificantBits();
        KeyBinding oldBinding = KeyBinding.vek(svm, volume, oldGeneration);
        try (KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
          oldBlobs[i] = old.wrap(vek, oldBinding);
        }
        oldAad[i] = oldBinding.encode();
        newAad[i] = KeyBinding.vek(svm, volume, newGeneration).encode();
      }
    }
  }

  /** The next rekey's inputs: {@code rewrapped} (blobs under this new SVM-KEK) to rewrap under a fresh one. */
  private VekBlobs(VekBlobs previous, byte[][] rewrapped) {
    svm = previous.svm;
    oldKek = previous.newKek;
    newKek = KeyMaterial.generate(Randomness.secureRandom());
    oldGeneration = previous.newGeneration;
    newGeneration = oldGeneration + 1;
    volumeMsb = previous.volumeMsb;
    volumeLsb = previous.volumeLsb;
    oldBlobs = rewrapped;
    oldAad = previous.newAad;
    for (int i = 0; i < COUNT; i++) {
      newAad[i] = newBinding(i).encode();
    }
  }

  /**
   * The inputs of the rekey after this one.
   *
   * @param rewrapped {@value #COUNT} blobs, input {@code i} rewrapped under {@link #newKek}
   */
  VekBlobs next(byte[][] rewrapped) {
    return new VekBlobs(this, rewrapped);
  }

  /** The binding of input {@code i} under the new SVM-KEK. */
  KeyBinding newBinding(int i) {
    return KeyBinding.vek(svm, new UUID(volumeMsb[i], volumeLsb[i]), newGeneration);
  }

  /** The binding of input {@code i} under the old SVM-KEK. */
  KeyBinding oldBinding(int i) {
    return KeyBinding.vek(svm, new UUID(volumeMsb[i], volumeLsb[i]), oldGeneration);
  }
}
