package dev.kmsengine.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * A {@link WriteBatch} made ready for {@link MvStoreClusterDatabase} ({@link #frame}, on the committing thread,
 * before the lock), and its application to the store's maps ({@link #apply}, under the lock, before MVStore's
 * commit), in format 3's layout ({@link MvStoreBuckets}).
 *
 * <p>A packed put of at least {@link #MIN_RUN} entries with strictly ascending keys becomes a run of
 * {@link MvStorePage}s, encoded and checksummed here; it is stored as pages if its span touches no record of the
 * bucket, else entry by entry. Why only then: a page holds a key range of its own, so that a lookup is one page
 * and a binary search. A rekey's staged pages are such runs (the old generation is read in key order and the staging
 * bucket starts empty), and the old generation's drop is one {@code removeMap} of about a thousand entries per
 * million records.
 *
 * <p>A single put or delete of a key that a page holds rewrites that page (a thousand records or so, once per
 * batch however many of its records the batch changes); any other single put is an entry of the bucket's
 * entry map, as in format 2.
 *
 * <p>Not thread-safe: one per commit.
 */
final class MvStoreBatch {
  /** The fewest entries of a packed put stored as pages. */
  static final int MIN_RUN = 64;

  /** A put ({@code framed} its framed value) or, {@code framed} null, a delete. */
  private record Single(String bucket, UUID key, byte[] framed) {}

  private record Drop(String bucket) {}

  /** Pages of one packed put, in key order; {@code first}/{@code last} the run's first and last keys. */
  private record Run(String bucket, UUID first, UUID last, List<byte[]> pages, int count) {}

  /** A page being edited by the batch: its records decoded, written back once at the end. */
  private static final class PageEdit {
    final UUID lower;
    final int before;
    long[] keys;
    byte[][] framed;
    int size;

    PageEdit(UUID lower, byte[] page) {
      this.lower = lower;
      size = MvStorePage.count(page);
      before = size;
      keys = new long[2 * size];
      framed = new byte[size][];
      for (int i = 0; i < size; i++) {
        keys[2 * i] = MvStorePage.msb(page, i);
        keys[2 * i + 1] = MvStorePage.lsb(page, i);
        framed[i] = Arrays.copyOfRange(page, MvStorePage.start(page, i), MvStorePage.end(page, i));
      }
    }

    int find(long msb, long lsb) {
      int lo = 0;
      int hi = size - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = MvStorePage.compare(keys[2 * mid], keys[2 * mid + 1], msb, lsb);
        if (c < 0) {
          lo = mid + 1;
        } else if (c > 0) {
          hi = mid - 1;
        } else {
          return mid;
        }
      }
      return -1;
    }

    void remove(int i) {
      System.arraycopy(keys, 2 * i + 2, keys, 2 * i, 2 * (size - i - 1));
      System.arraycopy(framed, i + 1, framed, i, size - i - 1);
      framed[--size] = null;
    }

