package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.WrappedKeyFormat;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.store.ClusterDatabase;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.UUID;

/**
 * One generation's VEKs on their way from the store to the nodes in a restore: the volume ids and wrapped blobs as
 * the store gave them, then the unwrapped keys, index-aligned in pages of {@value #PAGE} entries.
 *
 * <p>Why packed and in phases: read as one pass that only copies (the store's read lock is held for the copy
 * alone), each {@value #CHUNK} entries then unwrapped by one of the engine's {@code parallelism} threads, and the
 * keys installed by one thread per node, so no two threads share a node's lock. The unwrapped keys are zeroised by
 * {@link #wipe()}, which the restore calls whatever happens.
 *
 * <p>Why pages this large (31 and 16 MiB): G1 allocates an array of half a region or more outside the young
 * generation and never copies it. With 65,536 entries a page (4 and 2 MiB), on a 14 GB heap (8 MiB regions) the
 * pages of a 10M-volume restore, 940 MB, were young objects, copied by every young collection while the restore
 * held them: two pauses of 9 and 12 s in one start-up.
 *
 * <p>Not thread-safe as a whole: {@link #read} before anything else; then {@link #unwrap} of distinct chunks may
 * run in parallel; then any number of threads may read the keys until {@link #wipe()}.
 */
final class RestoredVeks {
  /** Entries per page. */
  static final int PAGE = 1 << 19;
  /** Entries one thread unwraps at a time: a few chunks per thread even at a million. */
  static final int CHUNK = 65_536;

  private final int size;
  private final long[] ids;
  private final byte[][] blobs;
  private final byte[][] keys;
  /** Per entry: its blob did not unwrap. Written by the unwrapping threads, one page each. */
  private final boolean[] failed;
  /** Entries the store visited. */
  private int read;

  private RestoredVeks(int size) {
    this.size = size;
    int pages = (size + PAGE - 1) / PAGE;
    ids = new long[2 * size];
    blobs = new byte[pages][];
    keys = new byte[pages][];
    for (int p = 0; p < pages; p++) {
      int entries = Math.min(PAGE, size - p * PAGE);
      blobs[p] = new byte[entries * WrappedKeyFormat.LENGTH];
      keys[p] = new byte[entries * KeyMaterial.LENGTH];
    }
    failed = new boolean[size];
  }

  /**
   * The ids and blobs of {@code bucket}, which holds {@code count} entries; entries beyond {@code count} (a commit
   * after the count) are left out, and a blob of the wrong length stays all zeros, which fails to unwrap.
   */
  static RestoredVeks read(ClusterDatabase db, String bucket, int count) {
    RestoredVeks v = new RestoredVeks(count);
    db.forEachEntry(bucket, (msb, lsb, blob, offset, length) -> {
      int i = v.read;
      if (i >= count) {
        return;
      }
      v.read++;
      v.ids[2 * i] = msb;
      v.ids[2 * i + 1] = lsb;
      if (length == WrappedKeyFormat.LENGTH) {
        System.arraycopy(blob, offset, v.blobs[i / PAGE], (i % PAGE) * WrappedKeyFormat.LENGTH, length);
      }
    });
    return v;
  }

  /** Entries read: the count, or fewer if entries were removed between the count and the read. */
  int size() {
    return Math.min(read, size);
  }

  int chunks() {
    return (size() + CHUNK - 1) / CHUNK;
  }

  UUID id(int i) {
    return new UUID(ids[2 * i], ids[2 * i + 1]);
  }

  long msb(int i) {
    return ids[2 * i];
  }

  long lsb(int i) {
    return ids[2 * i + 1];
  }

  boolean failed(int i) {
    return failed[i];
  }

  /** The page holding entry {@code i}'s key, at {@link #keyOffset}. */
  byte[] keyPage(int i) {
    return keys[i / PAGE];
  }

  static int keyOffset(int i) {
    return (i % PAGE) * KeyMaterial.LENGTH;
  }

  /**
   * Unwraps every blob of chunk {@code c} under {@code wrapping}, bound to its volume in {@code svm}'s generation
   * {@code generation}; a blob that does not unwrap is marked {@link #failed}. Returns how many failed.
   */
  int unwrap(int c, WrappingKey wrapping, UUID svm, long generation) {
    int bad = 0;
    byte[] blob = new byte[WrappedKeyFormat.LENGTH];
    int end = Math.min(size(), (c + 1) * CHUNK);
    for (int i = c * CHUNK; i < end; i++) {
      System.arraycopy(blobs[i / PAGE], (i % PAGE) * WrappedKeyFormat.LENGTH, blob, 0, WrappedKeyFormat.LENGTH);
      try (KeyMaterial k = wrapping.unwrap(blob, KeyBinding.vek(svm, id(i), generation))) {
        k.copyInto(KeyAccess.insecure(), keys[i / PAGE], keyOffset(i));
      } catch (GeneralSecurityException e) {
        failed[i] = true;
        bad++;
      }
    }
    return bad;
  }

  /** The first entry that failed to unwrap, or -1. */
  int firstFailed() {
    for (int i = 0; i < size(); i++) {
      if (failed[i]) {
        return i;
      }
    }
    return -1;
  }

  /** Zeroises every unwrapped key. */
  void wipe() {
    for (byte[] page : keys) {
      Arrays.fill(page, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "RestoredVeks[" + size() + " keys, redacted]";
  }
}
