package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.simulator.ApiClient.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak that found acknowledged blocks lost for good: for a minute, one SVM's restores and node reboots run back
 * to back (with a rekey or a volume create now and then) while 4 threads write blocks and read each back at once. Every block written (answered 200) must read
 * back identical, no answer may be a 5xx (a node without its keys is a 409 the client fixes by waiting for a
 * restore), and after a SIGKILL and a restart every block reads back through every node.
 *
 * <p>Why it failed before: a restore reinstalls every VEK and zero-filled the node's old key array in place, while
 * the data path was sealing a block with that very array; the block was stored under an all-zero key.
 */
class DataPathSoakProcessTest {
  private static final String SVM = "soak";
  private static final List<String> NODES = List.of("node1", "node2", "node3", "node4");
  private static final Duration SOAK = Duration.ofSeconds(60);
  private static final int WRITERS = 4;
  /** Blocks per writer, overwritten round robin: thousands of writes, a bounded set to check at the end. */
  private static final int BLOCKS = 48;

  @Test
  void restoresAndReboots_underConcurrentWritesAndReads_loseNoBlock_andAnswerNo5xx(@TempDir Path dir)
      throws Exception {
    List<String> args = List.of("--data-dir", dir.resolve("data").toString(), "--nodes", "4", "--svm", SVM);
    SimulatorProcess sim = SimulatorProcess.start(dir, args);
    try {
      ApiClient api = sim.api;
      String config = api.createConfig(api.configBody(SVM, "soak"));
      api.enable(config);
      List<String> volumes = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        Reply r = api.createVolume("soak" + w, SVM);
        assertEquals(201, r.status(), r.raw()::body);
        volumes.add(r.body().at("/records/0/uuid").asText());
      }

      Queue<String> faults = new ConcurrentLinkedQueue<>();
      AtomicInteger writes = new AtomicInteger();
      AtomicInteger reads = new AtomicInteger();
      AtomicInteger notLoaded = new AtomicInteger();
      AtomicInteger restores = new AtomicInteger();
      AtomicInteger reboots = new AtomicInteger();
      Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
      long deadline = System.nanoTime() + SOAK.toNanos();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
      List<Future<?>> running = new ArrayList<>();
      running.add(pool.submit(() -> {
        Random random = new Random(1);
        for (int i = 0; System.nanoTime() < deadline; i++) {
          check(faults, "restore", api.keyOperation(config, "restore"));
          restores.incrementAndGet();
          check(faults, "reboot", api.reboot(NODES.get(random.nextInt(NODES.size()))));
          reboots.incrementAndGet();
          // Now and then the other key operations of the original soak, which must not answer a 5xx either.
          if (i % 8 == 3) {
            check(faults, "rekey", api.keyOperation(config, "rekey-internal"));
          } else if (i % 8 == 7) {
            check(faults, "create", api.createVolume("extra" + i, SVM));
          }
        }
        return null;
      }));
      for (int w = 0; w < WRITERS; w++) {
        String volume = volumes.get(w);
        Random random = new Random(100 + w);
        running.add(pool.submit(() -> {
          for (long n = 0; System.nanoTime() < deadline; n++) {
            long block = n % BLOCKS;
            byte[] data = new byte[1 + random.nextInt(4096)];
            random.nextBytes(data);
            if (!write(api, faults, notLoaded, volume, block, data, random, deadline)) {
              continue;
            }
            writes.incrementAndGet();
            acknowledged.put(volume + "/" + block, data);
            byte[] back = read(api, faults, notLoaded, volume, block, random);
            reads.incrementAndGet();
            if (!Arrays.equals(data, back)) {
              faults.add("block " + volume + "/" + block + " read back " + (back == null ? "never" : "changed"));
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(SOAK.toSeconds() + 300, TimeUnit.SECONDS);
      }
      pool.shutdown();
      System.out.println("soak: " + writes + " writes, " + reads + " reads, " + restores + " restores, " + reboots
          + " reboots, " + notLoaded + " answers 409 (node without its keys)");
      assertEquals(List.of(), List.copyOf(faults), "failed reads and 5xx answers");
      assertTrue(writes.get() >= 500, "a soak of " + writes + " writes is too short to mean anything");

      sim.kill();
      sim = SimulatorProcess.start(dir, args);
      ApiClient again = sim.api;
      assertEquals(201, again.keyOperation(config, "restore").status());
      // One checker per node, in parallel: every block through every node.
      ExecutorService checkers = Executors.newFixedThreadPool(NODES.size());
      List<Future<?>> checks = new ArrayList<>();
      for (String node : NODES) {
        checks.add(checkers.submit(() -> {
          for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
            String[] vb = e.getKey().split("/");
            Reply r = again.readBlock(vb[0], Long.parseLong(vb[1]), node);
            assertEquals(200, r.status(), () -> node + ": " + r.raw().body());
            assertArrayEquals(e.getValue(), ApiClient.blockData(r), "block " + e.getKey() + " through " + node);
          }
          return null;
        }));
      }
      for (Future<?> f : checks) {
        f.get(300, TimeUnit.SECONDS);
      }
      checkers.shutdown();
    } finally {
      sim.kill();
    }
  }

  /** Records a 5xx (a server fault) and returns the status. */
  private static int check(Queue<String> faults, String what, Reply r) {
    if (r.status() >= 500) {
      faults.add(what + " answered " + r.status() + ": " + r.raw().body());
    }
    return r.status();
  }

  /**
   * Writes through a random node, moving to another while nodes answer 409 (rebooted since the last restore),
   * until the soak ends; returns whether the write was acknowledged.
   */
  private static boolean write(ApiClient api, Queue<String> faults, AtomicInteger notLoaded, String volume,
      long block, byte[] data, Random random, long deadline) throws Exception {
    do {
      int status = check(faults, "write", api.writeBlock(volume, block, NODES.get(random.nextInt(NODES.size())),
          data));
      if (status == 200) {
        return true;
      }
      if (status != 409) {
        return false;
      }
      notLoaded.incrementAndGet();
    } while (System.nanoTime() < deadline);
    return false;
  }

  /** Reads through a random node, moving to another on 409, for at most a minute; null if it never reads. */
  private static byte[] read(ApiClient api, Queue<String> faults, AtomicInteger notLoaded, String volume, long block,
      Random random) throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    do {
      Reply r = api.readBlock(volume, block, NODES.get(random.nextInt(NODES.size())));
      int status = check(faults, "read", r);
      if (status == 200) {
        return ApiClient.blockData(r);
      }
      if (status != 409) {
        faults.add("read answered " + status + ": " + r.raw().body());
        return null;
      }
      notLoaded.incrementAndGet();
    } while (System.nanoTime() < giveUp);
    return null;
  }
}
