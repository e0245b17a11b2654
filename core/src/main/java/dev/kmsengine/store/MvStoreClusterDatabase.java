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
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;

/**
 * A durable {@link ClusterDatabase} in one file, on H2's MVStore.
 *
 * <h2>Layout</h2>
 * Each bucket is one MVMap named {@code bucket:} + the bucket name, from uuid to bytes, so a drop is one
 * {@code removeMap} whatever the bucket's size. The store's header carries {@link #FORMAT_VERSION}.
 *
 * <h2>Atomic and durable</h2>
 * MVStore is copy-on-write: changes to any number of maps are written by one {@code commit()} as one new chunk,
 * and the file header points at the newest complete chunk. A crash part-way through writing a chunk leaves the
 * previous chunk current, so a {@link WriteBatch} (puts, deletes and drops alike) is applied whole or not at all.
 * {@link #commit} returns only after the chunk is written <em>and</em> {@code FileChannel.force(true)} (fsync)
 * has returned: "durable" here means that a process crash, SIGKILL or power loss after {@code commit} returns
 * cannot lose the batch, as far as the operating system and disk honour fsync. MVStore's background writer and
 * its automatic commits are disabled, so nothing is ever written except by {@link #commit}, and a batch of any
 * size is one store version. Old chunks are kept for MVStore's default retention time (45 s) before their space
 * is reused, so a burst of large commits (a rekey) grows the file until that space is reused.
 *
 * <p>MVStore shows uncommitted map changes to readers at once, so a read-write lock keeps readers out while a
 * batch is applied and committed: a reader sees whole commits only. If a commit fails (an I/O error), the store is
 * closed at once without writing anything more, the in-memory half of the batch is discarded with it, and every
 * later call throws {@link StoreException}; reopening the file finds the last commit that completed.
 *
 * <h2>Refusing to open</h2>
 * {@link #open} never resets or rewrites a file it cannot use. It throws a {@link StoreException} naming the file
 * when the file is locked by another process (or already open in this one), corrupt, truncated, empty, not a
 * kms-engine database, or written by a newer format. A new database is created under a temporary name and moved
 * into place only once its first commit is on disk, so an existing file at the path is always a database that
 * was complete once: an empty or unreadable one is damage, not a database to start afresh. A file whose newest
 * readable commit is older than its commit marker ({@code file} + {@code ".commit"}, written after every commit)
 * has lost commits and is refused too. Opening reads every entry once, so damage surfaces at start rather than in
 * the middle of a rekey; that costs about a second per million entries.
 *
 * <h2>Files and permissions</h2>
 * Beside the database file live its commit marker and its {@link ConfigProtectionKey} ({@code file} +
 * {@value ConfigProtectionKey#FILE_SUFFIX}). All are mode 0600 whatever the umask (narrowed on open if an older
 * engine left them wider), and a directory created here is 0700; an existing directory keeps its mode.
 * {@link #purgeHistory} rewrites the file with the current version of every entry only: MVStore's copy-on-write
 * chunks otherwise keep earlier values in the file until their space happens to be reused.
 *
 * <p>Thread-safe. Values are neither copied in nor out, as {@link ClusterDatabase} allows.
 */
public final class MvStoreClusterDatabase implements ClusterDatabase {
  /** The layout version this code writes, stored in the file's header; newer files are refused. */
  public static final int FORMAT_VERSION = 1;
  private static final String BUCKET_MAP = "bucket:";

  private final Path file;
  /** Replaced only by {@link #purgeHistory}, under the write lock. */
  private MVStore store;
  private final CommitMarker marker;
  private final ConfigProtectionKey configKey;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile Exception failure;
  private boolean closed;

  private MvStoreClusterDatabase(Path file, MVStore store, CommitMarker marker, ConfigProtectionKey configKey) {
    this.file = file;
    this.store = store;
    this.marker = marker;
    this.configKey = configKey;
  }

