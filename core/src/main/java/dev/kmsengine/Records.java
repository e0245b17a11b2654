package dev.kmsengine;

import dev.kmsengine.keystore.BarbicanConnection;
import dev.kmsengine.keystore.KeystoreState;
import dev.kmsengine.keystore.ProxyType;
import dev.kmsengine.keystore.Secret;
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
 * barbican-configs      config uuid -&gt; ConfigRecord (including the application credential secret)
 * svm-keys              svm uuid    -&gt; SvmKeyState (enabled config, keystore state, generation, wrapped SVM-KEKs)
 * veks/{svm}/{gen}      volume uuid -&gt; wrapped VEK blob under SVM-KEK generation gen
 * </pre>
 * Only the bucket of the current generation is authoritative; a rekey stages the next generation's bucket and
 * makes it current with one small commit of {@code svm-keys}.
 */
final class Records {
  static final String SVMS = "svms";
  static final String CONFIGS = "barbican-configs";
  static final String SVM_KEYS = "svm-keys";
  private static final byte V1 = 1;

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

  /** A Barbican configuration with its secrets. Never leaves the engine. */
  record ConfigRecord(UUID uuid, String name, UUID svm, String keyId, String keystoneUrl, String appCredId,
      Secret appCredSecret, ProxyType proxyType, String proxyHost, int proxyPort, String proxyUsername,
      Secret proxyPassword, boolean verify, boolean verifyHost, int timeout) {

    BarbicanConnection connection() {
      return new BarbicanConnection(uuid, keyId, keystoneUrl, appCredId, appCredSecret, proxyType, proxyHost,
          proxyPort, proxyUsername, proxyPassword, verify, verifyHost, timeout);
    }

    byte[] encode() {
      return write(out -> {
        out.writeUTF(name);
        writeUuid(out, svm);
        out.writeUTF(keyId);
        out.writeUTF(keystoneUrl);
        out.writeUTF(appCredId);
        out.writeUTF(appCredSecret.reveal());
        out.writeByte(proxyType.ordinal());
        out.writeUTF(proxyHost);
        out.writeInt(proxyPort);
        out.writeUTF(proxyUsername);
        out.writeUTF(proxyPassword.reveal());
        out.writeBoolean(verify);
        out.writeBoolean(verifyHost);
        out.writeInt(timeout);
      });
    }

    static ConfigRecord decode(UUID uuid, byte[] b) {
      return read(b, in -> new ConfigRecord(uuid, in.readUTF(), readUuid(in), in.readUTF(), in.readUTF(),
          in.readUTF(), Secret.of(in.readUTF()), ProxyType.values()[in.readByte()], in.readUTF(), in.readInt(),
          in.readUTF(), Secret.of(in.readUTF()), in.readBoolean(), in.readBoolean(), in.readInt()));
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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(V1);
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static <T> T read(byte[] b, Reader<T> r) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      int version = in.readByte();
      if (version != V1) {
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
