package dev.kmsengine.crash;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ForwardingClusterDatabase;
import dev.kmsengine.store.WriteBatch;

/**
 * A cluster database that stops the process at a chosen commit of a chosen operation, so the parent test can
 * SIGKILL it at an exact point of a commit sequence: {@code before} the commit reaches the store, or
 * {@code after} it returned (durable). It announces the point on stdout ({@code PAUSED op#n when}) and then
 * blocks the committing thread for good.
 */
final class PausingDatabase extends ForwardingClusterDatabase {
  private final String op;
  private final int commit;
  private final boolean after;
  private volatile String current = "";
  private int seen;

  /** {@code rule} is {@code op:n:before|after}, or empty for no pause. */
  PausingDatabase(ClusterDatabase delegate, String rule) {
    super(delegate);
    if (rule.isEmpty()) {
      op = "";
      commit = 0;
      after = false;
    } else {
      String[] p = rule.split(":");
      op = p[0];
      commit = Integer.parseInt(p[1]);
      after = p[2].equals("after");
    }
  }

  /** Starts counting the commits of operation {@code name}. */
  synchronized void operation(String name) {
    current = name;
    seen = 0;
  }

  @Override
  public void commit(WriteBatch batch) {
    boolean pause;
    synchronized (this) {
      seen++;
      pause = current.equals(op) && seen == commit;
    }
    if (pause && !after) {
      halt();
    }
    delegate.commit(batch);
    if (pause) {
      halt();
    }
  }

  private void halt() {
    CrashWorkload.say("PAUSED " + op + "#" + commit + " " + (after ? "after" : "before"));
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        // Only the parent's SIGKILL ends this.
      }
    }
  }
}
