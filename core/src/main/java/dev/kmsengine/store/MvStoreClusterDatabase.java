package dev.kmsengine.store;

import static dev.kmsengine.store.MvStoreFiles.LOG;
import static dev.kmsengine.store.MvStoreFiles.cause;
import static dev.kmsengine.store.MvStoreFiles.closeQuietly;
import static dev.kmsengine.store.MvStoreFiles.copyBuckets;
import static dev.kmsengine.store.MvStoreFiles.deleteQuietly;
import static dev.kmsengine.store.MvStoreFiles.describe;
import static dev.kmsengine.store.MvStoreFiles.openStore;
import static dev.kmsengine.store.MvStoreFiles.requireComplete;
import static dev.kmsengine.store.MvStoreFiles.syncDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

/**
 * A durable {@link ClusterDatabase} in one file, on H2's MVStore.
 *
 * <h2>Layout</h2>
 * Format 3 ({@link MvStoreBuckets}): a bucket's records are entries of one MVMap ({@code bucket:} + its name, from
 * uuid to framed bytes, as in format 2) or, when a commit puts many of them in key order (a rekey's staged blobs),
 * {@link MvStorePage}s of about a thousand records each in a second MVMap ({@code pages:} + its name). Why: in
 * format 2 a durable rekey of a million VEKs was a million MVStore puts and the drop of a million-entry map,
 * about 2 µs each; as pages it is about 1,300 of each, and the rekey costs little more than the in-memory one. A
 * lookup in a page is a binary search. A drop is one {@code removeMap} per map whatever the bucket's size. The
 * store's header carries {@link #FORMAT_VERSION}.
 *
 * <h2>Atomic and durable</h2>
 * MVStore is copy-on-write: changes to any number of maps are written by one {@code commit()} as one new chunk,
 * and the file header points at the newest complete chunk. A crash part-way through writing a chunk leaves the
 * previous chunk current, so a {@link WriteBatch} (puts, deletes and drops alike) is applied whole or not at all.
 * {@link #commit} returns only after the chunk is written <em>and</em> {@code FileChannel.force(true)} (fsync)
 * has returned: "durable" here means that a process crash, SIGKILL or power loss after {@code commit} returns
 * cannot lose the batch, as far as the operating system and disk honour fsync. MVStore's background writer and
 * its automatic commits are disabled, so nothing is ever written except by {@link #commit}, and a batch of any
 * size is one store version.
 *
 * <p>The space of a chunk that none of the last five store versions uses (MVStore's {@code versionsToKeep}) is
 * reused by the next commit: the retention time is 0, not MVStore's 45 s. Why that is safe: the retention time is
 * for disks that have not yet written what the application was told was written; every commit here returns only
 * after fsync, so when a commit overwrites a dead chunk, every version that could be current after a crash is on
 * disk in chunks it does not touch. A crash in the middle of a commit leaves the previous version, which MVStore's
 * recovery finds (it falls back to scanning the file for the newest version whose chunks are all intact) and the
 * commit marker accepts. Readers hold the read lock, so no reader is part-way through an old version when a commit
 * frees its chunks. Why it matters: a rekey writes a whole new generation (88 MB per million VEKs); with a 45 s
 * retention every rekey grew the file by that much, and on the shared benchmark box writes that extend the file
 * took 10 to 50 times as long as writes into reused space.
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
 * A page carries a checksum of its own over all its bytes, and each of its records its own as in format 2: a pass
 * (the check at open, {@link #forEachEntry}) checks the page's once, a lookup the record's, and a damaged page is
 * refused naming its first damaged record. The check at open also checks the layout: pages in key order, no key
 * stored twice, the recorded counts. A file of format 1 (no checksums) is migrated on open: every value is framed
 * in one commit, and a failure leaves it at format 1. A file of format 2 is format 3 without pages: opening it
 * only records format 3, so an engine that cannot read pages refuses it afterwards.
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
 * <p>Its files and their permissions: see {@link MvStoreFiles}.
 *
 * <p>Thread-safe. Values are neither copied in nor out, as {@link ClusterDatabase} allows.
 */
public final class MvStoreClusterDatabase implements ClusterDatabase {
  /** The layout version this code writes, stored in the file's header; newer files are refused. */
  public static final int FORMAT_VERSION = 3;

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

  MvStoreClusterDatabase(Path file, MVStore store, CommitMarker marker, long committed,
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
    return MvStoreFiles.open(file);
  }

  /**
   * The database file.
   *
   * @return the absolute path of the file given to {@link #open}
   */
  public Path file() {
    return file;
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

  @Override
  public byte[] get(String bucket, UUID key) {
    lock.readLock().lock();
    try {
      return MvStoreBuckets.get(readable(), file, bucket, key);
    } catch (MVStoreException e) {
      throw describe(file, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    forEachEntry(bucket, (msb, lsb, value, offset, length) ->
        action.accept(new UUID(msb, lsb), Arrays.copyOfRange(value, offset, offset + length)));
  }

  /**
   * As {@link #forEach}, with each record checked and shown in place, without its frame and without a copy, in
   * key order.
   */
  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    lock.readLock().lock();
    try {
      MvStoreBuckets.scan(readable(), file, bucket, visitor, "refusing to serve it");
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
      return Math.toIntExact(MvStoreBuckets.count(readable(), bucket));
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
      List<String> out = new ArrayList<>();
      for (String bucket : MvStoreBuckets.names(s, prefix)) {
        if (MvStoreBuckets.count(s, bucket) > 0) {
          out.add(bucket);
        }
      }
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
    // Framed before the lock: a rekey's packed puts are encoded and checksummed as pages here, on the committing
    // worker, not while every other writer waits.
    MvStoreBatch mutations = MvStoreBatch.frame(batch);
    lock.writeLock().lock();
    try {
      if (closed) {
        throw new StoreException("Cluster database " + file + " is closed.");
      }
      writable();
      boolean written = false;
      try {
        mutations.apply(store);
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
        version = copyBuckets(store, copyPath);
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

  @Override
  public String toString() {
    return "MvStoreClusterDatabase[" + file + "]";
  }
}
