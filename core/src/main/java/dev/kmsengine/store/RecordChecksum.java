package dev.kmsengine.store;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The integrity frame of every value {@link MvStoreClusterDatabase} stores: the value followed by a CRC-32C of
 * the bucket's name, the key and the value. Why: MVStore checksums its chunk headers but not the pages inside
 * them, so a flipped bit in a stored value (a volume's name, a wrapped key) was served as if it were data. Binding
 * the bucket and key as well means a record that a damaged key or map name moved elsewhere fails its check too.
 *
 * <p>CRC-32C detects every burst of up to 32 flipped bits and any other damage with probability 1 - 2^-32; it is
 * not a defence against a deliberate forger with write access to the file (the wrapped keys carry GCM tags of
 * their own against that).
 *
 * <p>An instance serves one bucket and is reused for its records, so a rekey's million frames and checks encode the
 * bucket's name and allocate a checksum once, not per record. Instances are not thread-safe; the static methods
 * are.
 */
final class RecordChecksum {
  /** The bytes a frame adds to a value. */
  static final int LENGTH = 4;

  private final byte[] bucket;
  private final CRC32C crc = new CRC32C();
  private final byte[] key = new byte[16];

  private RecordChecksum(String bucket) {
    this.bucket = bucket.getBytes(StandardCharsets.UTF_8);
  }

  /** A checksum for the records of {@code bucket}, to frame or check many of them on one thread. */
  static RecordChecksum of(String bucket) {
    return new RecordChecksum(bucket);
  }

  /** {@code value[offset, offset + length)} followed by its checksum, in a new array. */
  static byte[] frame(String bucket, long msb, long lsb, byte[] value, int offset, int length) {
    return of(bucket).frame(msb, lsb, value, offset, length);
  }

  /** Whether {@code framed} is a whole frame whose checksum matches its bucket, key and value. */
  static boolean intact(String bucket, long msb, long lsb, byte[] framed) {
    return of(bucket).intact(msb, lsb, framed);
  }

  /** As {@link #frame(String, long, long, byte[], int, int)}, for this checksum's bucket. */
  byte[] frame(long msb, long lsb, byte[] value, int offset, int length) {
    byte[] out = new byte[length + LENGTH];
    frameInto(msb, lsb, value, offset, length, out, 0);
    return out;
  }

  /**
   * Writes the frame of {@code value[offset, offset + length)} into {@code out} from {@code at}: the same
   * {@code length + LENGTH} bytes {@link #frame(long, long, byte[], int, int)} returns, without an array of its
   * own (a format-3 page holds its records back to back).
   */
  void frameInto(long msb, long lsb, byte[] value, int offset, int length, byte[] out, int at) {
    System.arraycopy(value, offset, out, at, length);
    putInt(out, at + length, crc(msb, lsb, out, at, length));
  }

  /** As {@link #intact(String, long, long, byte[])}, for this checksum's bucket. */
  boolean intact(long msb, long lsb, byte[] framed) {
    return intact(msb, lsb, framed, 0, framed.length);
  }

  /** Whether {@code framed[offset, offset + length)} is a whole frame of the record under this key. */
  boolean intact(long msb, long lsb, byte[] framed, int offset, int length) {
    int valueLength = length - LENGTH;
    if (valueLength < 0) {
      return false;
    }
    return getInt(framed, offset + valueLength) == crc(msb, lsb, framed, offset, valueLength);
  }

  /**
   * The CRC-32C of the bucket's name and {@code bytes[0, length)}: the checksum of a whole format-3 page. The
   * bucket's name is in it for the reason it is in every record's: a page that damage moved to another bucket
   * fails its check.
   */
  int ofPage(byte[] bytes, int length) {
    crc.reset();
    crc.update(bucket);
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }

  static void putInt(byte[] out, int at, int v) {
    out[at] = (byte) (v >>> 24);
    out[at + 1] = (byte) (v >>> 16);
    out[at + 2] = (byte) (v >>> 8);
    out[at + 3] = (byte) v;
  }

  static int getInt(byte[] in, int at) {
    return ((in[at] & 0xff) << 24) | ((in[at + 1] & 0xff) << 16) | ((in[at + 2] & 0xff) << 8) | (in[at + 3] & 0xff);
  }

  private int crc(long msb, long lsb, byte[] value, int offset, int length) {
    crc.reset();
    crc.update(bucket);
    for (int i = 0; i < 8; i++) {
      key[i] = (byte) (msb >>> (56 - 8 * i));
      key[8 + i] = (byte) (lsb >>> (56 - 8 * i));
    }
    crc.update(key);
    crc.update(value, offset, length);
    return (int) crc.getValue();
  }
}
