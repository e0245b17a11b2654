package dev.kmsengine.etcd;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The value of one chunk of a packed {@link Segment}: its entries in key order, each the key's 16 bytes, a tag
 * ({@link #LIVE} or {@link #DELETED}), the value's length (4 bytes) and the value. A chunk's etcd key ends with its
 * first entry's key, so the chunk that may hold a key is the last chunk whose key is not after it.
 *
 * <p>Why pack: etcd's cost is per key (a revision, an index entry, a B+tree insert on every member), not per byte;
 * a million 62-byte VEK blobs as a million keys took ten times as long to commit as in MVStore, as ten thousand
 * 8 KiB chunks a fraction of that. Chunks stay small so that a point read fetches 8 KiB and not a whole segment.
 */
final class PackedChunk {
  /** A chunk is closed once it holds this many bytes. */
  static final int TARGET_BYTES = 8 << 10;
  static final byte LIVE = 1;
  static final byte DELETED = 0;
  static final int KEY_BYTES = 16;
  private static final int HEADER = KEY_BYTES + 1 + 4;

  private PackedChunk() {}

  /**
   * The entry for a key in {@code chunk}.
   *
   * @return {@code null} if the chunk has no entry for it, an empty optional value for a tombstone
   */
  static Lookup find(byte[] chunk, long msb, long lsb) {
    ByteBuffer b = ByteBuffer.wrap(chunk);
    while (b.hasRemaining()) {
      long m = b.getLong();
      long l = b.getLong();
      boolean deleted = b.get() == DELETED;
      int length = b.getInt();
      if (m == msb && l == lsb) {
        byte[] v = new byte[length];
        b.get(v);
        return new Lookup(deleted ? null : v);
      }
      b.position(b.position() + length);
    }
    return null;
  }

  /** What {@link #find} found: {@code value} null for a tombstone. */
  record Lookup(byte[] value) {}

  /** Builds the chunks of one segment from entries given in key order. Not thread-safe. */
  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(TARGET_BYTES + 256);
    private final ByteBuffer header = ByteBuffer.allocate(HEADER);
    private long firstMsb;
    private long firstLsb;

    /** Appends an entry; {@code value} is ignored for a tombstone. */
    void add(long msb, long lsb, boolean deleted, byte[] value, int offset, int length) {
      if (out.size() == 0) {
        firstMsb = msb;
        firstLsb = lsb;
      }
      int n = deleted ? 0 : length;
      header.clear();
      header.putLong(msb).putLong(lsb).put(deleted ? DELETED : LIVE).putInt(n);
      out.write(header.array(), 0, HEADER);
      out.write(value, offset, n);
    }

    boolean full() {
      return out.size() >= TARGET_BYTES;
    }

    boolean isEmpty() {
      return out.size() == 0;
    }

    long firstMsb() {
      return firstMsb;
    }

    long firstLsb() {
      return firstLsb;
    }

    /** The chunk built so far; the writer starts a new one. */
    byte[] take() {
      byte[] b = out.toByteArray();
      out.reset();
      return b;
    }
  }
}
