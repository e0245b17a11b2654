package dev.kmsengine.internal.crypto;

import java.util.Objects;
import java.util.UUID;

/**
 * Where a wrapped key belongs: the associated data that AES-GCM authenticates with it.
 *
 * <p>A blob unwraps only under the binding it was wrapped with, so a VEK blob copied to another volume or SVM,
 * or left over from an older SVM-KEK generation, fails closed instead of yielding a key.
 *
 * <h2>Frozen layout, format version 1 (46 bytes, big-endian)</h2>
 * <pre>
 * offset size field
 *      0    4 ASCII "KMSE"
 *      4    1 format version (0x01)
 *      5    1 key role: 0x01 SVM-KEK, 0x02 VEK
 *      6   16 SVM uuid (most significant long, then least significant long)
 *     22   16 subject uuid: the volume uuid for a VEK, the keystore configuration uuid for an SVM-KEK
 *     38    8 SVM-KEK generation: of the wrapping SVM-KEK for a VEK, of the wrapped SVM-KEK itself for an SVM-KEK
 * </pre>
 *
 * <p>Immutable; thread-safe.
 *
 * @param role what the wrapped key is
 * @param svm the SVM the key belongs to
 * @param subject the volume (for a VEK) or the keystore configuration protecting it (for an SVM-KEK)
 * @param generation the SVM-KEK generation the blob belongs to
 */
public record KeyBinding(KeyRole role, UUID svm, UUID subject, long generation) {
  /** Size of the encoded associated data. */
  public static final int LENGTH = 46;

  private static final byte[] MAGIC = {'K', 'M', 'S', 'E'};

  /**
   * Validates the components.
   *
   * @param role what the wrapped key is
   * @param svm the SVM the key belongs to
   * @param subject the volume (for a VEK) or the keystore configuration protecting it (for an SVM-KEK)
   * @param generation the SVM-KEK generation the blob belongs to
   * @throws IllegalArgumentException if {@code generation} is below 1
   */
  public KeyBinding {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(svm, "svm");
    Objects.requireNonNull(subject, "subject");
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be >= 1: " + generation);
    }
  }

  /**
   * The binding of a volume's VEK wrapped under generation {@code generation} of its SVM-KEK.
   *
   * @param svm the SVM's uuid
   * @param volume the volume's uuid
   * @param generation the SVM-KEK generation the VEK is wrapped under, from 1
   * @return the binding to use as the wrap's associated data
   */
  public static KeyBinding vek(UUID svm, UUID volume, long generation) {
    return new KeyBinding(KeyRole.VEK, svm, volume, generation);
  }

  /**
   * The binding of generation {@code generation} of an SVM-KEK wrapped under a configuration's top-level KEK.
   *
   * @param svm the SVM's uuid
   * @param configuration the uuid of the configuration whose KEK wraps it
   * @param generation the SVM-KEK generation, from 1
   * @return the binding to use as the wrap's associated data
   */
  public static KeyBinding svmKek(UUID svm, UUID configuration, long generation) {
    return new KeyBinding(KeyRole.SVM_KEK, svm, configuration, generation);
  }

  /**
   * The encoded associated data.
   *
   * @return a new {@value #LENGTH}-byte array
   */
  public byte[] encode() {
    byte[] out = new byte[LENGTH];
    writeTo(out);
    return out;
  }

  /** Writes the {@value #LENGTH}-byte encoding into {@code out} at offset 0, allocating nothing. */
  void writeTo(byte[] out) {
    encodeInto(out, role, svm.getMostSignificantBits(), svm.getLeastSignificantBits(),
        subject.getMostSignificantBits(), subject.getLeastSignificantBits(), generation);
  }

  /**
   * Writes the encoding from its parts. The hot path of a rekey calls this with the parts it already holds, so
   * that rewrapping a million VEKs allocates no {@code KeyBinding} or {@code UUID} per key.
   */
  static void encodeInto(byte[] out, KeyRole role, long svmMsb, long svmLsb, long subjectMsb, long subjectLsb,
      long generation) {
    System.arraycopy(MAGIC, 0, out, 0, 4);
    out[4] = WrappedKeyFormat.VERSION_1;
    out[5] = role.id();
    putLong(out, 6, svmMsb);
    putLong(out, 14, svmLsb);
    putLong(out, 22, subjectMsb);
    putLong(out, 30, subjectLsb);
    putLong(out, 38, generation);
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }
}
