package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.MalformedBlobException;
import dev.kmsengine.internal.crypto.VekRewrapper;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.internal.job.JobContext;
import dev.kmsengine.internal.job.JobLocks;
import dev.kmsengine.store.WriteBatch;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;

/**
 * The hot path of a rekey: every VEK blob of one generation rewrapped under the next SVM-KEK on the engine's
 * rewrap threads, verified, and staged into the next generation's bucket.
 *
 * <p>Thread-safe: each call keeps its state in its own {@link Run}.
 */
final class ParallelRewrap {
  /** Staged VEK blobs are committed in batches of this size so a durable store never builds a huge transaction. */
  private static final int STAGE_BATCH = 65_536;
  /** How often rewrap workers report progress; often enough to watch, rare enough to cost nothing. */
  private static final int PROGRESS_EVERY = 16_384;

  private final EngineState state;
  private final ClusterNodes fanOut;

  ParallelRewrap(EngineState state, ClusterNodes fanOut) {
    this.state = state;
    this.fanOut = fanOut;
  }

  /**
   * One rewrap's shared state: the packed blobs, how many the store handed over, and what the workers and this
   * thread tell each other (stop, the encrypted volumes are counted, pages parked until then, progress).
   */
  private static final class Run {
    final String staging;
    final Packed blobs;
    /** Entries the store visited; written by the reading thread only, before any worker starts. */
    int read;
    /** Set by the first failure; every worker stops at its next blob. */
    final AtomicBoolean failed = new AtomicBoolean();
    /** Set once the encrypted volumes are counted, after which a worker stages its own page. */
    final AtomicBoolean counted = new AtomicBoolean();
    /** Pages finished before {@link #counted}, for the reading thread to stage. */
    final Queue<Integer> parked = new ConcurrentLinkedQueue<>();
    /** VEKs rewrapped so far, in steps of {@link #PROGRESS_EVERY}, for the progress message. */
    final AtomicLong done = new AtomicLong();

    Run(String staging, Packed blobs) {
      this.staging = staging;
      this.blobs = blobs;
    }

    /** Stops the other workers and returns the error for the blob of {@code volume}. */
    KmsException fail(ErrorCode code, UUID volume, GeneralSecurityException cause) {
      failed.set(true);
      return new KmsException(code, "", "Volume: " + volume + ".", cause);
    }
  }

  /**
   * VEK ids and blobs, index-aligned and packed: ids as (most, least significant) long pairs, blobs in pages of
   * {@link #STAGE_BATCH} blobs of {@value WrappedKeyFormat#LENGTH} bytes. Why: every young collection during the
   * rewrap would otherwise copy the million ids and blob arrays held so far; a few large arrays cost it nothing
   * (G1 allocates them as humongous regions that young collections do not copy). The store reads into them
   * ({@code forEachEntry}) and stages from them ({@code WriteBatch.putAll}) without an object per entry, so a
   * rekey allocates little more than these arrays and the staged bucket: 191 bytes per VEK at a million (684 with
   * a key object and a value copy per blob read and staged, and a second set of pages to rewrap into).
   */
  private record Packed(long[] ids, byte[][] pages) {
    static Packed allocate(int count) {
      byte[][] pages = new byte[(count + STAGE_BATCH - 1) / STAGE_BATCH][];
      for (int p = 0; p < pages.length; p++) {
        pages[p] = new byte[Math.min(STAGE_BATCH, count - p * STAGE_BATCH) * WrappedKeyFormat.LENGTH];
      }
      return new Packed(new long[2 * count], pages);
    }

    int size() {
      return ids.length / 2;
    }

    UUID id(int i) {
      return new UUID(ids[2 * i], ids[2 * i + 1]);
    }

    byte[] page(int i) {
      return pages[i / STAGE_BATCH];
    }

    static int offset(int i) {
      return (i % STAGE_BATCH) * WrappedKeyFormat.LENGTH;
    }
  }

