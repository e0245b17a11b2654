package dev.kmsengine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The version of the last commit known to be on disk, kept beside the database file.
 *
 * <p>MVStore, opening a file whose newest chunks are gone (a truncated or partly overwritten file), silently falls
 * back to the newest chunk it can still read: an older state, with keys committed since then missing. That is
 * right after a crash in the middle of a commit, and wrong after damage. This marker tells the two apart: it is
 * written and synced after every commit, so a file whose newest readable version is older than the marker has
 * lost commits and is refused.
 *
 * <p>Two 512-byte slots are written alternately, each holding the version and a check word, so a write torn by a
 * crash damages only the slot being written and the other still holds the previous version.
 */
final class CommitMarker implements AutoCloseable {
  private static final int SLOT = 512;
  private static final long CHECK = 0x4B4D53434F4D4954L;

  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(16);

  private CommitMarker(FileChannel channel) {
    this.channel = channel;
  }

  /** Opens an existing marker for writing. */
  static CommitMarker open(Path path) throws IOException {
    return new CommitMarker(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
  }

  /** Creates a marker holding {@code version} and syncs it. */
  static void create(Path path, long version) throws IOException {
    try (CommitMarker m = new CommitMarker(FileChannel.open(path, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE))) {
      m.writeSlot(0, version);
      m.writeSlot(1, version);
      m.channel.force(true);
    }
  }

  /**
   * The newest version either slot holds intact.
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalStateException if neither slot is intact
   */
  static long read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long best = -1;
      for (int slot = 0; slot < 2; slot++) {
        ByteBuffer b = ByteBuffer.allocate(16);
        while (b.hasRemaining() && ch.read(b, (long) slot * SLOT + b.position()) > 0) {
          continue;
        }
        b.flip();
        if (b.remaining() == 16) {
          long version = b.getLong();
          if ((version ^ CHECK) == b.getLong() && version >= 0) {
            best = Math.max(best, version);
          }
        }
      }
      if (best < 0) {
        throw new IllegalStateException("no intact slot");
      }
      return best;
    }
  }

  /** Records {@code version} as committed, and returns once it is on disk. */
  void record(long version) throws IOException {
    writeSlot((int) (version & 1), version);
    channel.force(false);
  }

  /**
   * Records {@code version} in both slots, even below what they hold, and returns once it is on disk: for a
   * database file replaced by a rewritten copy with a lower version. A crash part-way leaves the higher version
   * in one slot, which the old file (not yet replaced) still satisfies.
   */
  void reset(long version) throws IOException {
    writeSlot(0, version);
    writeSlot(1, version);
    channel.force(false);
  }

  private void writeSlot(int slot, long version) throws IOException {
    buffer.clear();
    buffer.putLong(version).putLong(version ^ CHECK).flip();
    long at = (long) slot * SLOT;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
