package dev.kmsengine.store;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * Bucket keys on disk: a uuid as its two longs, 16 bytes, ordered by most then least significant bits. MVStore's
 * generic object type would add a type tag and reflection to every key of a million-entry bucket.
 */
final class UuidKeyType extends BasicDataType<UUID> {
  static final UuidKeyType INSTANCE = new UuidKeyType();

  private UuidKeyType() {}

  @Override
  public int getMemory(UUID obj) {
    return 40;
  }

  @Override
  public void write(WriteBuffer buff, UUID obj) {
    buff.putLong(obj.getMostSignificantBits()).putLong(obj.getLeastSignificantBits());
  }

  @Override
  public UUID read(ByteBuffer buff) {
    return new UUID(buff.getLong(), buff.getLong());
  }

  @Override
  public int compare(UUID a, UUID b) {
    int c = Long.compare(a.getMostSignificantBits(), b.getMostSignificantBits());
    return c != 0 ? c : Long.compare(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  @Override
  public UUID[] createStorage(int size) {
    return new UUID[size];
  }

  @Override
  public boolean equals(Object obj) {
    return obj == this;
  }

  @Override
  public int hashCode() {
    return UuidKeyType.class.hashCode();
  }
}