  /**
   * Rewraps every VEK of generation {@code from} under the new SVM-KEK into bucket {@code staging}; returns how
   * many. Every encrypted volume must have a blob (65536883 otherwise); each new blob is verified before it counts.
   *
   * <p>In an SVM of more than {@link #STAGE_BATCH} VEKs, each worker stages its own blobs, a page at a time, as
   * it goes. Why: staging after the rewrap was a serial phase, a fifth of a million-VEK rekey that a second
   * thread could not help with; now only the store's own commit work is serial (under its lock). Staged blobs
   * are harmless until the caller's one atomic commit makes their generation current; on any failure the caller
   * drops the bucket, and every worker has stopped by the time this method returns or throws.
   *
   * <p>The rewrap workers start as soon as the blobs are read; this thread meanwhile checks that there are at least
   * as many blobs as encrypted volumes ({@link #missingBlobs}), before anything is returned, so a missing VEK still
   * fails the rekey before its commit and takes precedence over a blob that fails to rewrap.
   */
  int rewrapAll(UUID svm, KeyMaterial oldKek, KeyMaterial newKek, long from, long to, String staging,
      JobContext ctx) {
    String bucket = Buckets.veks(svm, from);
    int total = state.db.count(bucket);
    state.db.reserve(staging, total);
    Run run = new Run(staging, Packed.allocate(total));
    Packed blobs = run.blobs;
    state.db.forEachEntry(bucket, (msb, lsb, blob, offset, length) -> {
      int i = run.read++;
      if (i >= total) {
        return;
      }
      blobs.ids[2 * i] = msb;
      blobs.ids[2 * i + 1] = lsb;
      // A blob of the wrong length stays all zeros in the page, which the rewrapper rejects as malformed.
      if (length == WrappedKeyFormat.LENGTH) {
        System.arraycopy(blob, offset, blobs.page(i), Packed.offset(i), length);
      }
    });
    ctx.progress("Rewrapped 0 of " + total + " volume encryption keys");
    try (WrappingKey oldWrapping = WrappingKey.of(oldKek); WrappingKey newWrapping = WrappingKey.of(newKek)) {
      // Several chunks per thread so that one slow chunk (a descheduled thread on a noisy 2-core box) does not
      // leave the other threads idle at the end. Above one page, a chunk is one page and its worker stages it;
      // below, this thread stages the one page at the end. Either way a rekey makes one staging commit per page.
      boolean workersStage = total > STAGE_BATCH;
      int chunks = Math.max(1, Math.min(total / 1024, state.parallelism * 4));
      int chunkSize = workersStage ? STAGE_BATCH : Math.max(1, (total + chunks - 1) / chunks);
      List<Future<Void>> futures = new ArrayList<>();
      for (int lo = 0; lo < total; lo += chunkSize) {
        int start = lo;
        int end = Math.min(total, lo + chunkSize);
        Callable<Void> task = () -> {
          try (VekRewrapper rewrapper = new VekRewrapper(oldWrapping, newWrapping, svm, from, to)) {
            for (int i = start; i < end && !run.failed.get(); i++) {
              try {
                // In place: the new blob replaces the old one in the page, which saves a second copy of every
                // blob (62 MB per million to allocate and zero before the workers start, then collect). The store
                // still holds the old blob; the page is only this rekey's copy.
                rewrapper.rewrap(blobs.page(i), Packed.offset(i), blobs.ids[2 * i], blobs.ids[2 * i + 1],
                    blobs.page(i), Packed.offset(i), /* verify= */ true);
              } catch (MalformedBlobException e) {
                throw run.fail(ErrorCode.INVALID_ENCRYPTION_BLOB, blobs.id(i), e);
              } catch (AEADBadTagException e) {
                throw run.fail(ErrorCode.VEK_INVALID, blobs.id(i), e);
              } catch (GeneralSecurityException e) {
                throw run.fail(ErrorCode.VDEK_UPDATE_FAILED, blobs.id(i), e);
              }
              if (((i - start + 1) % PROGRESS_EVERY) == 0) {
                ctx.progress("Rewrapped " + run.done.addAndGet(PROGRESS_EVERY) + " of " + total
                    + " volume encryption keys");
              }
            }
            // The page is staged at once, unless the count of the encrypted volumes may still hold the store's
            // read lock: then its commit would only queue behind it, so the page is parked for this thread.
            if (workersStage && !run.failed.get()) {
              if (run.counted.get()) {
                stage(run, start, end);
              } else {
                run.parked.add(start / STAGE_BATCH);
              }
            }
          }
          return null;
        };
        futures.add(fanOut.cpu.submit(JobLocks.bind(task)));
      }
      boolean missing;
      try {
        missing = missingBlobs(svm, run.read);
        run.counted.set(true);
        if (!missing) {
          stageParked(run);
        }
      } catch (RuntimeException e) {
        run.failed.set(true);
        awaitAll(futures);
        throw e;
      }
      if (missing) {
        run.failed.set(true);
      }
      RuntimeException first = awaitAll(futures);
      if (missing) {
        throw missingVek(svm, bucket);
      }
      if (first != null) {
        throw first;
      }
      // Pages a worker parked after the drain above.
      stageParked(run);
      if (!workersStage) {
        stage(run, 0, total);
      }
    }
    return total;
  }

