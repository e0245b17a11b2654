package dev.kmsengine.internal.engine;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Commits to the buckets that several processes write outside any SVM lock (node status, node requests and their
 * answers). A store shared by processes refuses a commit that raced another process's commit on the same bucket,
 * applying nothing; every batch sent here only puts and deletes whole entries, so sending it again is correct.
 *
 * <p>Stateless; thread-safe.
 */
final class SharedCommits {
  /** Enough for a burst of every process publishing at once; a store that is down fails all of them quickly. */
  private static final int ATTEMPTS = 8;

  private SharedCommits() {}

  /**
   * Commits {@code batch}, again after a short random pause if the store refused it.
   *
   * @throws StoreException the last refusal, if every attempt failed
   */
  static void commit(ClusterDatabase db, WriteBatch batch) {
    for (int attempt = 1; ; attempt++) {
      try {
        db.commit(batch);
        return;
      } catch (StoreException e) {
        if (attempt == ATTEMPTS) {
          throw e;
        }
        try {
          Thread.sleep(ThreadLocalRandom.current().nextLong(5, 20L << Math.min(attempt, 4)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
