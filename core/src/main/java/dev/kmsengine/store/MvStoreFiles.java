package dev.kmsengine.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

/**
 * The files of an {@link MvStoreClusterDatabase} before it is open: their names, their creation, the check of every
 * record at start, the migration of an older format, and what an MVStore failure means to an operator.
 *
 * <p>Beside the database file live its commit marker and its {@link ConfigProtectionKey} ({@code file} +
 * {@value ConfigProtectionKey#FILE_SUFFIX}). All are mode 0600 whatever the umask (narrowed on open if an older
 * engine left them wider), and a directory created here is 0700; an existing directory keeps its mode.
 * {@link MvStoreClusterDatabase#purgeHistory} rewrites the file with the current version of every entry only:
 * MVStore's copy-on-write chunks otherwise keep earlier values in the file until their space happens to be reused.
 *
 * <p>Stateless; thread-safe.
 */
final class MvStoreFiles {
  /** Format 2 frames every value with its {@link RecordChecksum}; format 3 adds pages ({@link MvStorePage}). */
  static final int CHECKSUMMED = 2;
  private static final int FORMAT_VERSION = MvStoreClusterDatabase.FORMAT_VERSION;
  static final Logger LOG = Logger.getLogger(MvStoreClusterDatabase.class.getName());

  private MvStoreFiles() {}

  /**
   * Brings a file of format {@code from} to {@link MvStoreClusterDatabase#FORMAT_VERSION} in one commit; returns
   * its version. From format 1, every value is framed with its checksum. Format 2's layout is format 3's without
   * pages ({@link MvStoreBuckets}), so from format 2 only the version changes: the next large commit to a bucket
   * (a rekey's) writes pages, and an engine that cannot read them refuses the file by its version.
   */
  static long migrate(Path path, MVStore store, CommitMarker marker, int from) {
    long records = 0;
    try {
      if (from < CHECKSUMMED) {
        for (String bucket : MvStoreBuckets.names(store, "")) {
          MVMap<UUID, byte[]> map = MvStoreBuckets.entriesOrNull(store, bucket);
          RecordChecksum checksum = RecordChecksum.of(bucket);
          List<Map.Entry<UUID, byte[]>> entries = new ArrayList<>(map.entrySet());
          for (Map.Entry<UUID, byte[]> e : entries) {
            UUID k = e.getKey();
            byte[] v = e.getValue();
            map.put(k, checksum.frame(k.getMostSignificantBits(), k.getLeastSignificantBits(), v, 0, v.length));
          }
          records += entries.size();
        }
      }
      store.setStoreVersion(FORMAT_VERSION);
      store.commit();
      store.sync();
      long version = store.getCurrentVersion();
      marker.record(version);
      long n = records;
      LOG.info(() -> "migrated cluster database " + path + " from format " + from + " to " + FORMAT_VERSION
          + (from < CHECKSUMMED ? ": " + n + " records checksummed" : ""));
      return version;
    } catch (RuntimeException | IOException e) {
      closeQuietly(marker);
      throw new StoreException("Cluster database " + path + " has format " + from + " and could not be migrated to"
          + " format " + FORMAT_VERSION + " (" + cause(e) + "). The file is unchanged; free space or fix the cause"
          + " and start again.", e);
    }
  }

  static Path keyFileOf(Path path) {
    return path.resolveSibling(path.getFileName() + ConfigProtectionKey.FILE_SUFFIX);
  }

  static void requireComplete(Path path, long found, long committed) {
    if (found < committed) {
      throw new StoreException("Cluster database " + path + " is truncated or damaged: its newest readable commit"
          + " is version " + found + " but version " + committed + " was committed. Refusing to use it;"
          + " restore it from a backup.");
    }
  }

  static Path markerOf(Path path) {
    return path.resolveSibling(path.getFileName() + ".commit");
  }

  static Path temp(Path path) {
    return path.resolveSibling(path.getFileName() + ".creating");
  }

  static MVStore openStore(Path path, boolean readOnly) {
    MVStore.Builder b = builder(path);
    try {
      MVStore store = (readOnly ? b.readOnly() : b).open();
      // Every commit is synced before it returns, so a dead chunk's space can be reused at once: see
      // MvStoreClusterDatabase, "Atomic and durable".
      store.setRetentionTime(0);
      return store;
    } catch (MVStoreException e) {
      throw describe(path, e);
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new StoreException("Cluster database " + path + " cannot be opened: it is corrupt or unreadable ("
          + e.getClass().getSimpleName() + ").", e);
    }
  }

  /**
   * No background writer and no automatic commit. {@code autoCommitDisabled} alone only stops the background
   * thread: MVStore still commits by itself in the middle of a large batch once its unsaved changes exceed the
   * write buffer, which would make part of a batch durable. A buffer size of 0 turns that off too.
   */
  static MVStore.Builder builder(Path path) {
    return new MVStore.Builder().fileName(path.toString()).autoCommitDisabled().autoCommitBufferSize(0);
  }

