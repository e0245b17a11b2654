package dev.kmsengine.internal.engine;

import java.util.UUID;

/**
 * A volume. {@code keyId} is a random non-secret identifier of its VEK ({@code encryption.key_id}), fixed for
 * the VEK's life (a rekey rewraps the VEK, it does not change it).
 *
 * <p>Immutable; thread-safe.
 */
public record VolumeRecord(UUID uuid, UUID svm, String name, boolean encrypted, String keyId) {
  public byte[] encode() {
    return RecordCodec.write(out -> {
      out.writeUTF(name);
      out.writeBoolean(encrypted);
      out.writeUTF(keyId);
    });
  }

  /**
   * Reads only the encrypted flag, without decoding the record: a rekey checks a million volumes this way.
   * Layout: version byte, name as modified UTF-8 (2-byte length + bytes), encrypted flag.
   */
  static boolean isEncrypted(byte[] b) {
    return isEncrypted(b, 0);
  }

  /** {@link #isEncrypted(byte[])} of a record that starts at {@code offset} in {@code b}. */
  static boolean isEncrypted(byte[] b, int offset) {
    int nameLength = ((b[offset + 1] & 0xff) << 8) | (b[offset + 2] & 0xff);
    return b[offset + 3 + nameLength] != 0;
  }

  static VolumeRecord decode(UUID svm, UUID uuid, byte[] b) {
    return RecordCodec.read(b, in -> new VolumeRecord(uuid, svm, in.readUTF(), in.readBoolean(), in.readUTF()));
  }
}