    /** Whether the edited page still holds a record at or after {@code msb, lsb}. */
    boolean reaches(long msb, long lsb) {
      return size > 0 && MvStorePage.compare(keys[2 * size - 2], keys[2 * size - 1], msb, lsb) >= 0;
    }
  }

  private final List<Object> steps;
  private MVStore store;
  /** Per bucket, the pages this batch edits, by lower bound. */
  private final Map<String, Map<UUID, PageEdit>> edits = new HashMap<>();
  /** Per bucket, the change this batch makes to its paged-record count. */
  private final Map<String, Long> countChanges = new HashMap<>();

  private MvStoreBatch(List<Object> steps) {
    this.steps = steps;
  }

  /** The batch's mutations with every value framed and every run encoded; done before the lock. */
  static MvStoreBatch frame(WriteBatch batch) {
    List<Object> out = new ArrayList<>();
    for (Object step : batch.steps()) {
      if (step instanceof WriteBatch.PackedPuts p) {
        if (p.count() >= MIN_RUN && ascending(p)) {
          out.add(run(p));
        } else {
          RecordChecksum checksum = RecordChecksum.of(p.bucket());
          for (int j = 0; j < p.count(); j++) {
            int k = 2 * (p.keyIndex() + j);
            long msb = p.keys()[k];
            long lsb = p.keys()[k + 1];
            out.add(new Single(p.bucket(), new UUID(msb, lsb),
                checksum.frame(msb, lsb, p.values(), p.offset() + j * p.length(), p.length())));
          }
        }
      } else {
        WriteBatch.Mutation m = (WriteBatch.Mutation) step;
        byte[] v = m.value();
        if (m.key() == null) {
          out.add(new Drop(m.bucket()));
        } else {
          out.add(new Single(m.bucket(), m.key(), v == null ? null : RecordChecksum.frame(m.bucket(),
              m.key().getMostSignificantBits(), m.key().getLeastSignificantBits(), v, 0, v.length)));
        }
      }
    }
    return new MvStoreBatch(out);
  }

  private static boolean ascending(WriteBatch.PackedPuts p) {
    long[] keys = p.keys();
    for (int j = 1; j < p.count(); j++) {
      int k = 2 * (p.keyIndex() + j);
      if (MvStorePage.compare(keys[k - 2], keys[k - 1], keys[k], keys[k + 1]) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static Run run(WriteBatch.PackedPuts p) {
    RecordChecksum checksum = RecordChecksum.of(p.bucket());
    int perPage = MvStorePage.entriesPerPage(p.length());
    List<byte[]> pages = new ArrayList<>((p.count() + perPage - 1) / perPage);
    for (int j = 0; j < p.count(); j += perPage) {
      pages.add(MvStorePage.encode(checksum, p.keys(), p.keyIndex() + j, p.values(), p.offset() + j * p.length(),
          p.length(), Math.min(perPage, p.count() - j)));
    }
    long[] k = p.keys();
    int first = 2 * p.keyIndex();
    int last = 2 * (p.keyIndex() + p.count() - 1);
    return new Run(p.bucket(), new UUID(k[first], k[first + 1]), new UUID(k[last], k[last + 1]), pages, p.count());
  }

  /** Applies every mutation to {@code target}'s maps, in order, without committing; under the write lock. */
  void apply(MVStore target) {
    store = target;
    for (Object step : steps) {
      if (step instanceof Single s) {
        if (s.framed() == null) {
          delete(s.bucket(), s.key());
        } else {
          put(s.bucket(), s.key(), s.framed());
        }
      } else if (step instanceof Drop d) {
        drop(d.bucket());
      } else {
        putRun((Run) step);
      }
    }
    writeEdits();
    writeCounts();
  }

  private void drop(String bucket) {
    for (String name : new String[] {MvStoreBuckets.entriesName(bucket), MvStoreBuckets.pagesName(bucket)}) {
      if (store.hasMap(name)) {
        store.removeMap(name);
      }
    }
    if (store.hasMap(MvStoreBuckets.COUNTS)) {
      MvStoreBuckets.counts(store).remove(bucket);
    }
    edits.remove(bucket);
    countChanges.remove(bucket);
  }

  private void put(String bucket, UUID key, byte[] framed) {
    PageEdit e = pageHolding(bucket, key);
    if (e == null) {
      MvStoreBuckets.open(store, MvStoreBuckets.entriesName(bucket)).put(key, framed);
    } else {
      e.framed[e.find(key.getMostSignificantBits(), key.getLeastSignificantBits())] = framed;
    }
  }

  private void delete(String bucket, UUID key) {
    MVMap<UUID, byte[]> entries = MvStoreBuckets.entriesOrNull(store, bucket);
    if (entries != null && entries.remove(key) != null) {
      return;
    }
    PageEdit e = pageHolding(bucket, key);
    if (e != null) {
      e.remove(e.find(key.getMostSignificantBits(), key.getLeastSignificantBits()));
    }
  }

  /** The edit of the page holding {@code key}, started if need be, or null if no page holds it. */
  private PageEdit pageHolding(String bucket, UUID key) {
    MVMap<UUID, byte[]> pages = MvStoreBuckets.pagesOrNull(store, bucket);
    UUID lower = pages == null ? null : pages.floorKey(key);
    if (lower == null) {
      return null;
    }
    long msb = key.getMostSignificantBits();
    long lsb = key.getLeastSignificantBits();
    Map<UUID, PageEdit> bucketEdits = edits.computeIfAbsent(bucket, b -> new HashMap<>());
    PageEdit e = bucketEdits.get(lower);
    if (e != null) {
      return e.find(msb, lsb) >= 0 ? e : null;
    }
    byte[] page = pages.get(lower);
    if (find(bucket, lower, page, msb, lsb) < 0) {
      return null;
    }
    e = new PageEdit(lower, page);
    bucketEdits.put(lower, e);
    return e;
  }

  private int find(String bucket, UUID lower, byte[] page, long msb, long lsb) {
    try {
      return MvStorePage.find(page, msb, lsb);
    } catch (IllegalStateException ex) {
      throw new IllegalStateException("the page of records from " + lower + " in bucket " + bucket
          + " is damaged", ex);
    }
  }

  private void putRun(Run run) {
    if (!overlaps(run)) {
      MVMap<UUID, byte[]> pages = MvStoreBuckets.open(store, MvStoreBuckets.pagesName(run.bucket()));
      for (byte[] page : run.pages()) {
        pages.put(new UUID(MvStorePage.msb(page, 0), MvStorePage.lsb(page, 0)), page);
      }
      countChanges.merge(run.bucket(), (long) run.count(), Long::sum);
      return;
    }
    for (byte[] page : run.pages()) {
      for (int i = 0; i < MvStorePage.count(page); i++) {
        put(run.bucket(), new UUID(MvStorePage.msb(page, i), MvStorePage.lsb(page, i)),
            Arrays.copyOfRange(page, MvStorePage.start(page, i), MvStorePage.end(page, i)));
      }
    }
  }

  /** Whether the run's span touches a record of its bucket or the span of one of its pages. */
  private boolean overlaps(Run run) {
    String bucket = run.bucket();
    MVMap<UUID, byte[]> entries = MvStoreBuckets.entriesOrNull(store, bucket);
    if (entries != null && within(entries.ceilingKey(run.first()), run.last())) {
      return true;
    }
    MVMap<UUID, byte[]> pages = MvStoreBuckets.pagesOrNull(store, bucket);
    if (pages == null) {
      return false;
    }
    if (within(pages.ceilingKey(run.first()), run.last())) {
      return true;
    }
    UUID below = pages.floorKey(run.first());
    if (below == null) {
      return false;
    }
    long msb = run.first().getMostSignificantBits();
    long lsb = run.first().getLeastSignificantBits();
    Map<UUID, PageEdit> bucketEdits = edits.get(bucket);
    PageEdit e = bucketEdits == null ? null : bucketEdits.get(below);
    if (e != null) {
      return e.reaches(msb, lsb);
    }
    byte[] page = pages.get(below);
    // The search checks that the page's count fits it before its last key is read.
    find(bucket, below, page, msb, lsb);
    int n = MvStorePage.count(page);
    return MvStorePage.compare(MvStorePage.msb(page, n - 1), MvStorePage.lsb(page, n - 1), msb, lsb) >= 0;
  }

  private static boolean within(UUID key, UUID last) {
    return key != null && UuidKeyType.INSTANCE.compare(key, last) <= 0;
  }

  private void writeEdits() {
    for (Map.Entry<String, Map<UUID, PageEdit>> b : edits.entrySet()) {
      if (b.getValue().isEmpty()) {
        continue;
      }
      String bucket = b.getKey();
      RecordChecksum checksum = RecordChecksum.of(bucket);
      MVMap<UUID, byte[]> pages = MvStoreBuckets.open(store, MvStoreBuckets.pagesName(bucket));
      for (PageEdit e : b.getValue().values()) {
        if (e.size == 0) {
          pages.remove(e.lower);
        } else {
          pages.put(e.lower, MvStorePage.encode(checksum, e.keys, e.framed, e.size));
        }
        if (e.size != e.before) {
          countChanges.merge(bucket, (long) (e.size - e.before), Long::sum);
        }
      }
    }
  }

  private void writeCounts() {
    if (countChanges.isEmpty()) {
      return;
    }
    MVMap<String, Long> counts = MvStoreBuckets.counts(store);
    for (Map.Entry<String, Long> c : countChanges.entrySet()) {
      Long now = counts.get(c.getKey());
      long n = (now == null ? 0 : now) + c.getValue();
      if (n == 0) {
        counts.remove(c.getKey());
        String pages = MvStoreBuckets.pagesName(c.getKey());
        if (store.hasMap(pages) && MvStoreBuckets.open(store, pages).isEmpty()) {
          store.removeMap(pages);
        }
      } else {
        counts.put(c.getKey(), n);
      }
    }
  }
}