  static StoreException describe(Path path, MVStoreException e) {
    String why = switch (e.getErrorCode()) {
      case DataUtils.ERROR_FILE_LOCKED -> " is locked: another process (or this one) has it open.";
      case DataUtils.ERROR_UNSUPPORTED_FORMAT -> " was written by an MVStore format this engine cannot read.";
      case DataUtils.ERROR_FILE_CORRUPT, DataUtils.ERROR_CHUNK_NOT_FOUND, DataUtils.ERROR_BLOCK_NOT_FOUND ->
          " is corrupt or truncated: refusing to use it. Restore it from a backup.";
      case DataUtils.ERROR_READING_FAILED -> " cannot be read (" + cause(e) + "): it is corrupt, truncated or"
          + " unreadable.";
      case DataUtils.ERROR_WRITING_FAILED -> " cannot be written: " + cause(e) + ".";
      default -> " cannot be opened (MVStore error " + e.getErrorCode() + ").";
    };
    return new StoreException("Cluster database " + path + why, e);
  }

  /**
   * What went wrong at the bottom of {@code e}'s chain, as an operator reads it: "the disk is full (No space left
   * on device)" for ENOSPC or a quota, else the innermost I/O error's message.
   */
  static String cause(Throwable e) {
    IOException io = null;
    for (Throwable c = e; c != null && c != c.getCause(); c = c.getCause()) {
      if (c instanceof IOException i) {
        io = i;
      }
      String m = c.getMessage();
      if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
        return "the disk is full (" + (m.contains("quota") ? "Disk quota exceeded" : "No space left on device") + ")";
      }
    }
    if (io != null) {
      return "I/O error: " + io.getClass().getSimpleName() + (io.getMessage() == null ? "" : " " + io.getMessage());
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /**
   * Reads and checks every record once, and every bucket's layout (pages in order, no key stored twice, the
   * recorded counts). MVStore reads pages lazily; without this a damaged page or record would surface in the middle
   * of some later operation instead of at start.
   */
  static void verify(MVStore store, Path path, boolean checksummed) {
    try {
      for (String bucket : MvStoreBuckets.names(store, "")) {
        long n;
        if (checksummed) {
          n = MvStoreBuckets.scan(store, path, bucket, (msb, lsb, value, offset, length) -> { }, "refusing to open it");
        } else {
          n = 0;
          for (Map.Entry<UUID, byte[]> e : MvStoreBuckets.entriesOrNull(store, bucket).entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
              throw new StoreException("Cluster database " + path + " has a damaged entry in bucket " + bucket + ".");
            }
            n++;
          }
        }
        if (n != MvStoreBuckets.count(store, bucket)) {
          throw MvStoreBuckets.inconsistent(path, bucket, "it holds " + n + " records, not the "
              + MvStoreBuckets.count(store, bucket) + " recorded");
        }
      }
      if (store.hasMap(MvStoreBuckets.COUNTS)) {
        for (String bucket : MvStoreBuckets.counts(store).keySet()) {
          if (!store.hasMap(MvStoreBuckets.pagesName(bucket))) {
            throw MvStoreBuckets.inconsistent(path, bucket, "it has a count of paged records but no pages");
          }
        }
      }
    } catch (MVStoreException e) {
      throw describe(path, e);
    } catch (IllegalStateException | IllegalArgumentException | ClassCastException e) {
      throw new StoreException("Cluster database " + path + " is corrupt: refusing to use it ("
          + e.getClass().getSimpleName() + ").", e);
    }
  }

  static StoreException damaged(Path path, String bucket, UUID key, String consequence) {
    return new StoreException("Cluster database " + path + ": record " + key + " in bucket " + bucket
        + " is damaged (its checksum does not match its content); " + consequence + ". Restore the database from a"
        + " backup.");
  }

  /**
   * Creates an empty database and its marker under temporary names, then moves the database and then the marker
   * into place, each already synced. {@link #open} finishes a creation interrupted between the two moves.
   */
  static void create(Path path, Path marker) throws IOException {
    Path dir = path.getParent();
    if (dir != null) {
      OwnerOnlyFiles.createDirectories(dir);
    }
    Path dbTemp = temp(path);
    Path markerTemp = temp(marker);
    Files.deleteIfExists(dbTemp);
    Files.deleteIfExists(markerTemp);
    long version;
    MVStore store = builder(dbTemp).open();
    try {
      OwnerOnlyFiles.restrict(dbTemp, OwnerOnlyFiles.FILE);
      store.setStoreVersion(FORMAT_VERSION);
      store.commit();
      store.sync();
      version = store.getCurrentVersion();
    } finally {
      store.closeImmediately();
    }
    CommitMarker.create(markerTemp, version);
    OwnerOnlyFiles.restrict(markerTemp, OwnerOnlyFiles.FILE);
    Files.move(dbTemp, path, StandardCopyOption.ATOMIC_MOVE);
    Files.move(markerTemp, marker, StandardCopyOption.ATOMIC_MOVE);
    if (dir != null) {
      syncDirectory(dir);
    }
  }