  /**
   * Opens the database in {@code file}, creating it (and its directory) if neither it nor its commit marker
   * ({@code file} + {@code ".commit"}) exists.
   *
   * @param file the database file
   * @return the open database; close it when done
   * @throws StoreException if the file exists but cannot be used as it is; nothing is written to it then
   */
  public static MvStoreClusterDatabase open(Path file) {
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
    MVStore check = openStore(path, true);
    try {
      int version = check.getStoreVersion();
      if (version > FORMAT_VERSION) {
        throw new StoreException("Cluster database " + path + " has format version " + version
            + ", newer than this engine supports (" + FORMAT_VERSION + "). Use a newer engine.");
      }
      if (version < 1) {
        throw new StoreException("File " + path + " is an MVStore file but not a kms-engine cluster database.");
      }
      requireComplete(path, check.getCurrentVersion(), committed);
      verify(check, path);
    } finally {
      check.closeImmediately();
    }
    ConfigProtectionKey key = ConfigProtectionKey.openOrCreate(keyFileOf(path));
    MVStore store = openStore(path, false);
    try {
      requireComplete(path, store.getCurrentVersion(), committed);
      return new MvStoreClusterDatabase(path, store, CommitMarker.open(marker), key);
    } catch (IOException e) {
      store.closeImmediately();
      throw new StoreException("Commit marker " + marker + " cannot be opened: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      store.closeImmediately();
      throw e;
    }
  }

  private static Path keyFileOf(Path path) {
    return path.resolveSibling(path.getFileName() + ConfigProtectionKey.FILE_SUFFIX);
  }

  private static void requireComplete(Path path, long found, long committed) {
    if (found < committed) {
      throw new StoreException("Cluster database " + path + " is truncated or damaged: its newest readable commit"
          + " is version " + found + " but version " + committed + " was committed. Refusing to use it;"
          + " restore it from a backup.");
    }
  }

  private static Path markerOf(Path path) {
    return path.resolveSibling(path.getFileName() + ".commit");
  }

  private static Path temp(Path path) {
    return path.resolveSibling(path.getFileName() + ".creating");
  }

  /**
   * The database file.
   *
   * @return the absolute path of the file given to {@link #open}
   */
  public Path file() {
    return file;
  }

  private static MVStore openStore(Path path, boolean readOnly) {
    MVStore.Builder b = builder(path);
    try {
      return (readOnly ? b.readOnly() : b).open();
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
  private static MVStore.Builder builder(Path path) {
    return new MVStore.Builder().fileName(path.toString()).autoCommitDisabled().autoCommitBufferSize(0);
  }

  private static StoreException describe(Path path, MVStoreException e) {
    String why = switch (e.getErrorCode()) {
      case DataUtils.ERROR_FILE_LOCKED -> " is locked: another process (or this one) has it open.";
      case DataUtils.ERROR_UNSUPPORTED_FORMAT -> " was written by an MVStore format this engine cannot read.";
      case DataUtils.ERROR_FILE_CORRUPT, DataUtils.ERROR_CHUNK_NOT_FOUND, DataUtils.ERROR_BLOCK_NOT_FOUND ->
          " is corrupt or truncated: refusing to use it. Restore it from a backup.";
      case DataUtils.ERROR_READING_FAILED -> " cannot be read: it is corrupt, truncated or unreadable.";
      default -> " cannot be opened (MVStore error " + e.getErrorCode() + ").";
    };
    return new StoreException("Cluster database " + path + why, e);
  }

  /**
   * Reads every page of every bucket once. MVStore reads pages lazily; without this a damaged page would surface
   * as an error in the middle of some later operation instead of at start.
   */
  private static void verify(MVStore store, Path path) {
    try {
      for (String name : store.getMapNames()) {
        if (!name.startsWith(BUCKET_MAP)) {
          continue;
        }
        MVMap<UUID, byte[]> map = openBucket(store, name);
        long n = 0;
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
          if (e.getKey() == null || e.getValue() == null) {
            throw new StoreException("Cluster database " + path + " has a damaged entry in bucket "
                + name.substring(BUCKET_MAP.length()) + ".");
          }
          n++;
        }
        if (n != map.sizeAsLong()) {
          throw new StoreException("Cluster database " + path + " is inconsistent in bucket "
              + name.substring(BUCKET_MAP.length()) + ".");
        }
      }
    } catch (MVStoreException e) {
      throw describe(path, e);
    } catch (IllegalStateException | IllegalArgumentException | ClassCastException e) {
      throw new StoreException("Cluster database " + path + " is corrupt: refusing to use it ("
          + e.getClass().getSimpleName() + ").", e);
    }
  }

  /**
   * Creates an empty database and its marker under temporary names, then moves the database and then the marker
   * into place, each already synced. {@link #open} finishes a creation interrupted between the two moves.
   */
  private static void create(Path path, Path marker) throws IOException {
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

  private static MVMap<UUID, byte[]> openBucket(MVStore store, String name) {
    return store.openMap(name, new MVMap.Builder<UUID, byte[]>().keyType(UuidKeyType.INSTANCE)
        .valueType(ByteArrayDataType.INSTANCE));
  }

  private static String mapName(String bucket) {
    return BUCKET_MAP + bucket;
  }

  private void checkUsable() {
    if (failure != null) {
      throw new StoreException("Cluster database " + file + " failed during a commit and was closed; reopen it.",
          failure);
    }
    if (closed) {
      throw new StoreException("Cluster database " + file + " is closed.");
    }
  }

  private MVMap<UUID, byte[]> mapOrNull(String bucket) {
    String name = mapName(bucket);
    return store.hasMap(name) ? openBucket(store, name) : null;
  }

  @Override
  public byte[] get(String bucket, UUID key) {
    lock.readLock().lock();
    try {
      checkUsable();
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      return map == null ? null : map.get(key);
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    lock.readLock().lock();
    try {
      checkUsable();
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      if (map != null) {
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
          action.accept(e.getKey(), e.getValue());
        }
      }
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public int count(String bucket) {
    lock.readLock().lock();
    try {
      checkUsable();
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      return map == null ? 0 : map.size();
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public List<String> buckets(String prefix) {
    lock.readLock().lock();
    try {
      checkUsable();
      String start = mapName(prefix);
      List<String> out = new ArrayList<>();
      for (String name : store.getMapNames()) {
        if (name.startsWith(start) && !openBucket(store, name).isEmpty()) {
          out.add(name.substring(BUCKET_MAP.length()));
        }
      }
      out.sort(null);
      return out;
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void commit(WriteBatch batch) {
    Objects.requireNonNull(batch, "batch");
    // Expanded before the lock: a rekey's packed puts become an object per entry here, on the committing worker,
    // not while every other writer waits.
    List<WriteBatch.Mutation> mutations = batch.mutations();
    lock.writeLock().lock();
    try {
      checkUsable();
      boolean written = false;
      try {
        apply(mutations);
        store.commit();
        written = true;
        store.sync();
        marker.record(store.getCurrentVersion());
      } catch (RuntimeException | IOException e) {
        // The maps may hold part of the batch in memory; closing without a write discards it, and the file still
        // ends at a complete commit: the last one before this batch, or (if only the sync or the marker failed)
        // this whole batch.
        failure = e;
        store.closeImmediately();
        closeMarker();
        throw new StoreException("Commit to cluster database " + file + " failed; "
            + (written ? "the batch was written but may not be on disk, wholly or not at all."
                : "nothing of it was applied.")
            + " The database was closed; reopen it.", e);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void apply(List<WriteBatch.Mutation> mutations) {
    for (WriteBatch.Mutation m : mutations) {
      String name = mapName(m.bucket());
      if (m.key() == null) {
        if (store.hasMap(name)) {
          store.removeMap(name);
        }
      } else if (m.value() == null) {
        if (store.hasMap(name)) {
          openBucket(store, name).remove(m.key());
        }
      } else {
        openBucket(store, name).put(m.key(), m.value());
      }
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      configKey.destroy();
      if (closed || failure != null) {
        closed = true;
        return;
      }
      closed = true;
      // Every change was committed and synced already; close only releases the file and its lock.
      store.closeImmediately();
      closeMarker();
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public ConfigProtectionKey configProtectionKey() {
    return configKey;
  }

  /**
   * Copies the current version of every bucket into a new file ({@code file} + {@code ".rewrite"}, 0600), lowers
   * the commit marker to the copy's version and renames the copy over the database, so no earlier version of any
   * value is left in the file. Each step is synced before the next: a crash leaves either the old file (whose
   * version is above the lowered marker) or the copy (whose version equals it), both accepted by {@link #open}.
   * Holds the write lock throughout; it costs about as much as reading and writing every entry once.
   */
  @Override
  public void purgeHistory() {
    lock.writeLock().lock();
    try {
      checkUsable();
      Path copyPath = file.resolveSibling(file.getFileName() + ".rewrite");
      long version;
      try {
        Files.deleteIfExists(copyPath);
        MVStore copy = builder(copyPath).open();
        try {
          OwnerOnlyFiles.restrict(copyPath, OwnerOnlyFiles.FILE);
          copy.setStoreVersion(store.getStoreVersion());
          for (String name : store.getMapNames()) {
            if (name.startsWith(BUCKET_MAP)) {
              MVMap<UUID, byte[]> to = openBucket(copy, name);
              for (Map.Entry<UUID, byte[]> e : openBucket(store, name).entrySet()) {
                to.put(e.getKey(), e.getValue());
              }
            }
          }
          copy.commit();
          copy.sync();
          version = copy.getCurrentVersion();
        } finally {
          copy.closeImmediately();
        }
        marker.reset(version);
      } catch (IOException | RuntimeException e) {
        deleteQuietly(copyPath);
        throw new StoreException("Rewriting cluster database " + file + " failed; it is unchanged.", e);
      }
      store.closeImmediately();
      try {
        Files.move(copyPath, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.getParent());
        store = openStore(file, false);
        requireComplete(file, store.getCurrentVersion(), version);
      } catch (IOException | RuntimeException e) {
        failure = e;
        closeMarker();
        throw new StoreException("Rewriting cluster database " + file + " failed after the old file was closed;"
            + " the database was closed. Reopen it.", e);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover copy is deleted by the next rewrite; it holds nothing the database does not.
    }
  }

  private void closeMarker() {
    try {
      marker.close();
    } catch (IOException e) {
      // Only a read-write handle on a 1 KB file whose content is synced: nothing can be lost by failing to close it.
    }
  }

  @Override
  public String toString() {
    return "MvStoreClusterDatabase[" + file + "]";
  }
}
