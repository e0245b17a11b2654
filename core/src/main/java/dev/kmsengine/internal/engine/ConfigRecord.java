package dev.kmsengine.internal.engine;

import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.ConfigProtectionKey;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.UUID;

/**
 * A Barbican configuration with its secrets. Never leaves the engine.
 *
 * <h2>Encoding, version 2</h2>
 * Version byte 2; the sealed secrets as a 2-byte length and the {@link ConfigProtectionKey} value (plaintext:
 * the application credential secret and the proxy password as modified UTF-8, zero-padded to a multiple of
 * {@value #SECRET_PADDING} bytes; associated data {@code "KMSE-CFG" ‖ 0x02 ‖ config uuid}, so sealed secrets
 * cannot be moved to another configuration); then the other fields in their version-1 order. Version 1 (the
 * same fields with both secrets in plain text in their places) is still read, so that an older database can be
 * resealed on open.
 */
record ConfigRecord(UUID uuid, String name, UUID svm, String keyId, String keystoneUrl, String appCredId,
    Secret appCredSecret, ProxyType proxyType, String proxyHost, int proxyPort, String proxyUsername,
    Secret proxyPassword, boolean verify, boolean verifyHost, int timeout) {
  /** Sealed secrets are padded to a multiple of this, so their length says little about the secrets'. */
  private static final int SECRET_PADDING = 64;
  private static final byte[] CONFIG_AAD_MAGIC = {'K', 'M', 'S', 'E', '-', 'C', 'F', 'G'};

  BarbicanConnection connection() {
    return new BarbicanConnection(uuid, keyId, keystoneUrl, appCredId, appCredSecret, proxyType, proxyHost,
        proxyPort, proxyUsername, proxyPassword, verify, verifyHost, timeout);
  }

  byte[] encode(ConfigProtectionKey key) {
    byte[] secrets = RecordCodec.write(RecordCodec.V2, out -> {
      out.writeUTF(appCredSecret.reveal());
      out.writeUTF(proxyPassword.reveal());
    });
    byte[] padded = java.util.Arrays.copyOf(secrets, (secrets.length + SECRET_PADDING - 1) / SECRET_PADDING
        * SECRET_PADDING);
    java.util.Arrays.fill(secrets, (byte) 0);
    byte[] sealed = key.seal(padded, configAad(uuid));
    java.util.Arrays.fill(padded, (byte) 0);
    return RecordCodec.write(RecordCodec.V2, out -> {
      out.writeShort(sealed.length);
      out.write(sealed);
      out.writeUTF(name);
      RecordCodec.writeUuid(out, svm);
      out.writeUTF(keyId);
      out.writeUTF(keystoneUrl);
      out.writeUTF(appCredId);
      out.writeByte(proxyType.ordinal());
      out.writeUTF(proxyHost);
      out.writeInt(proxyPort);
      out.writeUTF(proxyUsername);
      out.writeBoolean(verify);
      out.writeBoolean(verifyHost);
      out.writeInt(timeout);
    });
  }

  /** Whether {@code b} must be resealed: a version-1 record (secrets in plain text) or sealed under a retired key. */
  static boolean needsResealing(byte[] b, ConfigProtectionKey key) {
    return b[0] != RecordCodec.V2 || !key.isCurrent(sealedSecrets(b));
  }

  private static byte[] sealedSecrets(byte[] b) {
    int length = ((b[1] & 0xff) << 8) | (b[2] & 0xff);
    return java.util.Arrays.copyOfRange(b, 3, 3 + length);
  }

  static ConfigRecord decode(UUID uuid, byte[] b, ConfigProtectionKey key) {
    if (b.length > 0 && b[0] == RecordCodec.V1) {
      return RecordCodec.read(b, in -> new ConfigRecord(uuid, in.readUTF(), RecordCodec.readUuid(in), in.readUTF(), in.readUTF(),
          in.readUTF(), Secret.of(in.readUTF()), ProxyType.values()[in.readByte()], in.readUTF(), in.readInt(),
          in.readUTF(), Secret.of(in.readUTF()), in.readBoolean(), in.readBoolean(), in.readInt()));
    }
    return RecordCodec.read(RecordCodec.V2, b, in -> {
      byte[] sealed = new byte[in.readUnsignedShort()];
      in.readFully(sealed);
      byte[] plain = key.open(sealed, configAad(uuid));
      Secret appCredSecret;
      Secret proxyPassword;
      try (DataInputStream secrets = new DataInputStream(new ByteArrayInputStream(plain))) {
        if (secrets.readByte() != RecordCodec.V2) {
          throw new IOException("sealed secrets of an unknown version");
        }
        appCredSecret = Secret.of(secrets.readUTF());
        proxyPassword = Secret.of(secrets.readUTF());
      } finally {
        java.util.Arrays.fill(plain, (byte) 0);
      }
      return new ConfigRecord(uuid, in.readUTF(), RecordCodec.readUuid(in), in.readUTF(), in.readUTF(), in.readUTF(),
          appCredSecret, ProxyType.values()[in.readByte()], in.readUTF(), in.readInt(), in.readUTF(),
          proxyPassword, in.readBoolean(), in.readBoolean(), in.readInt());
    });
  }

  private static byte[] configAad(UUID uuid) {
    return java.nio.ByteBuffer.allocate(CONFIG_AAD_MAGIC.length + 1 + 16).put(CONFIG_AAD_MAGIC).put(RecordCodec.V2)
        .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
  }
}