  /** Makes the rename itself durable. Some platforms cannot open a directory; there the rename is best effort. */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not supported here (e.g. Windows): the file itself is synced, only the rename may need the next sync.
    }
  }

  static void closeQuietly(CommitMarker marker) {
    try {
      marker.close();
    } catch (IOException e) {
      // Only a read-write handle on a 1 KB file whose content is synced: nothing can be lost by failing to close it.
    }
  }

  /** See {@link MvStoreClusterDatabase#open}. */
  static MvStoreClusterDatabase open(Path file) {
    Path path = file.toAbsolutePath();
    Path marker = markerOf(path);
    long committed;
    try {
      Path markerTemp = temp(marker);
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        if (Files.exists(marker, LinkOption.NOFOLLOW_LINKS)) {
          throw new StoreException("Cluster database " + path + " is missing but its commit marker " + marker
              + " exists: the database was moved or deleted. Restore it; refusing to start afresh.");
        }
        create(path, marker);
      } else if (!Files.exists(marker, LinkOption.NOFOLLOW_LINKS) && Files.exists(markerTemp)) {
        // A creation was interrupted between moving the database and its (already synced) marker into place.
        Files.move(markerTemp, marker, StandardCopyOption.ATOMIC_MOVE);
      }
      if (!Files.isRegularFile(path)) {
        throw new StoreException("Cluster database " + path + " is not a regular file.");
      }
      if (Files.size(path) == 0) {
        throw new StoreException("Cluster database " + path
            + " is empty (truncated): refusing to start afresh over it. Restore it from a backup.");
      }
      if (!Files.exists(marker)) {
        throw new StoreException("Commit marker " + marker + " of cluster database " + path
            + " is missing: cannot tell whether the database is complete. Restore it from a backup.");
      }
      committed = CommitMarker.read(marker);
      OwnerOnlyFiles.restrict(path, OwnerOnlyFiles.FILE);
      OwnerOnlyFiles.restrict(marker, OwnerOnlyFiles.FILE);
    } catch (IOException e) {
      throw new StoreException("Cluster database " + path + " cannot be read: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      throw new StoreException("Commit marker " + marker + " of cluster database " + path + " is damaged.", e);
    }
    // Everything is checked on a read-only open first, so a file that is refused is never written to.
    int version;
    MVStore check = openStore(path, true);
    try {
      version = check.getStoreVersion();
      if (version > FORMAT_VERSION) {
        throw new StoreException("Cluster database " + path + " has format version " + version
            + ", newer than this engine supports (" + FORMAT_VERSION + "). Use a newer engine.");
      }
      if (version < 1) {
        throw new StoreException("File " + path + " is an MVStore file but not a kms-engine cluster database.");
      }
      requireComplete(path, check.getCurrentVersion(), committed);
      verify(check, path, version >= CHECKSUMMED);
    } finally {
      check.closeImmediately();
    }
    ConfigProtectionKey key = ConfigProtectionKey.openOrCreate(keyFileOf(path));
    MVStore store = openStore(path, false);
    try {
      requireComplete(path, store.getCurrentVersion(), committed);
      CommitMarker m = CommitMarker.open(marker);
      if (version < FORMAT_VERSION) {
        committed = migrate(path, store, m, version);
      }
      return new MvStoreClusterDatabase(path, store, m, committed, key);
    } catch (IOException e) {
      store.closeImmediately();
      throw new StoreException("Commit marker " + marker + " cannot be opened: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      store.closeImmediately();
      throw e;
    }
  }
  /** Writes every bucket of {@code store} into a new file {@code copyPath}, synced; returns its version. */
  static long copyBuckets(MVStore store, Path copyPath) throws IOException {
    long version;
    Files.deleteIfExists(copyPath);
    MVStore copy = builder(copyPath).open();
    try {
      OwnerOnlyFiles.restrict(copyPath, OwnerOnlyFiles.FILE);
      copy.setStoreVersion(store.getStoreVersion());
      for (String name : store.getMapNames()) {
        if (name.startsWith(MvStoreBuckets.ENTRIES) || name.startsWith(MvStoreBuckets.PAGES)) {
          MVMap<UUID, byte[]> to = MvStoreBuckets.open(copy, name);
          for (Map.Entry<UUID, byte[]> e : MvStoreBuckets.open(store, name).entrySet()) {
            to.put(e.getKey(), e.getValue());
          }
        }
      }
      if (store.hasMap(MvStoreBuckets.COUNTS)) {
        MvStoreBuckets.counts(copy).putAll(MvStoreBuckets.counts(store));
      }
      copy.commit();
      copy.sync();
      version = copy.getCurrentVersion();
    } finally {
      copy.closeImmediately();
    }
    return version;
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover copy is deleted by the next rewrite; it holds nothing the database does not.
    }
  }
}
