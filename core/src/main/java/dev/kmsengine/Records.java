package dev.kmsengine;

import dev.kmsengine.keystore.BarbicanConnection;
import dev.kmsengine.keystore.KeystoreState;
import dev.kmsengine.keystore.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.ConfigProtectionKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The engine's records and their encodings in the cluster database. Every encoding starts with a version byte so
 * that a later format can be read alongside this one.
 *
 * <h2>Buckets</h2>
 * <pre>
 * svms                  svm uuid    -&gt; SvmRecord
 * volumes/{svm}         volume uuid -&gt; VolumeRecord
 * volume-names/{svm}    name key    -&gt; volume uuid (16 bytes)
 * barbican-configs      config uuid -&gt; ConfigRecord (its secrets sealed under the configuration-protection key)
 * svm-keys              svm uuid    -&gt; SvmKeyState (enabled config, keystore state, generation, wrapped SVM-KEKs)
 * veks/{svm}/{gen}      volume uuid -&gt; wrapped VEK blob under SVM-KEK generation gen
 * maintenance           {@link #PURGE_PENDING} -&gt; empty: the file still holds secrets of an earlier format or key
 * </pre>
 * Only the bucket of the current generation is authoritative; a rekey stages the next generation's bucket and
 * makes it current with one small commit of {@code svm-keys}.
 */
final class Records {
  static final String SVMS = "svms";
  static final String CONFIGS = "barbican-configs";
  static final String SVM_KEYS = "svm-keys";
  static final String MAINTENANCE = "maintenance";
  /**
   * Present while the database's files may still hold secrets in a form that is no longer current (plain text
   * from a version-1 configuration record, or sealed under a retired protection key): set in the commit that
   * reseals them, removed once {@link dev.kmsengine.store.ClusterDatabase#purgeHistory()} has rewritten the files,
   * so a crash in between repeats the purge on the next start.
   */
  static final UUID PURGE_PENDING = new UUID(0, 1);
  private static final byte V1 = 1;
  /** Configuration records from this version on carry their secrets sealed. */
  private static final byte V2 = 2;
  /** Sealed secrets are padded to a multiple of this, so their length says little about the secrets'. */
  private static final int SECRET_PADDING = 64;
  private static final byte[] CONFIG_AAD_MAGIC = {'K', 'M', 'S', 'E', '-', 'C', 'F', 'G'};

  private Records() {}

  static String volumes(UUID svm) {
    return "volumes/" + svm;
  }

  /**
   * The name index of an SVM's volumes: name key to volume uuid, committed with the volume record, so a create
   * checks for a duplicate name with one lookup instead of decoding every volume.
   */
  static String volumeNames(UUID svm) {
    return "volume-names/" + svm;
  }

  /** The index key of a volume name (a name-based UUID: the index stores keys, never names). */
  static UUID volumeNameKey(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static byte[] uuidBytes(UUID u) {
    return java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
        .array();
  }

  static String veks(UUID svm, long generation) {
    return "veks/" + svm + "/" + generation;
  }

  static String vekPrefix(UUID svm) {
    return "veks/" + svm + "/";
  }

  /** An SVM. */
  record SvmRecord(UUID uuid, String name, boolean admin) {
    byte[] encode() {
      return write(out -> {
        out.writeUTF(name);
        out.writeBoolean(admin);
      });
    }

    static SvmRecord decode(UUID uuid, byte[] b) {
      return read(b, in -> new SvmRecord(uuid, in.readUTF(), in.readBoolean()));
    }
  }

  /**
   * A volume. {@code keyId} is a random non-secret identifier of its VEK ({@code encryption.key_id}), fixed for
   * the VEK's life (a rekey rewraps the VEK, it does not change it).
   */
  record VolumeRecord(UUID uuid, UUID svm, String name, boolean encrypted, String keyId) {
    byte[] encode() {
      return write(out -> {
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
      return read(b, in -> new VolumeRecord(uuid, svm, in.readUTF(), in.readBoolean(), in.readUTF()));
    }
  }

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

    BarbicanConnection connection() {
      return new BarbicanConnection(uuid, keyId, keystoneUrl, appCredId, appCredSecret, proxyType, proxyHost,
          proxyPort, proxyUsername, proxyPassword, verify, verifyHost, timeout);
    }

    byte[] encode(ConfigProtectionKey key) {
      byte[] secrets = write(V2, out -> {
        out.writeUTF(appCredSecret.reveal());
        out.writeUTF(proxyPassword.reveal());
      });
      byte[] padded = java.util.Arrays.copyOf(secrets, (secrets.length + SECRET_PADDING - 1) / SECRET_PADDING
          * SECRET_PADDING);
      java.util.Arrays.fill(secrets, (byte) 0);
      byte[] sealed = key.seal(padded, configAad(uuid));
      java.util.Arrays.fill(padded, (byte) 0);
      return write(V2, out -> {
        out.writeShort(sealed.length);
        out.write(sealed);
        out.writeUTF(name);
        writeUuid(out, svm);
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
      return b[0] != V2 || !key.isCurrent(sealedSecrets(b));
    }

    private static byte[] sealedSecrets(byte[] b) {
      int length = ((b[1] & 0xff) << 8) | (b[2] & 0xff);
      return java.util.Arrays.copyOfRange(b, 3, 3 + length);
    }

    static ConfigRecord decode(UUID uuid, byte[] b, ConfigProtectionKey key) {
      if (b.length > 0 && b[0] == V1) {
        return read(b, in -> new ConfigRecord(uuid, in.readUTF(), readUuid(in), in.readUTF(), in.readUTF(),
            in.readUTF(), Secret.of(in.readUTF()), ProxyType.values()[in.readByte()], in.readUTF(), in.readInt(),
            in.readUTF(), Secret.of(in.readUTF()), in.readBoolean(), in.readBoolean(), in.readInt()));
      }
      return read(V2, b, in -> {
        byte[] sealed = new byte[in.readUnsignedShort()];
        in.readFully(sealed);
        byte[] plain = key.open(sealed, configAad(uuid));
        Secret appCredSecret;
        Secret proxyPassword;
        try (DataInputStream secrets = new DataInputStream(new ByteArrayInputStream(plain))) {
          if (secrets.readByte() != V2) {
            throw new IOException("sealed secrets of an unknown version");
          }
          appCredSecret = Secret.of(secrets.readUTF());
          proxyPassword = Secret.of(secrets.readUTF());
        } finally {
          java.util.Arrays.fill(plain, (byte) 0);
        }
        return new ConfigRecord(uuid, in.readUTF(), readUuid(in), in.readUTF(), in.readUTF(), in.readUTF(),
            appCredSecret, ProxyType.values()[in.readByte()], in.readUTF(), in.readInt(), in.readUTF(),
            proxyPassword, in.readBoolean(), in.readBoolean(), in.readInt());
      });
    }

    private static byte[] configAad(UUID uuid) {
      return java.nio.ByteBuffer.allocate(CONFIG_AAD_MAGIC.length + 1 + 16).put(CONFIG_AAD_MAGIC).put(V2)
          .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
    }
  }

  /**
   * The key state of one SVM.
   *
   * @param enabled the enabled configuration, or null
   * @param state the keystore state of the enabled configuration
   * @param switchTarget the configuration a switch is moving to, or null
   * @param generation the current SVM-KEK generation, 0 before the first encrypted volume
   * @param wrappedKeks the current SVM-KEK wrapped under each configuration's top-level KEK
   */
  record SvmKeyState(UUID svm, UUID enabled, KeystoreState state, UUID switchTarget, long generation,
      Map<UUID, byte[]> wrappedKeks) {

    SvmKeyState {
      wrappedKeks = Map.copyOf(wrappedKeks);
    }

    static SvmKeyState empty(UUID svm) {
      return new SvmKeyState(svm, null, KeystoreState.INACTIVE, null, 0, Map.of());
    }

    SvmKeyState withState(KeystoreState s) {
      return new SvmKeyState(svm, enabled, s, switchTarget, generation, wrappedKeks);
    }

    byte[] encode() {
      return write(out -> {
        writeNullableUuid(out, enabled);
        out.writeByte(state.ordinal());
        writeNullableUuid(out, switchTarget);
        out.writeLong(generation);
        out.writeInt(wrappedKeks.size());
        for (Map.Entry<UUID, byte[]> e : wrappedKeks.entrySet()) {
          writeUuid(out, e.getKey());
          out.writeShort(e.getValue().length);
          out.write(e.getValue());
        }
      });
    }

    static SvmKeyState decode(UUID svm, byte[] b) {
      return read(b, in -> {
        UUID enabled = readNullableUuid(in);
        KeystoreState state = KeystoreState.values()[in.readByte()];
        UUID target = readNullableUuid(in);
        long generation = in.readLong();
        int n = in.readInt();
        Map<UUID, byte[]> wrapped = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          UUID k = readUuid(in);
          byte[] blob = new byte[in.readUnsignedShort()];
          in.readFully(blob);
          wrapped.put(k, blob);
        }
        return new SvmKeyState(svm, enabled, state, target, generation, wrapped);
      });
    }
  }

  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  static byte[] write(Writer w) {
    return write(V1, w);
  }

  private static byte[] write(byte version, Writer w) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(version);
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static <T> T read(byte[] b, Reader<T> r) {
    return read(V1, b, r);
  }

  private static <T> T read(byte expected, byte[] b, Reader<T> r) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      int version = in.readByte();
      if (version != expected) {
        throw new dev.kmsengine.store.StoreException("record format version " + version + " is not supported");
      }
      return r.read(in);
    } catch (IOException e) {
      throw new dev.kmsengine.store.StoreException("corrupt record in the cluster database", e);
    }
  }

  static void writeUuid(DataOutputStream out, UUID u) throws IOException {
    out.writeLong(u.getMostSignificantBits());
    out.writeLong(u.getLeastSignificantBits());
  }

  static UUID readUuid(DataInputStream in) throws IOException {
    return new UUID(in.readLong(), in.readLong());
  }

  static void writeNullableUuid(DataOutputStream out, UUID u) throws IOException {
    out.writeBoolean(u != null);
    if (u != null) {
      writeUuid(out, u);
    }
  }

  static UUID readNullableUuid(DataInputStream in) throws IOException {
    return in.readBoolean() ? readUuid(in) : null;
  }
}
