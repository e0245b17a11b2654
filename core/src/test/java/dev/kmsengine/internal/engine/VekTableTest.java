package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VekTableTest {
  private static byte[] key(SplittableRandom r) {
    byte[] k = new byte[VekTable.KEY_LENGTH];
    r.nextBytes(k);
    return k;
  }

  private static void assertSame(Map<UUID, byte[]> model, List<UUID> everSeen, VekTable table) {
    assertEquals(model.size(), table.size());
    for (UUID v : everSeen) {
      byte[] expected = model.get(v);
      assertEquals(expected != null, table.contains(v), v::toString);
      if (expected == null) {
        assertNull(table.copy(v));
      } else {
        assertArrayEquals(expected, table.copy(v), v::toString);
      }
    }
  }

  /** Random puts, replacements and removals, with random and with small sequential ids (long probe runs). */
  @Test
  void behavesAsAMapThroughGrowthReplacementsAndRemovals() {
    for (boolean sequential : new boolean[] {false, true}) {
      SplittableRandom r = new SplittableRandom(sequential ? 7 : 11);
      VekTable table = new VekTable();
      Map<UUID, byte[]> model = new HashMap<>();
      List<UUID> everSeen = new ArrayList<>();
      for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 3_000; i++) {
          UUID v = sequential ? new UUID(0, everSeen.size()) : new UUID(r.nextLong(), r.nextLong());
          everSeen.add(v);
          byte[] k = key(r);
          table.put(v, k);
          model.put(v, k.clone());
        }
        for (int i = 0; i < 1_500; i++) {
          UUID v = everSeen.get(r.nextInt(everSeen.size()));
          if (r.nextBoolean()) {
            assertEquals(model.remove(v) != null, table.remove(v));
          } else {
            byte[] k = key(r);
            table.put(v, k);
            model.put(v, k.clone());
          }
        }
        assertSame(model, everSeen, table);
      }
      for (UUID v : everSeen) {
        assertEquals(model.remove(v) != null, table.remove(v));
      }
      assertEquals(0, table.size());
      assertSame(model, everSeen, table);
    }
  }

  @Test
  void copiesAreTheCallersAndTheCallersArrayIsNotKept() {
    VekTable table = new VekTable();
    UUID v = UUID.randomUUID();
    byte[] k = new byte[VekTable.KEY_LENGTH];
    k[0] = 42;
    table.put(v, k);
    k[0] = 0;
    byte[] copy = table.copy(v);
    assertEquals(42, copy[0]);
    copy[0] = 1;
    assertEquals(42, table.copy(v)[0]);
  }

  @Test
  void wipeEmptiesTheTableAndItFillsAgain() {
    VekTable table = new VekTable();
    SplittableRandom r = new SplittableRandom(3);
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      UUID v = new UUID(r.nextLong(), r.nextLong());
      ids.add(v);
      table.put(v, key(r));
    }
    table.wipe();
    assertEquals(0, table.size());
    for (UUID v : ids) {
      assertFalse(table.contains(v));
    }
    table.put(ids.get(0), key(r));
    assertTrue(table.contains(ids.get(0)));
    assertEquals(1, table.size());
  }

  @Test
  void refusesAKeyThatIsNot32Bytes() {
    VekTable table = new VekTable();
    assertThrows(IllegalArgumentException.class, () -> table.put(UUID.randomUUID(), new byte[16]));
    assertEquals(0, table.size());
  }

  /** More entries than one page holds, grown one by one, then removed from the front (the last entry moves). */
  @Test
  void holdsEntriesAcrossPagesAndKeepsThemThroughRemovals() {
    VekTable table = new VekTable();
    int count = VekTable.PAGE_ENTRIES + 1_000;
    SplittableRandom r = new SplittableRandom(21);
    long[] ids = new long[2 * count];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextLong();
    }
    byte[] k = new byte[VekTable.KEY_LENGTH];
    for (int i = 0; i < count; i++) {
      java.util.Arrays.fill(k, (byte) i);
      table.put(new UUID(ids[2 * i], ids[2 * i + 1]), k);
    }
    assertEquals(count, table.size());
    for (int i = 0; i < 2_000; i++) {
      assertTrue(table.remove(new UUID(ids[2 * i], ids[2 * i + 1])));
    }
    assertEquals(count - 2_000, table.size());
    for (int i = 0; i < count; i++) {
      byte[] got = table.copy(new UUID(ids[2 * i], ids[2 * i + 1]));
      if (i < 2_000) {
        assertNull(got);
      } else {
        java.util.Arrays.fill(k, (byte) i);
        assertArrayEquals(k, got, "key of entry " + i);
      }
    }
  }

  /** A table reserved for its entries takes them all and reads them back, and can still grow past them. */
  @Test
  void reservedTableTakesItsEntriesAndGrowsPastThem() {
    VekTable table = new VekTable();
    table.reserve(5_000);
    SplittableRandom r = new SplittableRandom(4);
    Map<UUID, byte[]> model = new HashMap<>();
    for (int i = 0; i < 6_000; i++) {
      UUID v = new UUID(r.nextLong(), r.nextLong());
      byte[] k = key(r);
      table.put(v, k);
      model.put(v, k.clone());
    }
    assertSame(model, new ArrayList<>(model.keySet()), table);
  }
}
