package dev.kmsengine.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.logging.Logger;
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
 * batch is applied and committed: a reader sees whole commits only.
 *
 * <h2>A failed commit</h2>
 * A commit that fails (a full disk, an I/O error) fails alone. MVStore closes itself on a write error, with the
 * batch half applied in its memory; this class then reopens the file, under the write lock, so the half batch is
 * never visible and the file's newest complete commit is what readers see. If the chunk was wholly written and
 * only its sync failed, that commit may be the batch itself (reported as "may not be on disk"); otherwise it is
 * the commit before it. The {@link StoreException} names the file and the cause ("the disk is full", or the I/O
 * error's message). Reads go on; the next commit is attempted normally, so writes succeed again as soon as space
 * is back, without a restart. If the file cannot be reopened for writing, it is reopened read-only and the next
 * commit tries again; if it cannot be reopened at all, every call throws, naming why.
 *
 * <h2>Integrity</h2>
 * Every value is stored framed with a CRC-32C of its bucket, key and value ({@link RecordChecksum}); MVStore itself
 * checks only its chunk headers. {@link #open} checks every record, and every read checks the record it returns, so
 * a flipped bit in a live record is refused with a message naming its bucket and key, and never served. The
 * at-open check reads every record once. Measured with a million 62-byte VEK blobs on a shared, loaded 2-core box:
 * opening took about 2 s, of which the checksums were 0.1 to 0.25 s and the rest the read of every page that the
 * open already did before records were checksummed; 10 million records open in tens of seconds. That is a start-up
 * cost, paid once, against damage found in the middle of a rekey, so the full check at open stays (no sampling).
 * A file of format 1 (no checksums) is migrated on open: every value is framed in one commit, and a failure leaves
 * it at format 1.
 *
 * <h2>Refusing to open</h2>
 * {@link #open} never resets or rewrites a file it cannot use. It throws a {@link StoreException} naming the file
 * when the file is locked by another process (or already open in this one), corrupt, truncated, empty, not a
 * kms-engine database, or written by a newer format. A new database is created under a temporary name and moved
 * into place only once its first commit is on disk, so an existing file at the path is always a database that
 * was complete once: an empty or unreadable one is damage, not a database to start afresh. A file whose newest
 * readable commit is older than its commit marker ({@code file} + {@code ".commit"}, written after every commit)
 * has lost commits and is refused too. Opening reads and checks every record once, so damage surfaces at start
 * rather than in the middle of a rekey.
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
  public static final int FORMAT_VERSION = 2;
  /** The first version whose values carry a {@link RecordChecksum}; older files are migrated on open. */
  private static final int CHECKSUMMED = 2;
  private static final String BUCKET_MAP = "bucket:";
  private static final Logger LOG = Logger.getLogger(MvStoreClusterDatabase.class.getName());

  private final Path file;
  private final CommitMarker marker;
  private final ConfigProtectionKey configKey;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** The open store; replaced after a failed commit. Null only while it cannot be reopened. Guarded by lock. */
  private MVStore store;
  /** Whether {@link #store} was reopened read-only after a failed commit. Guarded by lock. */
  private boolean readOnly;
  /** Why {@link #store} is null. Guarded by lock. */
  private StoreException unusable;
  /** The newest version the marker holds; a reopened file must have reached it. Guarded by lock. */
  private long committed;
  private boolean closed;

  private MvStoreClusterDatabase(Path file, MVStore store, CommitMarker marker, long committed,
      ConfigProtectionKey configKey) {
    this.file = file;
    this.store = store;
    this.marker = marker;
    this.committed = committed;
    this.configKey = configKey;
  }

  /**
   * Opens the database in {@code file}, creating it (and its directory) if neither it nor its commit marker
   * ({@code file} + {@code ".commit"}) exists, and migrating a file of an older format.
   *
   * @param file the database file
   * @return the open database; close it when done
   * @throws StoreException if the file exists but cannot be used as it is (a damaged record among them, named);
   *     nothing is written to it then
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
      if (version < CHECKSUMMED) {
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

  /** Frames every value of a file of format {@code from} with its checksum, in one commit; returns its version. */
  private static long migrate(Path path, MVStore store, CommitMarker marker, int from) {
    long records = 0;
    try {
      for (String name : new ArrayList<>(store.getMapNames())) {
        if (!name.startsWith(BUCKET_MAP)) {
          continue;
        }
        String bucket = name.substring(BUCKET_MAP.length());
        MVMap<UUID, byte[]> map = openBucket(store, name);
        List<Map.Entry<UUID, byte[]>> entries = new ArrayList<>(map.entrySet());
        for (Map.Entry<UUID, byte[]> e : entries) {
          UUID k = e.getKey();
          byte[] v = e.getValue();
          map.put(k, RecordChecksum.frame(bucket, k.getMostSignificantBits(), k.getLeastSignificantBits(), v, 0,
              v.length));
        }
        records += entries.size();
      }
      store.setStoreVersion(FORMAT_VERSION);
      store.commit();
      store.sync();
      long version = store.getCurrentVersion();
      marker.record(version);
      long n = records;
      LOG.info(() -> "migrated cluster database " + path + " from format " + from + " to " + FORMAT_VERSION + ": "
          + n + " records checksummed");
      return version;
    } catch (RuntimeException | IOException e) {
      closeQuietly(marker);
      throw new StoreException("Cluster database " + path + " has format " + from + " and could not be migrated to"
          + " format " + FORMAT_VERSION + " (" + cause(e) + "). The file is unchanged; free space or fix the cause"
          + " and start again.", e);
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
   * Reads and checks every record once. MVStore reads pages lazily; without this a damaged page or record would
   * surface in the middle of some later operation instead of at start.
   */
  private static void verify(MVStore store, Path path, boolean checksummed) {
    try {
      for (String name : store.getMapNames()) {
        if (!name.startsWith(BUCKET_MAP)) {
          continue;
        }
        String bucket = name.substring(BUCKET_MAP.length());
        MVMap<UUID, byte[]> map = openBucket(store, name);
        long n = 0;
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
          UUID k = e.getKey();
          if (k == null || e.getValue() == null) {
            throw new StoreException("Cluster database " + path + " has a damaged entry in bucket " + bucket + ".");
          }
          if (checksummed && !RecordChecksum.intact(bucket, k.getMostSignificantBits(), k.getLeastSignificantBits(),
              e.getValue())) {
            throw damaged(path, bucket, k, "refusing to open it");
          }
          n++;
        }
        if (n != map.sizeAsLong()) {
          throw new StoreException("Cluster database " + path + " is inconsistent in bucket " + bucket + ".");
        }
      }
    } catch (MVStoreException e) {
      throw describe(path, e);
    } catch (IllegalStateException | IllegalArgumentException | ClassCastException e) {
      throw new StoreException("Cluster database " + path + " is corrupt: refusing to use it ("
          + e.getClass().getSimpleName() + ").", e);
    }
  }

  private static StoreException damaged(Path path, String bucket, UUID key, String consequence) {
    return new StoreException("Cluster database " + path + ": record " + key + " in bucket " + bucket
        + " is damaged (its checksum does not match its content); " + consequence + ". Restore the database from a"
        + " backup.");
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

  /** The store to read from; call under either lock. */
  private MVStore readable() {
    if (closed) {
      throw new StoreException("Cluster database " + file + " is closed.");
    }
    if (store == null) {
      throw new StoreException("Cluster database " + file + " cannot be used: " + unusable.getMessage(), unusable);
    }
    return store;
  }

  private MVMap<UUID, byte[]> mapOrNull(String bucket) {
    MVStore s = readable();
    String name = mapName(bucket);
    return s.hasMap(name) ? openBucket(s, name) : null;
  }

  /** The value inside {@code framed}, after checking it is the record stored under {@code key} in {@code bucket}. */
  private byte[] unframe(String bucket, UUID key, byte[] framed) {
    check(bucket, key.getMostSignificantBits(), key.getLeastSignificantBits(), framed);
    return Arrays.copyOf(framed, framed.length - RecordChecksum.LENGTH);
  }

  private void check(String bucket, long msb, long lsb, byte[] framed) {
    if (!RecordChecksum.intact(bucket, msb, lsb, framed)) {
      throw damaged(file, bucket, new UUID(msb, lsb), "refusing to serve it");
    }
  }

  @Override
  public byte[] get(String bucket, UUID key) {
    lock.readLock().lock();
    try {
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      byte[] framed = map == null ? null : map.get(key);
      return framed == null ? null : unframe(bucket, key, framed);
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
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      if (map != null) {
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
          action.accept(e.getKey(), unframe(bucket, e.getKey(), e.getValue()));
        }
      }
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** As {@link #forEach}, with each record checked and shown in place, without its frame and without a copy. */
  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    lock.readLock().lock();
    try {
      MVMap<UUID, byte[]> map = mapOrNull(bucket);
      if (map != null) {
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
          long msb = e.getKey().getMostSignificantBits();
          long lsb = e.getKey().getLeastSignificantBits();
          byte[] framed = e.getValue();
          check(bucket, msb, lsb, framed);
          visitor.visit(msb, lsb, framed, 0, framed.length - RecordChecksum.LENGTH);
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
      MVStore s = readable();
      String start = mapName(prefix);
      List<String> out = new ArrayList<>();
      for (String name : s.getMapNames()) {
        if (name.startsWith(start) && !openBucket(s, name).isEmpty()) {
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

  /** A mutation with its value already framed; {@code value} null for a delete, {@code key} null for a drop. */
  private record Framed(String map, UUID key, byte[] value) {}

  /** The batch's mutations with every value framed; done before the lock, on the committing thread. */
  private static List<Framed> frame(WriteBatch batch) {
    List<Framed> out = new ArrayList<>(batch.size());
    for (Object step : batch.steps()) {
      if (step instanceof WriteBatch.PackedPuts p) {
        String name = mapName(p.bucket());
        for (int j = 0; j < p.count(); j++) {
          int k = 2 * (p.keyIndex() + j);
          long msb = p.keys()[k];
          long lsb = p.keys()[k + 1];
          out.add(new Framed(name, new UUID(msb, lsb),
              RecordChecksum.frame(p.bucket(), msb, lsb, p.values(), p.offset() + j * p.length(), p.length())));
        }
      } else {
        WriteBatch.Mutation m = (WriteBatch.Mutation) step;
        byte[] v = m.value();
        out.add(new Framed(mapName(m.bucket()), m.key(), v == null ? null : RecordChecksum.frame(m.bucket(),
            m.key().getMostSignificantBits(), m.key().getLeastSignificantBits(), v, 0, v.length)));
      }
    }
    return out;
  }

  @Override
  public void commit(WriteBatch batch) {
    Objects.requireNonNull(batch, "batch");
    // Framed before the lock: a rekey's packed puts become an object per entry here, on the committing worker,
    // not while every other writer waits.
    List<Framed> mutations = frame(batch);
    lock.writeLock().lock();
    try {
      if (closed) {
        throw new StoreException("Cluster database " + file + " is closed.");
      }
      writable();
      boolean written = false;
      try {
        apply(mutations);
        store.commit();
        written = true;
        store.sync();
        long version = store.getCurrentVersion();
        marker.record(version);
        committed = version;
      } catch (RuntimeException | IOException e) {
        StoreException failure = new StoreException("Commit to cluster database " + file + " failed: " + cause(e)
            + ". " + (written ? "The batch was written but may not be on disk." : "Nothing of it was applied.")
            + " Reads go on; writes succeed again once the cause is fixed.", e);
        reopen();
        throw failure;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Makes {@link #store} writable, reopening it read-write if a failed commit left it read-only or closed. Called
   * under the write lock.
   */
  private void writable() {
    if (store != null && !readOnly) {
      return;
    }
    closeStore();
    try {
      store = openChecked(false);
      readOnly = false;
      unusable = null;
      LOG.info(() -> "cluster database " + file + " is writable again");
    } catch (StoreException e) {
      reopenReadOnly(e);
      throw new StoreException("Cluster database " + file + " cannot be written: " + e.getMessage(), e);
    }
  }

  /**
   * Closes the store a commit failed in, discarding whatever of the batch is in its memory, and reopens the file
   * at its newest complete commit. Called under the write lock.
   */
  private void reopen() {
    closeStore();
    try {
      store = openChecked(false);
      readOnly = false;
    } catch (StoreException e) {
      reopenReadOnly(e);
    }
  }

  private void reopenReadOnly(StoreException writeFailure) {
    try {
      store = openChecked(true);
      readOnly = true;
    } catch (StoreException e) {
      e.addSuppressed(writeFailure);
      unusable = e;
      LOG.severe(() -> "cluster database " + file + " cannot be reopened after a failed commit: " + e.getMessage());
    }
  }

  private MVStore openChecked(boolean readOnlyOpen) {
    MVStore s = openStore(file, readOnlyOpen);
    try {
      requireComplete(file, s.getCurrentVersion(), committed);
      return s;
    } catch (RuntimeException e) {
      s.closeImmediately();
      throw e;
    }
  }

  private void closeStore() {
    if (store != null) {
      try {
        store.closeImmediately();
      } catch (RuntimeException e) {
        // Already closed by MVStore itself after the write error; nothing of it is used again.
      }
      store = null;
    }
  }

  private void apply(List<Framed> mutations) {
    for (Framed m : mutations) {
      if (m.key() == null) {
        if (store.hasMap(m.map())) {
          store.removeMap(m.map());
        }
      } else if (m.value() == null) {
        if (store.hasMap(m.map())) {
          openBucket(store, m.map()).remove(m.key());
        }
      } else {
        openBucket(store, m.map()).put(m.key(), m.value());
      }
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      configKey.destroy();
      if (closed) {
        return;
      }
      closed = true;
      // Every change was committed and synced already; close only releases the file and its lock.
      closeStore();
      closeQuietly(marker);
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
   * Holds the write lock throughout; it costs about as much as reading and writing every entry once. A failure
   * before the rename leaves the database as it was; one after it leaves the store unusable until reopened.
   */
  @Override
  public void purgeHistory() {
    lock.writeLock().lock();
    try {
      if (closed) {
        throw new StoreException("Cluster database " + file + " is closed.");
      }
      writable();
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
        throw new StoreException("Rewriting cluster database " + file + " failed (" + cause(e) + "); it is"
            + " unchanged.", e);
      }
      closeStore();
      committed = version;
      try {
        Files.move(copyPath, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.getParent());
        store = openChecked(false);
        readOnly = false;
      } catch (IOException | RuntimeException e) {
        unusable = new StoreException("Rewriting cluster database " + file + " failed after the old file was"
            + " closed (" + cause(e) + "). Reopen it.", e);
        throw unusable;
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

  private static void closeQuietly(CommitMarker marker) {
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
