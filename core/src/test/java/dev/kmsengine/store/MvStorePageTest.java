package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MvStorePageTest {
  private static final String BUCKET = "veks/s/1";

  /** A page of {@code n} records, keys (7, 10 i), values of {@code length} bytes all {@code i}. */
  private static byte[] page(int n, int length) {
    long[] keys = new long[2 * n];
    byte[] values = new byte[n * length];
    for (int i = 0; i < n; i++) {
      keys[2 * i] = 7;
      keys[2 * i + 1] = 10L * i;
      Arrays.fill(values, i * length, (i + 1) * length, (byte) i);
    }
    return MvStorePage.encode(RecordChecksum.of(BUCKET), keys, 0, values, 0, length, n);
  }

  @Test
  void encode_thenFind_everyKeyAtItsIndexWithItsFramedValue_absentKeysAtTheirInsertionPoint() {
    int n = 300;
    byte[] page = page(n, 62);
    assertTrue(MvStorePage.intact(RecordChecksum.of(BUCKET), page));
    assertEquals(n, MvStorePage.count(page));
    RecordChecksum checksum = RecordChecksum.of(BUCKET);
    for (int i = 0; i < n; i++) {
      int at = MvStorePage.find(page, 7, 10L * i);
      assertEquals(i, at);
      int from = MvStorePage.start(page, i);
      int length = MvStorePage.end(page, i) - from;
      assertEquals(62 + RecordChecksum.LENGTH, length);
      assertTrue(checksum.intact(7, 10L * i, page, from, length), "record " + i + " carries its own checksum");
      assertEquals((byte) i, page[from + 61]);
      assertEquals(-(i + 1) - 1, MvStorePage.find(page, 7, 10L * i + 1), "between " + i + " and the next");
    }
    assertEquals(-1, MvStorePage.find(page, 6, Long.MAX_VALUE));
    assertEquals(-(n + 1), MvStorePage.find(page, 8, Long.MIN_VALUE));
  }

  @Test
  void intact_anySingleFlippedBit_orAnotherBucket_isRefused() {
    byte[] good = page(20, 9);
    assertFalse(MvStorePage.intact(RecordChecksum.of("veks/s/2"), good), "a page is bound to its bucket");
    for (int at = 0; at < good.length; at++) {
      byte[] bad = good.clone();
      bad[at] ^= 0x04;
      assertFalse(MvStorePage.intact(RecordChecksum.of(BUCKET), bad), "bit flipped at " + at);
    }
  }

  @Test
  void firstDamaged_namesTheRecordWhoseValueOrKeyChanged() {
    byte[] page = page(20, 9);
    RecordChecksum checksum = RecordChecksum.of(BUCKET);
    byte[] value = page.clone();
    value[MvStorePage.start(page, 13) + 4] ^= 1;
    assertEquals(13, MvStorePage.firstDamaged(checksum, value));
    byte[] key = page.clone();
    key[4 + 16 * 5 + 15] ^= 1;
    assertEquals(5, MvStorePage.firstDamaged(checksum, key));
    assertEquals(-1, MvStorePage.firstDamaged(checksum, page));
  }

  @Test
  void find_countLargerThanThePage_isRefusedNotReadOutOfBounds() {
    byte[] page = page(3, 9);
    page[0] = 0x7f;
    assertThrows(IllegalStateException.class, () -> MvStorePage.find(page, 7, 0));
    assertFalse(MvStorePage.intact(RecordChecksum.of(BUCKET), page));
  }

  @Test
  void encodeFramed_sameRecordsAsPacked_sameBytes() {
    int n = 50;
    byte[] packed = page(n, 62);
    long[] keys = new long[2 * n];
    byte[][] framed = new byte[n][];
    for (int i = 0; i < n; i++) {
      keys[2 * i] = MvStorePage.msb(packed, i);
      keys[2 * i + 1] = MvStorePage.lsb(packed, i);
      framed[i] = Arrays.copyOfRange(packed, MvStorePage.start(packed, i), MvStorePage.end(packed, i));
    }
    assertTrue(Arrays.equals(packed, MvStorePage.encode(RecordChecksum.of(BUCKET), keys, framed, n)));
  }

  @Test
  void entriesPerPage_vekBlobsFillAboutTheTarget_hugeValuesOnePerPage() {
    int perPage = MvStorePage.entriesPerPage(62);
    assertTrue(perPage > 500 && perPage <= MvStorePage.MAX_ENTRIES, "" + perPage);
    assertTrue(page(perPage, 62).length <= MvStorePage.TARGET_BYTES);
    assertEquals(1, MvStorePage.entriesPerPage(1 << 20));
    assertEquals(MvStorePage.MAX_ENTRIES, MvStorePage.entriesPerPage(0));
  }
}
