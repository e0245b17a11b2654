package dev.kmsengine.internal.crypto;

/**
 * What a wrapped key is; part of both the blob header and the associated data, so roles cannot be swapped.
 *
 * <p>Immutable; thread-safe.
 */
public enum KeyRole {
  /** An SVM key-encryption key, wrapped by the top-level KEK from Barbican. */
  SVM_KEK((byte) 0x01),
  /** A volume encryption key, wrapped by its SVM's KEK. */
  VEK((byte) 0x02);

  private final byte id;

  KeyRole(byte id) {
    this.id = id;
  }

  /**
   * The frozen one-byte encoding.
   *
   * @return the byte that marks this role in blobs and associated data
   */
  public byte id() {
    return id;
  }

}
