package dev.kmsengine.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.MvStoreClusterDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM running the engine on a durable database with SIGKILL, again and again, and checks after each
 * kill that the directory opens, recovers and has lost nothing.
 *
 * <p>Kill points are of two kinds: chosen ones, where the child stops itself right before or after a given
 * commit of an operation ({@link PausingDatabase}) and waits for the kill, which pins the outcome the engine's
 * design promises; and random ones, a random delay into the workload or into a rekey or switch the child
 * announced. After each kill the test opens the directory in this JVM (which runs the engine's recovery) and
 * checks the invariants below, then restarts the child on the same directory. Every fourth random run restarts
 * the child at once instead, so that the child's own recovery runs, and kills it again a random moment later
 * (before, during or after its recovery and restore) before checking.
 *
 * <p>Outcomes the rekey and recovery design promises, checked at the chosen points: a rekey interrupted before its
 * svm-keys commit (its 4th commit: state, staging drop, staged blobs, svm-keys, old-bucket drop) is rolled back to
 * the old generation; one interrupted after it is complete in the new generation. A switch interrupted after its
 * first commit stays {@code switching} on the old configuration and completes when the target is enabled again
 * (the next child does that and must succeed); one interrupted before it never started; one after its second
 * commit is complete. An interrupted first enable leaves no keystore enabled.
 */
class CrashSafetyTest {
  private static final Logger LOG = Logger.getLogger(CrashSafetyTest.class.getName());
  private static final int RUNS = Integer.getInteger("crash.runs", 50);
  private static final List<String> CHOSEN = List.of(
      "rekey:1:after", "rekey:2:after", "rekey:3:before", "rekey:3:after", "rekey:4:before", "rekey:4:after",
      "rekey:5:before", "rekey:5:after", "switch:1:before", "switch:1:after", "switch:2:before", "switch:2:after",
      "create:1:before", "create:1:after", "delete:1:before", "delete:1:after");

  /** What the checker saw in the directory after a kill. */
  private record Observed(long generation, UUID enabled, KeystoreState state, Set<UUID> volumes) {}

  @Test
  void sigkilledEngine_restartedOnTheSameDirectory_losesNoKeyAndCompletesOrRollsBack(@TempDir Path dir)
      throws Exception {
    Random random = new Random(20261130);
    long t0 = System.nanoTime();
    // The very first enable, killed after it persisted `initializing`: recovery must leave nothing enabled.
    ChildProcess first = ChildProcess.start(dir, "enable:1:after", 1);
    assertNotNull(first.await("PAUSED", 60_000), "the child never reached the first enable");
    first.kill();
    Observed o = verify(dir);
    assertEquals(null, o.enabled(), "an interrupted first enable must be rolled back");

    ChildProcess setup = ChildProcess.start(dir, "setup", 2);
    assertEquals(0, setup.waitFor(240), () -> "setup failed: " + setup.lines() + setup.stderrTail());
    o = verify(dir);
    assertEquals(CrashWorkload.VOLUMES, o.volumes().size());
    LOG.info("setup done after " + (System.nanoTime() - t0) / 1_000_000 + " ms");

    int kills = 1;
    int rolledBack = 0;
    int completed = 0;
    int chosen = 0;
    String pendingSwitch = null;
    for (int run = 0; run < RUNS; run++) {
      String rule = run % 3 == 0 && chosen < CHOSEN.size() ? CHOSEN.get(chosen++) : "";
      ChildProcess child = ChildProcess.start(dir, rule, 100 + run);
      assertNotNull(child.await("READY", 60_000), "the restarted child never became ready");
      if (pendingSwitch != null) {
        assertNotNull(child.last("RESUMED-SWITCH " + pendingSwitch),
            "an interrupted switch must complete when the target is enabled again");
        pendingSwitch = null;
      }
      if (!rule.isEmpty()) {
        assertNotNull(child.await("PAUSED", 60_000), "the child never reached " + rule);
      } else {
        switch (random.nextInt(3)) {
          case 0 -> Thread.sleep(random.nextInt(1500));
          case 1 -> {
            if (child.await("REKEY-BEGIN", 20_000) != null) {
              Thread.sleep(random.nextInt(250));
            }
          }
          default -> {
            if (child.await("SWITCH-BEGIN", 20_000) != null) {
              Thread.sleep(random.nextInt(40));
            }
          }
        }
      }
      child.kill();
      kills++;
      List<String> lines = new ArrayList<>(child.lines());
      if (rule.isEmpty() && run % 4 == 1) {
        // Restart without checking first, so the child itself recovers, and kill it again soon after: during
        // JVM start, recovery, the restore, or its first operations.
        ChildProcess again = ChildProcess.start(dir, "", 1000 + run);
        Thread.sleep(random.nextInt(1500));
        again.kill();
        kills++;
        lines.addAll(again.lines());
      }
      Observed before = o;
      o = verify(dir);
      LOG.info("run " + run + " (" + (rule.isEmpty() ? "random" : rule) + ") checked at "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");

      String rekey = inFlight(lines, "REKEY-BEGIN ", "REKEY-END");
      if (rekey != null) {
        long from = Long.parseLong(rekey);
        if (rule.startsWith("rekey:")) {
          int commit = Integer.parseInt(rule.split(":")[1]);
          boolean after = rule.endsWith("after");
          long expected = commit > 4 || (commit == 4 && after) ? from + 1 : from;
          assertEquals(expected, o.generation(), "rekey killed at " + rule);
        } else {
          assertTrue(o.generation() == from || o.generation() == from + 1, "generation " + o.generation());
        }
        if (o.generation() == from) {
          rolledBack++;
        } else {
          completed++;
        }
      } else {
        assertTrue(before.generation() <= o.generation(), "generations never go back");
      }

      String target = inFlight(lines, "SWITCH-BEGIN ", "SWITCH-END");
      if (target != null) {
        UUID t = UUID.fromString(target);
        if (rule.equals("switch:1:before")) {
          assertEquals(KeystoreState.ACTIVE, o.state());
          assertTrue(!t.equals(o.enabled()), "a switch killed before its first commit has not happened");
        } else if (rule.equals("switch:1:after") || rule.equals("switch:2:before")) {
          assertEquals(KeystoreState.SWITCHING, o.state(), "an interrupted switch stays switching");
        } else if (rule.equals("switch:2:after")) {
          assertEquals(t, o.enabled(), "a switch killed after its last commit is complete");
          assertEquals(KeystoreState.ACTIVE, o.state());
        }
      }
      if (o.state() == KeystoreState.SWITCHING) {
        assertNotNull(target, "only an interrupted switch leaves the keystore switching");
        pendingSwitch = target;
      } else {
        assertEquals(KeystoreState.ACTIVE, o.state());
      }

      String deleting = inFlight(lines, "DELETE-BEGIN ", "DELETE-END");
      if (deleting != null && rule.startsWith("delete:")) {
        assertEquals(rule.endsWith("before"), o.volumes().contains(UUID.fromString(deleting)),
            "volume delete killed at " + rule);
      }
    }
    assertEquals(CHOSEN.size(), chosen, "every chosen kill point ran");
    assertTrue(kills >= 50, "kills: " + kills);
    LOG.info("crash runs: " + kills + " kills; interrupted rekeys rolled back " + rolledBack + ", completed "
        + completed);
  }

  /** The argument of the last {@code begin} line not followed by an {@code end} line, or null. */
  private static String inFlight(List<String> lines, String begin, String end) {
    String open = null;
    for (String l : lines) {
      if (l.startsWith(begin)) {
        open = l.substring(begin.length()).trim();
      } else if (l.startsWith(end)) {
        open = null;
      }
    }
    return open;
  }

  /**
   * Opens the directory as a restarted cluster would and checks: one enabled keystore at most, never left in a
   * transient state other than {@code switching}; exactly one VEK bucket (one generation) holding exactly one blob
   * per encrypted volume; a restore that succeeds on every node and installs every VEK; and every block the
   * journal recorded reads back identically through every node, unless its volume's delete had started.
   */
  private static Observed verify(Path dir) throws Exception {
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(dir.resolve(CrashWorkload.DB_FILE));
        KmsEngine engine = CrashWorkload.engine(db)) {
      UUID svm = engine.cluster().svms().stream().filter(s -> s.name().equals(CrashWorkload.SVM)).findFirst().orElseThrow()
          .uuid();
      List<Keystore> enabled = engine.barbican().keystores().stream().filter(Keystore::enabled).toList();
      assertTrue(enabled.size() <= 1, "one enabled keystore at most: " + enabled);
      for (Keystore k : engine.barbican().keystores()) {
        assertTrue(k.state() == KeystoreState.ACTIVE || k.state() == KeystoreState.SWITCHING
            || (!k.enabled() && k.state() == KeystoreState.INACTIVE), "state after recovery: " + k);
      }
      List<VolumeInfo> volumes = engine.cluster().volumes(svm);
      Set<UUID> ids = new HashSet<>();
      volumes.forEach(v -> ids.add(v.uuid()));
      List<Long> generations = CrashWorkload.generations(db, svm);
      long generation = 0;
      if (volumes.isEmpty()) {
        assertTrue(generations.size() <= 1, "VEK buckets with no volume: " + generations);
      } else {
        assertEquals(1, generations.size(), "exactly one current VEK bucket: " + generations);
        generation = generations.get(0);
        String bucket = "veks/" + svm + "/" + generation;
        assertEquals(volumes.size(), db.count(bucket), "one VEK blob per encrypted volume");
        for (VolumeInfo v : volumes) {
          assertNotNull(db.get(bucket, v.uuid()), "VEK of volume " + v.uuid());
        }
      }
      for (Job j : engine.barbican().restoreAll()) {
        Job done = engine.awaitJob(j.uuid(), Duration.ofSeconds(120));
        assertEquals(JobState.SUCCESS, done.state(), () -> "restore after restart: " + done);
      }
      for (NodeInfo n : engine.cluster().nodes()) {
        assertEquals(volumes.size(), n.veks(), "VEKs restored on " + n.name());
      }
      Set<UUID> deleting = new HashSet<>();
      List<Journal.Entry> journal = Journal.read(dir.resolve(CrashWorkload.JOURNAL_FILE));
      journal.stream().filter(e -> e.data() == null).forEach(e -> deleting.add(e.volume()));
      List<String> nodes = new ArrayList<>();
      engine.cluster().nodes().forEach(n -> nodes.add(n.name()));
      for (Journal.Entry e : journal) {
        if (e.data() == null) {
          continue;
        }
        if (!ids.contains(e.volume())) {
          assertTrue(deleting.contains(e.volume()), "volume " + e.volume() + " vanished without a delete");
          continue;
        }
        for (String node : nodes) {
          assertArrayEquals(e.data(), engine.cluster().readBlock(node, e.volume(), e.block()),
              "block " + e.block() + " of " + e.volume() + " through " + node);
        }
      }
      Keystore on = enabled.isEmpty() ? null : enabled.get(0);
      return new Observed(generation, on == null ? null : on.uuid(), on == null ? KeystoreState.INACTIVE
          : on.state(), ids);
    }
  }
}
