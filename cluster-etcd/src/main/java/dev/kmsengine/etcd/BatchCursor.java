package dev.kmsengine.etcd;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;

/** One bucket's changes in a batch (a value, or {@code null} for a delete, per key) as an {@link EntryCursor}. */
final class BatchCursor implements EntryCursor {
  private static final byte[] NONE = new byte[0];
  private static final Comparator<UUID> KEY_ORDER = (a, b) -> {
    int m = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return m != 0 ? m : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  };

  private final UUID[] keys;
  private final Map<UUID, byte[]> entries;
  private int i = -1;
  private byte[] current;

  BatchCursor(Map<UUID, byte[]> entries) {
    this.entries = entries;
    this.keys = entries.keySet().toArray(UUID[]::new);
    Arrays.sort(keys, KEY_ORDER);
  }

  @Override
  public boolean next() {
    if (++i >= keys.length) {
      return false;
    }
    current = entries.get(keys[i]);
    return true;
  }

  @Override
  public long msb() {
    return keys[i].getMostSignificantBits();
  }

  @Override
  public long lsb() {
    return keys[i].getLeastSignificantBits();
  }

  @Override
  public boolean deleted() {
    return current == null;
  }

  @Override
  public byte[] array() {
    return current == null ? NONE : current;
  }

  @Override
  public int offset() {
    return 0;
  }

  @Override
  public int length() {
    return array().length;
  }
}
