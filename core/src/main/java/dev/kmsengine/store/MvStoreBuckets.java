package dev.kmsengine.store;

import dev.kmsengine.store.ClusterDatabase.EntryVisitor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * Where a bucket of {@link MvStoreClusterDatabase} lives in format 3, and reading it.
 *
 * <p>A bucket is up to two MVMaps and a count:
 * <ul>
 *   <li>{@code bucket:} + name: records one per entry, from the key to the framed value ({@link RecordChecksum}),
 *       as in format 2. Small commits (a volume created, a state saved) write here.
 *   <li>{@code pages:} + name: records in {@link MvStorePage}s, from each page's lower bound to the page. A large
 *       ascending put (a rekey's staged page of blobs) writes here, a page per thousand records or so.
 *   <li>the entry under the bucket's name in the map {@value #COUNTS}: how many records its pages hold, so that
 *       a count does not read every page.
 * </ul>
 * Each key is in one place at most. A page's span is from its lower bound (its first key when it was written) to
 * its last key; spans are disjoint, so a key can only be in the page with the greatest lower bound at or below
 * it. Every read checks what it returns: a record's own checksum for a lookup, a page's checksum for a pass.
 *
 * <p>Stateless; callers hold the database's lock.
 */
final class MvStoreBuckets {
  static final String ENTRIES = "bucket:";
  static final String PAGES = "pages:";
  static final String COUNTS = "paged-counts";

  private MvStoreBuckets() {}

  static String entriesName(String bucket) {
    return ENTRIES + bucket;
  }

  static String pagesName(String bucket) {
    return PAGES + bucket;
  }

  /** The uuid-to-bytes map {@code name}, created if absent. */
  static MVMap<UUID, byte[]> open(MVStore store, String name) {
    return store.openMap(name, new MVMap.Builder<UUID, byte[]>().keyType(UuidKeyType.INSTANCE)
        .valueType(ByteArrayDataType.INSTANCE));
  }

  /** The paged-record counts, created if absent. */
  static MVMap<String, Long> counts(MVStore store) {
    return store.openMap(COUNTS, new MVMap.Builder<String, Long>().keyType(StringDataType.INSTANCE)
        .valueType(LongDataType.INSTANCE));
  }

  static MVMap<UUID, byte[]> entriesOrNull(MVStore store, String bucket) {
    String name = entriesName(bucket);
    return store.hasMap(name) ? open(store, name) : null;
  }

  static MVMap<UUID, byte[]> pagesOrNull(MVStore store, String bucket) {
    String name = pagesName(bucket);
    return store.hasMap(name) ? open(store, name) : null;
  }

  /** How many records the pages of {@code bucket} hold, as recorded. */
  static long pagedCount(MVStore store, String bucket) {
    if (!store.hasMap(COUNTS)) {
      return 0;
    }
    Long n = counts(store).get(bucket);
    return n == null ? 0 : n;
  }

  static long count(MVStore store, String bucket) {
    MVMap<UUID, byte[]> entries = entriesOrNull(store, bucket);
    return (entries == null ? 0 : entries.sizeAsLong()) + pagedCount(store, bucket);
  }

  /** The names of the buckets starting with {@code prefix} that have a map, empty or not, sorted. */
  static SortedSet<String> names(MVStore store, String prefix) {
    SortedSet<String> out = new TreeSet<>();
    for (String name : store.getMapNames()) {
      for (String kind : new String[] {ENTRIES, PAGES}) {
        if (name.startsWith(kind) && name.startsWith(prefix, kind.length())) {
          out.add(name.substring(kind.length()));
        }
      }
    }
    return out;
  }

  /**
   * The value under {@code key}, its record checked, or {@code null}.
   *
   * @throws StoreException naming the record or page if it is damaged
   */
  static byte[] get(MVStore store, Path file, String bucket, UUID key) {
    long msb = key.getMostSignificantBits();
    long lsb = key.getLeastSignificantBits();
    MVMap<UUID, byte[]> entries = entriesOrNull(store, bucket);
    byte[] framed = entries == null ? null : entries.get(key);
    if (framed != null) {
      if (!RecordChecksum.intact(bucket, msb, lsb, framed)) {
        throw MvStoreFiles.damaged(file, bucket, key, "refusing to serve it");
      }
      return Arrays.copyOf(framed, framed.length - RecordChecksum.LENGTH);
    }
    MVMap<UUID, byte[]> pages = pagesOrNull(store, bucket);
    UUID lower = pages == null ? null : pages.floorKey(key);
    if (lower == null) {
      return null;
    }
    byte[] page = pages.get(lower);
    int i;
    try {
      i = MvStorePage.find(page, msb, lsb);
    } catch (IllegalStateException e) {
      throw damagedPage(file, RecordChecksum.of(bucket), bucket, lower, page, "refusing to serve it");
    }
    if (i < 0) {
      return null;
    }
    int from = MvStorePage.start(page, i);
    int to = MvStorePage.end(page, i);
    if (!RecordChecksum.of(bucket).intact(msb, lsb, page, from, to - from)) {
      throw MvStoreFiles.damaged(file, bucket, key, "refusing to serve it");
    }
    return Arrays.copyOfRange(page, from, to - RecordChecksum.LENGTH);
  }

  /**
   * Shows {@code visitor} every record of {@code bucket} in key order, each value in place without its frame, and
   * returns how many. Every record is checked first (an entry's own checksum, a page's checksum), and so is the
   * layout: keys ascending across pages and entries, none in two places.
   *
   * @param consequence what the refusal of a damaged record means, for its message ("refusing to open it")
   * @throws StoreException naming the damaged record or page, or the bucket if its layout is inconsistent
   */
  static long scan(MVStore store, Path file, String bucket, EntryVisitor visitor, String consequence) {
    RecordChecksum checksum = RecordChecksum.of(bucket);
    MVMap<UUID, byte[]> entryMap = entriesOrNull(store, bucket);
    MVMap<UUID, byte[]> pageMap = pagesOrNull(store, bucket);
    Iterator<Map.Entry<UUID, byte[]>> entries = entryMap == null
        ? Collections.emptyIterator() : entryMap.entrySet().iterator();
    Cursor<UUID, byte[]> pages = pageMap == null ? null : pageMap.cursor(null);
    Map.Entry<UUID, byte[]> entry = next(entries, file, bucket);
    byte[] page = null;
    int at = 0;
    boolean anyPage = false;
    long lastMsb = 0;
    long lastLsb = 0;
    long visited = 0;
    while (true) {
      if ((page == null || at == MvStorePage.count(page)) && pages != null && pages.hasNext()) {
        UUID lower = pages.next();
        page = pages.getValue();
        if (page == null || !MvStorePage.intact(checksum, page)) {
          throw damagedPage(file, checksum, bucket, lower, page, consequence);
        }
        if (MvStorePage.compare(lower.getMostSignificantBits(), lower.getLeastSignificantBits(),
            MvStorePage.msb(page, 0), MvStorePage.lsb(page, 0)) > 0
            || anyPage && MvStorePage.compare(lastMsb, lastLsb, lower.getMostSignificantBits(),
                lower.getLeastSignificantBits()) >= 0) {
          throw inconsistent(file, bucket, "its pages overlap");
        }
        int n = MvStorePage.count(page);
        lastMsb = MvStorePage.msb(page, n - 1);
        lastLsb = MvStorePage.lsb(page, n - 1);
        anyPage = true;
        at = 0;
      }
      boolean pageLeft = page != null && at < MvStorePage.count(page);
      if (entry == null && !pageLeft) {
        return visited;
      }
      int c = entry == null ? 1 : !pageLeft ? -1 : MvStorePage.compare(entry.getKey().getMostSignificantBits(),
          entry.getKey().getLeastSignificantBits(), MvStorePage.msb(page, at), MvStorePage.lsb(page, at));
      if (c == 0) {
        throw inconsistent(file, bucket, "record " + entry.getKey() + " is stored twice");
      }
      if (c < 0) {
        UUID k = entry.getKey();
        byte[] framed = entry.getValue();
        if (!checksum.intact(k.getMostSignificantBits(), k.getLeastSignificantBits(), framed)) {
          throw MvStoreFiles.damaged(file, bucket, k, consequence);
        }
        visitor.visit(k.getMostSignificantBits(), k.getLeastSignificantBits(), framed, 0,
            framed.length - RecordChecksum.LENGTH);
        entry = next(entries, file, bucket);
      } else {
        int from = MvStorePage.start(page, at);
        visitor.visit(MvStorePage.msb(page, at), MvStorePage.lsb(page, at), page, from,
            MvStorePage.end(page, at) - from - RecordChecksum.LENGTH);
        at++;
      }
      visited++;
    }
  }

  private static Map.Entry<UUID, byte[]> next(Iterator<Map.Entry<UUID, byte[]>> entries, Path file,
      String bucket) {
    if (!entries.hasNext()) {
      return null;
    }
    Map.Entry<UUID, byte[]> e = entries.next();
    if (e.getKey() == null || e.getValue() == null) {
      throw new StoreException("Cluster database " + file + " has a damaged entry in bucket " + bucket + ".");
    }
    return e;
  }

  static StoreException inconsistent(Path file, String bucket, String why) {
    return new StoreException("Cluster database " + file + " is inconsistent in bucket " + bucket + " (" + why
        + "): refusing to use it. Restore it from a backup.");
  }

  /**
   * The error for a page that failed its check: naming the damaged record, as a format-2 record's damage is
   * named, when the page's layout still allows its records to be read one by one.
   */
  static StoreException damagedPage(Path file, RecordChecksum checksum, String bucket, UUID lower, byte[] page,
      String consequence) {
    int i = page == null ? -1 : MvStorePage.firstDamaged(checksum, page);
    if (i >= 0) {
      return MvStoreFiles.damaged(file, bucket, new UUID(MvStorePage.msb(page, i), MvStorePage.lsb(page, i)),
          consequence);
    }
    return new StoreException("Cluster database " + file + ": the page of records from " + lower + " in bucket "
        + bucket + " is damaged (its checksum does not match its content); " + consequence + ". Restore the"
        + " database from a backup.");
  }
}
