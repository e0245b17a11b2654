package dev.kmsengine.internal.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * What every record codec shares: a leading version byte, and the reading and writing of uuids. The codecs are
 * the records themselves ({@link SvmRecord}, {@link VolumeRecord}, {@link ConfigRecord}, {@link SvmKeyState}).
 *
 * <p>Stateless; thread-safe.
 */
final class RecordCodec {
  static final byte V1 = 1;
  /** Configuration records from this version on carry their secrets sealed. */
  static final byte V2 = 2;

  private RecordCodec() {}

  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  static byte[] write(Writer w) {
    return write(V1, w);
  }

  static byte[] write(byte version, Writer w) {
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

  static <T> T read(byte expected, byte[] b, Reader<T> r) {
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
