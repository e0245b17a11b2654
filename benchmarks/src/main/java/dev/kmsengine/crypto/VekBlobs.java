package dev.kmsengine.crypto;

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
  static final long OLD_GENERATION = 7;
  static final long NEW_GENERATION = 8;

  final UUID svm;
  final KeyMaterial oldKek;
  final KeyMaterial newKek;
  final long[] volumeMsb = new long[COUNT];
  final long[] volumeLsb = new long[COUNT];
  final byte[][] oldBlobs = new byte[COUNT][];
  final byte[][] oldAad = new byte[COUNT][];
  final byte[][] newAad = new byte[COUNT][];

  VekBlobs(long seed) throws GeneralSecurityException {
    SplittableRandom random = new SplittableRandom(seed);
    svm = new UUID(random.nextLong(), random.nextLong());
    oldKek = KeyMaterial.generate(Randomness.secureRandom());
    newKek = KeyMaterial.generate(Randomness.secureRandom());
    try (WrappingKey old = WrappingKey.of(oldKek)) {
      for (int i = 0; i < COUNT; i++) {
        UUID volume = new UUID(random.nextLong(), random.nextLong());
        volumeMsb[i] = volume.getMostSignificantBits();
        volumeLsb[i] = volume.getLeastSignificantBits();
        KeyBinding oldBinding = KeyBinding.vek(svm, volume, OLD_GENERATION);
        try (KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
          oldBlobs[i] = old.wrap(vek, oldBinding);
        }
        oldAad[i] = oldBinding.encode();
        newAad[i] = KeyBinding.vek(svm, volume, NEW_GENERATION).encode();
      }
    }
  }

  /** The binding of input {@code i} under the new SVM-KEK. */
  KeyBinding newBinding(int i) {
    return KeyBinding.vek(svm, new UUID(volumeMsb[i], volumeLsb[i]), NEW_GENERATION);
  }

  /** The binding of input {@code i} under the old SVM-KEK. */
  KeyBinding oldBinding(int i) {
    return KeyBinding.vek(svm, new UUID(volumeMsb[i], volumeLsb[i]), OLD_GENERATION);
  }
}
