package dev.kmsengine.etcd;

import java.util.ArrayList;
import java.util.List;

/**
 * One segment of a bucket: a set of entries under its own key prefix {@code d/<id>/}, either one etcd key per
 * entry ({@code e/<key>}, what small commits write) or entries packed by key order into chunks of about
 * {@link PackedChunk#TARGET_BYTES} ({@code p/<first key>}, what a large commit stages). A bucket is the list of its
 * segments kept in its pointer, oldest first; a newer segment's entry (or tombstone) hides an older one's.
 *
 * @param id 16 hex digits, random
 * @param packed whether the entries are packed into chunks
 */
record Segment(String id, boolean packed) {
  private static final char PACKED = 'p';
  private static final char ENTRIES = 'e';

  /** The pointer's value for {@code segments}: each segment's id and kind, comma-separated, oldest first. */
  static String format(List<Segment> segments) {
    StringBuilder b = new StringBuilder();
    for (Segment s : segments) {
      if (!b.isEmpty()) {
        b.append(',');
      }
      b.append(s.id).append(s.packed ? PACKED : ENTRIES);
    }
    return b.toString();
  }

  /** The segments a pointer's value names, oldest first. */
  static List<Segment> parse(String pointer) {
    List<Segment> out = new ArrayList<>();
    for (String s : pointer.split(",")) {
      if (s.isEmpty()) {
        continue;
      }
      char kind = s.charAt(s.length() - 1);
      if (kind != PACKED && kind != ENTRIES) {
        throw new IllegalArgumentException("not a segment: " + s);
      }
      out.add(new Segment(s.substring(0, s.length() - 1), kind == PACKED));
    }
    return List.copyOf(out);
  }
}