  /** Stages the pages the workers parked, one commit each. */
  private void stageParked(Run run) {
    for (Integer page = run.parked.poll(); page != null; page = run.parked.poll()) {
      stage(run, page * STAGE_BATCH, Math.min(run.blobs.size(), (page + 1) * STAGE_BATCH));
    }
  }

  /**
   * Commits blobs {@code [from, to)} of {@code blobs} into {@code staging}, {@link #STAGE_BATCH} per commit; a
   * failure stops the other workers.
   */
  private void stage(Run run, int from, int to) {
    Packed blobs = run.blobs;
    for (int lo = from; lo < to; lo += STAGE_BATCH) {
      WriteBatch b = new WriteBatch().putAll(run.staging, blobs.ids, lo, blobs.page(lo), Packed.offset(lo),
          WrappedKeyFormat.LENGTH, Math.min(to, lo + STAGE_BATCH) - lo);
      try {
        state.db.commit(b);
      } catch (RuntimeException e) {
        run.failed.set(true);
        throw e;
      }
    }
  }

  /**
   * Whether the SVM has more encrypted volumes than the {@code blobs} VEK blobs read. Counting the encrypted ones
   * is a pass over every volume record (about 50 ms per million on the benchmark box, reading the records in
   * place; 125 ms with a copy of each), with one rewrap thread fewer while it runs; when the SVM has no more
   * volumes than blobs, which is every SVM whose volumes are all encrypted, none can be missing one and the pass
   * is skipped.
   */
  private boolean missingBlobs(UUID svm, int blobs) {
    return state.db.count(Buckets.volumes(svm)) > blobs && countEncrypted(svm) > blobs;
  }

  private int countEncrypted(UUID svm) {
    int[] encrypted = {0};
    state.db.forEachEntry(Buckets.volumes(svm), (msb, lsb, rec, offset, length) -> {
      if (VolumeRecord.isEncrypted(rec, offset)) {
        encrypted[0]++;
      }
    });
    return encrypted[0];
  }

  /**
   * Waits for every worker, even after one failed, so that none is still writing when the caller cleans up;
   * returns the first failure (the others are consequences of the stop flag).
   */
  private static RuntimeException awaitAll(List<Future<Void>> futures) {
    RuntimeException first = null;
    for (Future<Void> f : futures) {
      try {
        ClusterNodes.join(f);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
  }

  /** The error for an encrypted volume without a VEK blob, naming the first such volume found. */
  private KmsException missingVek(UUID svm, String bucket) {
    List<UUID> missing = new ArrayList<>();
    state.db.forEach(Buckets.volumes(svm), (id, rec) -> {
      if (VolumeRecord.isEncrypted(rec) && state.db.get(bucket, id) == null) {
        missing.add(id);
      }
    });
    return new KmsException(ErrorCode.VEK_MISSING, "", missing.isEmpty() ? "" : "Volume: " + missing.get(0) + ".");
  }
}
