package dev.kmsengine.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The crash workload's own record of what it did, in a file beside the database and synced on every line, so the
 * parent can check the engine against it after a kill. A block is recorded only after {@code writeBlock}
 * returned (so every recorded block must be readable); a delete is recorded before it is submitted (so a volume
 * may be missing only if its delete was started). A line torn by the kill is ignored.
 */
final class Journal implements AutoCloseable {
  /** One line: a written block ({@code data} set) or a started delete ({@code data} null). */
  record Entry(UUID volume, long block, byte[] data) {}

  private final FileChannel channel;

  private Journal(FileChannel channel) {
    this.channel = channel;
  }

  static Journal open(Path file) throws IOException {
    return new Journal(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND));
  }

  void written(UUID volume, long block, byte[] data) throws IOException {
    append("W " + volume + " " + block + " " + HexFormat.of().formatHex(data));
  }

  void deleting(UUID volume) throws IOException {
    append("D " + volume);
  }

  private void append(String line) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      channel.write(b);
    }
    channel.force(false);
  }

  static List<Entry> read(Path file) throws IOException {
    List<Entry> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    int end = text.lastIndexOf('\n');
    if (end < 0) {
      return out;
    }
    for (String line : text.substring(0, end).split("\n")) {
      String[] p = line.split(" ");
      if (p[0].equals("W")) {
        out.add(new Entry(UUID.fromString(p[1]), Long.parseLong(p[2]), HexFormat.of().parseHex(p[3])));
      } else if (p[0].equals("D")) {
        out.add(new Entry(UUID.fromString(p[1]), -1, null));
      } else {
        throw new IllegalStateException("journal line not understood: " + line);
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
