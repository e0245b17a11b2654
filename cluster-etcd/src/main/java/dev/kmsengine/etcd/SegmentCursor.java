package dev.kmsengine.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A segment's entries as of one revision, read page by page (a page of chunks for a packed segment, of entry keys
 * otherwise), as an {@link EntryCursor}. Not thread-safe.
 */
final class SegmentCursor implements EntryCursor {
  /** Reads the keys in {@code [start, end)} in key order, at most {@code limit}, at the cursor's revision. */
  @FunctionalInterface
  interface Pages {
    GetResponse read(ByteSequence start, ByteSequence end, int limit);
  }

  /** Chunks per page: about 512 KiB, well inside gRPC's 4 MiB message limit. */
  private static final int CHUNK_PAGE = 64;
  private static final int ENTRY_PAGE = 4096;

  private final Pages pages;
  private final boolean packed;
  private final int skip;
  private final ByteSequence end;
  private ByteSequence start;
  private boolean more = true;
  private List<KeyValue> page = List.of();
  private int index;
  /** The chunk being read (packed) or the current entry's value (entries). */
  private byte[] data;
  private ByteBuffer chunk;
  private long msb;
  private long lsb;
  private boolean deleted;
  private int offset;
  private int length;

  /**
   * @param start the segment's prefix for its kind ({@code d/<id>/p/} or {@code d/<id>/e/})
   * @param end the first key after that prefix
   */
  SegmentCursor(Pages pages, boolean packed, ByteSequence start, ByteSequence end) {
    this.pages = pages;
    this.packed = packed;
    this.skip = start.size();
    this.start = start;
    this.end = end;
  }

  @Override
  public boolean next() {
    while (true) {
      if (packed && chunk != null && chunk.hasRemaining()) {
        msb = chunk.getLong();
        lsb = chunk.getLong();
        deleted = chunk.get() == PackedChunk.DELETED;
        length = chunk.getInt();
        offset = chunk.position();
        chunk.position(offset + length);
        return true;
      }
      if (index == page.size()) {
        if (!more) {
          return false;
        }
        GetResponse r = pages.read(start, end, packed ? CHUNK_PAGE : ENTRY_PAGE);
        page = r.getKvs();
        index = 0;
        more = r.isMore() && !page.isEmpty();
        if (page.isEmpty()) {
          return false;
        }
        start = page.get(page.size() - 1).getKey().concat(ByteSequence.from(new byte[] {0}));
      }
      KeyValue kv = page.get(index++);
      data = kv.getValue().getBytes();
      if (packed) {
        chunk = ByteBuffer.wrap(data);
        continue;
      }
      ByteBuffer k = ByteBuffer.wrap(kv.getKey().getBytes(), skip, PackedChunk.KEY_BYTES);
      msb = k.getLong();
      lsb = k.getLong();
      deleted = data[0] == PackedChunk.DELETED;
      offset = 1;
      length = data.length - 1;
      return true;
    }
  }

  @Override
  public long msb() {
    return msb;
  }

  @Override
  public long lsb() {
    return lsb;
  }

  @Override
  public boolean deleted() {
    return deleted;
  }

  @Override
  public byte[] array() {
    return data;
  }

  @Override
  public int offset() {
    return offset;
  }

  @Override
  public int length() {
    return length;
  }
}
