package dev.kmsengine.store;

import java.util.Arrays;

/**
 * The bytes of one {@link PackedBucket}: its entries back to back in pages, addressed by an {@code int} offset
 * whose high bits pick the page. An entry never straddles two pages, so it is one range of one array.
 *
 * <h2>Why pages</h2>
 * A bucket grown as one array by half at a time holds, on average, a quarter of its size as room it has not
 * used yet: 61 of 237 bytes per volume across an SVM's three buckets at ten million volumes. Here only the last
 * page grows (by half, up to {@link #PAGE_BYTES}), so the room is at most half of one page, whatever the
 * bucket's size, and a growth copies at most one page.
 *
 * <p>A full page's array, its 16-byte header included, is just under 32 MiB: a whole number of G1 regions for
 * every region size G1 picks (1 to 32 MiB), so a full page leaves no region partly empty; and it is a humongous
 * object at every region size, which young collections never copy (a rekey's staged generation stays put).
 *
 * <p>Not thread-safe: its bucket's database lock guards it.
 */
final class Slab {
  /** The bits of an offset within its page. */
  static final int PAGE_BITS = 25;
  private static final int PAGE_MASK = (1 << PAGE_BITS) - 1;
  /** The bytes a full page holds: its array with an object header of up to 32 bytes fits 32 MiB. */
  static final int PAGE_BYTES = (1 << PAGE_BITS) - 32;
  /** Pages an {@code int} offset can address. */
  private static final int MAX_PAGES = 1 << (Integer.SIZE - 1 - PAGE_BITS);
  private static final int MIN_PAGE = 64;

  private byte[][] pages = new byte[0][];
  /** Offset of the first free byte; its page is the last one, or the one after the last when that is full. */
  private int used;
  /** Bytes of the pages' arrays, for {@link #capacity()}. */
  private long capacity;

  /** The page holding {@code offset}. */
  byte[] page(int offset) {
    return pages[offset >>> PAGE_BITS];
  }

  /** Where {@code offset} lies within its page. */
  static int at(int offset) {
    return offset & PAGE_MASK;
  }

  /** The offset after the last byte allocated, page gaps included. */
  int used() {
    return used;
  }

  /** The bytes of every page's array, used or not. */
  long capacity() {
    return capacity;
  }

  /** Whether {@code size} more bytes fit the last page as it is, without growing it or adding one. */
  boolean fits(int size) {
    int p = used >>> PAGE_BITS;
    return p < pages.length && pages[p].length - (used & PAGE_MASK) >= size;
  }

  /**
   * Allocates {@code size} contiguous bytes and returns their offset; when the last page must grow, it grows to
   * hold {@code expected} more bytes too (up to a full page), so that a bucket told how many entries are coming
   * is sized once.
   *
   * @throws StoreException if {@code size} exceeds a page or the pages an offset can address are all full
   */
  int allocate(int size, long expected) {
    if (size > PAGE_BYTES) {
      throw new StoreException("an in-memory bucket cannot hold a value of more than " + PAGE_BYTES + " bytes");
    }
    int p = used >>> PAGE_BITS;
    int at = used & PAGE_MASK;
    if (p < pages.length) {
      byte[] last = pages[p];
      if (last.length - at >= size) {
        used += size;
        return (p << PAGE_BITS) | at;
      }
      if (at + size <= PAGE_BYTES) {
        long wanted = Math.max((long) at + size + expected, last.length + (last.length >> 1) + (long) MIN_PAGE);
        int length = (int) Math.min(PAGE_BYTES, wanted);
        pages[p] = Arrays.copyOf(last, length);
        capacity += length - last.length;
        used += size;
        return (p << PAGE_BITS) | at;
      }
      p++;
    }
    if (p == MAX_PAGES) {
      throw new StoreException("an in-memory bucket cannot hold more than " + MAX_PAGES + " pages of "
          + PAGE_BYTES + " bytes");
    }
    int length = (int) Math.min(PAGE_BYTES, Math.max((long) size + expected, MIN_PAGE));
    pages = Arrays.copyOf(pages, p + 1);
    pages[p] = new byte[length];
    capacity += length;
    used = (p << PAGE_BITS) + size;
    return p << PAGE_BITS;
  }
}
