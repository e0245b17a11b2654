package dev.kmsengine.etcd;

import java.util.List;

/**
 * The entries of one source (a segment as of one revision, or a batch's changes) in key order, one at a time: the
 * current entry's fields are valid until the next {@link #next}. Not thread-safe.
 */
interface EntryCursor {
  /** Moves to the next entry; {@code false} when there is none. */
  boolean next();

  long msb();

  long lsb();

  /** Whether the entry is a tombstone, which hides the key in older sources. */
  boolean deleted();

  byte[] array();

  int offset();

  int length();

  /** Receives merged entries; returns {@code false} to stop. */
  @FunctionalInterface
  interface Sink {
    boolean entry(long msb, long lsb, boolean deleted, byte[] array, int offset, int length);
  }

  /**
   * Merges sources, newest first: each key once, from the newest source that has it (a tombstone included, for
   * the caller to skip or keep), in key order.
   *
   * @return {@code false} if the sink stopped the merge
   */
  static boolean merge(List<EntryCursor> newestFirst, Sink sink) {
    int n = newestFirst.size();
    EntryCursor[] c = newestFirst.toArray(EntryCursor[]::new);
    boolean[] live = new boolean[n];
    for (int i = 0; i < n; i++) {
      live[i] = c[i].next();
    }
    while (true) {
      int min = -1;
      for (int i = 0; i < n; i++) {
        if (live[i] && (min < 0 || compare(c[i], c[min]) < 0)) {
          min = i;
        }
      }
      if (min < 0) {
        return true;
      }
      EntryCursor w = c[min];
      if (!sink.entry(w.msb(), w.lsb(), w.deleted(), w.array(), w.offset(), w.length())) {
        return false;
      }
      long msb = w.msb();
      long lsb = w.lsb();
      for (int i = 0; i < n; i++) {
        if (live[i] && c[i].msb() == msb && c[i].lsb() == lsb) {
          live[i] = c[i].next();
        }
      }
    }
  }

  /** Key order as etcd sorts the keys' 16 bytes: unsigned, most significant half first. */
  private static int compare(EntryCursor a, EntryCursor b) {
    int m = Long.compareUnsigned(a.msb(), b.msb());
    return m != 0 ? m : Long.compareUnsigned(a.lsb(), b.lsb());
  }
}
