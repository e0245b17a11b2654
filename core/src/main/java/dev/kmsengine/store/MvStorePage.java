package dev.kmsengine.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A page of format 3 of {@link MvStoreClusterDatabase}: up to {@link #MAX_ENTRIES} records of one bucket, sorted
 * by key, stored as one MVStore value.
 *
 * <p>Why: in format 2 every record was an MVStore entry of its own, and MVStore's per-entry B-tree work (the put,
 * the copy-on-write of its leaf, its serialisation, and the drop of the old generation) was about 2 µs per record:
 * most of a durable rekey of a million VEKs. As pages, the million records are about 1,300 MVStore entries.
 *
 * <h2>Layout</h2>
 * Big-endian:
 * <pre>
 *   int        n, the number of records (at least 1)
 *   n x long2  the keys, most then least significant bits, strictly ascending in {@link UuidKeyType}'s order
 *   n+1 x int  where each record starts in the page; the last is where the page checksum starts
 *   records    each the value followed by its {@link RecordChecksum}: the same bytes as a format-2 value
 *   int        {@link RecordChecksum#ofPage}: a CRC-32C of the bucket's name and every byte before it
 * </pre>
 * A lookup is a binary search over the keys and the check of one record's checksum; a pass over the page checks
 * the page checksum once instead of every record's.
 *
 * <p>Stateless; thread-safe. Pages are never changed once encoded: an edit encodes a new one.
 */
final class MvStorePage {
  /** The most records a page holds. */
  static final int MAX_ENTRIES = 1024;
  /** About the most bytes a page holds, unless a single record is larger. */
  static final int TARGET_BYTES = 64 * 1024;
  /** Bytes of a page besides its records: the count and the page checksum. */
  private static final int FIXED = 4 + 4;
  /** Bytes per record besides its frame: the key and its start. */
  private static final int PER_RECORD = 16 + 4;
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private MvStorePage() {}

  /** How many records of values of {@code length} bytes go in one page. */
  static int entriesPerPage(int length) {
    long perRecord = (long) PER_RECORD + length + RecordChecksum.LENGTH;
    return (int) Math.max(1, Math.min(MAX_ENTRIES, (TARGET_BYTES - FIXED - 4) / perRecord));
  }

  /**
   * Encodes entries {@code [0, count)} of a packed put, key pair {@code keyIndex + j} and value
   * {@code values[offset + j * length, offset + (j + 1) * length)}, whose keys must be strictly ascending.
   */
  static byte[] encode(RecordChecksum checksum, long[] keys, int keyIndex, byte[] values, int offset, int length,
      int count) {
    int framed = length + RecordChecksum.LENGTH;
    int recordsAt = recordsStart(count);
    byte[] page = new byte[recordsAt + count * framed + 4];
    INT.set(page, 0, count);
    putKeys(page, keys, keyIndex, count);
    int startsAt = 4 + 16 * count;
    for (int j = 0; j <= count; j++) {
      INT.set(page, startsAt + 4 * j, recordsAt + j * framed);
    }
    for (int j = 0; j < count; j++) {
      int k = 2 * (keyIndex + j);
      checksum.frameInto(keys[k], keys[k + 1], values, offset + j * length, length, page, recordsAt + j * framed);
    }
    seal(checksum, page);
    return page;
  }

  /** Encodes {@code count} records, key pair {@code j} of {@code keys} and its framed record {@code framed[j]}. */
  static byte[] encode(RecordChecksum checksum, long[] keys, byte[][] framed, int count) {
    int recordsAt = recordsStart(count);
    int size = recordsAt + 4;
    for (int j = 0; j < count; j++) {
      size += framed[j].length;
    }
    byte[] page = new byte[size];
    INT.set(page, 0, count);
    putKeys(page, keys, 0, count);
    int startsAt = 4 + 16 * count;
    int at = recordsAt;
    for (int j = 0; j < count; j++) {
      INT.set(page, startsAt + 4 * j, at);
      System.arraycopy(framed[j], 0, page, at, framed[j].length);
      at += framed[j].length;
    }
    INT.set(page, startsAt + 4 * count, at);
    seal(checksum, page);
    return page;
  }

  private static void putKeys(byte[] page, long[] keys, int keyIndex, int count) {
    for (int j = 0; j < 2 * count; j++) {
      LONG.set(page, 4 + 8 * j, keys[2 * keyIndex + j]);
    }
  }

  private static int recordsStart(int count) {
    return 4 + PER_RECORD * count + 4;
  }

  private static void seal(RecordChecksum checksum, byte[] page) {
    INT.set(page, page.length - 4, checksum.ofPage(page, page.length - 4));
  }

  /** The number of records; {@link #wellFormed} or {@link #find} must have accepted the page. */
  static int count(byte[] page) {
    return (int) INT.get(page, 0);
  }

  static long msb(byte[] page, int i) {
    return (long) LONG.get(page, 4 + 16 * i);
  }

  static long lsb(byte[] page, int i) {
    return (long) LONG.get(page, 12 + 16 * i);
  }

  /** Where record {@code i} (its value, then its checksum) starts. */
  static int start(byte[] page, int i) {
    return (int) INT.get(page, 4 + 16 * count(page) + 4 * i);
  }

  /** Where record {@code i} ends: its frame is {@code [start(i), end(i))}. */
  static int end(byte[] page, int i) {
    return start(page, i + 1);
  }

  /** Whether the count fits the page, so that its keys and starts can be read. */
  private static boolean headerFits(byte[] page) {
    if (page.length < recordsStart(1) + 4) {
      return false;
    }
    int n = count(page);
    return n >= 1 && n <= (page.length - FIXED) / PER_RECORD;
  }

  /**
   * Whether the page is well formed (every record inside it, each at least a checksum long, the keys strictly
   * ascending) and its checksum matches: what a pass over a page checks instead of each record's own checksum.
   */
  static boolean intact(RecordChecksum checksum, byte[] page) {
    if (!headerFits(page)) {
      return false;
    }
    int n = count(page);
    int at = recordsStart(n);
    for (int i = 0; i <= n; i++) {
      int s = start(page, i);
      if (s != at && (i == 0 || s < at + RecordChecksum.LENGTH)) {
        return false;
      }
      at = s;
    }
    if (at != page.length - 4) {
      return false;
    }
    for (int i = 1; i < n; i++) {
      if (compare(msb(page, i - 1), lsb(page, i - 1), msb(page, i), lsb(page, i)) >= 0) {
        return false;
      }
    }
    return (int) INT.get(page, page.length - 4) == checksum.ofPage(page, page.length - 4);
  }

  /**
   * The first record whose own checksum fails, or -1 if there is none or the page's layout is too damaged to read
   * its records: to name the damaged record of a page that failed {@link #intact}.
   */
  static int firstDamaged(RecordChecksum checksum, byte[] page) {
    if (!headerFits(page)) {
      return -1;
    }
    int n = count(page);
    for (int i = 0; i < n; i++) {
      int s = start(page, i);
      int e = end(page, i);
      if (s < recordsStart(n) || e > page.length - 4 || e - s < RecordChecksum.LENGTH) {
        return -1;
      }
      if (!checksum.intact(msb(page, i), lsb(page, i), page, s, e - s)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The index of the key in the page, or {@code -(insertion point) - 1} if it is not there.
   *
   * @throws IllegalStateException if the page's count or the found record's bounds do not fit it (damage)
   */
  static int find(byte[] page, long msb, long lsb) {
    if (!headerFits(page)) {
      throw new IllegalStateException("page header does not fit the page");
    }
    int lo = 0;
    int hi = count(page) - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = compare(msb(page, mid), lsb(page, mid), msb, lsb);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        int s = start(page, mid);
        int e = end(page, mid);
        if (s < recordsStart(count(page)) || e > page.length - 4 || e - s < RecordChecksum.LENGTH) {
          throw new IllegalStateException("record bounds do not fit the page");
        }
        return mid;
      }
    }
    return -(lo + 1);
  }

  /** {@link UuidKeyType}'s order: most, then least significant bits, both signed. */
  static int compare(long msbA, long lsbA, long msbB, long lsbB) {
    int c = Long.compare(msbA, msbB);
    return c != 0 ? c : Long.compare(lsbA, lsbB);
  }
}
