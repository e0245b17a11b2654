package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WriteBatchTest {
  private static final long[] KEYS = {0, 0, 1, 10, 2, 20, 3, 30, 4, 40};
  private static final byte[] VALUES = {9, 9, 9, 1, 1, 2, 2, 3, 3, 4, 4};

  @Test
  void putAll_amongOtherMutations_expandsToSinglePutsInPlace() {
    UUID first = UUID.randomUUID();
    WriteBatch b = new WriteBatch()
        .put("a", first, new byte[] {7})
        .putAll("b", KEYS, 1, VALUES, 3, 2, 3)
        .delete("a", first)
        .drop("c");
    List<WriteBatch.Mutation> m = b.mutations();
    assertEquals(6, b.size());
    assertEquals(6, m.size());
    assertEquals(first, m.get(0).key());
    for (int j = 0; j < 3; j++) {
      WriteBatch.Mutation put = m.get(1 + j);
      assertEquals("b", put.bucket());
      assertEquals(new UUID(1 + j, 10 * (1 + j)), put.key());
      assertArrayEquals(new byte[] {(byte) (1 + j), (byte) (1 + j)}, put.value());
    }
    assertEquals("a", m.get(4).bucket());
    assertNull(m.get(4).value());
    assertNull(m.get(5).key());
  }

  @Test
  void putAll_rangeBeyondTheArrays_isRefusedAndAddsNothing() {
    WriteBatch b = new WriteBatch();
    assertThrows(IndexOutOfBoundsException.class, () -> b.putAll("b", KEYS, 3, VALUES, 0, 1, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> b.putAll("b", KEYS, 0, VALUES, 4, 2, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> b.putAll("b", KEYS, -1, VALUES, 0, 1, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> b.putAll("b", KEYS, 0, VALUES, 0, -1, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> b.putAll("b", KEYS, 0, VALUES, 0, 1, -1));
    assertTrue(b.isEmpty());
    assertEquals(List.of(), b.mutations());
  }

  @Test
  void putAll_lastKeyAndValueExactlyAtTheArraysEnds_isAccepted() {
    WriteBatch b = new WriteBatch().putAll("b", KEYS, 3, VALUES, 7, 2, 2);
    assertEquals(new UUID(4, 40), b.mutations().get(1).key());
    assertArrayEquals(new byte[] {4, 4}, b.mutations().get(1).value());
  }
}
