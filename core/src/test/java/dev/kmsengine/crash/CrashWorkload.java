package dev.kmsengine.crash;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.MvStoreClusterDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

/**
 * The child process of {@link CrashSafetyTest}: runs an engine on a durable database in {@code <dir>} and works
 * it without end (volume creates and deletes, block writes, rekey-internal, keystore switches between two
 * configurations) until the parent SIGKILLs it.
 *
 * <p>Arguments: {@code <dir> [rule] [seed]}. {@code rule} is a {@link PausingDatabase} pause point
 * ({@code op:n:before|after}), whose operation then runs first; {@code setup} creates the volumes and exits; empty
 * for none. On stdout it announces what it is about to do (one line each, flushed): {@code READY},
 * {@code REKEY-BEGIN <generation>}, {@code REKEY-END <generation>}, {@code SWITCH-BEGIN <target>},
 * {@code SWITCH-END}, {@code DELETE-BEGIN <volume>}, {@code RESUMED-SWITCH <target>}, {@code PAUSED ...}, and
 * {@code FAIL <reason>} before exiting with status 3 if the engine misbehaved.
 */
public final class CrashWorkload {
  static final String DB_FILE = "cluster.db";
  static final String JOURNAL_FILE = "journal.log";
  static final String SVM = "svm1";
  static final String CONFIG_A = "config-a";
  static final String CONFIG_B = "config-b";
  static final int VOLUMES = Integer.getInteger("crash.volumes", 2000);
  private static final String KEY_A = "https://barbican.crash:9311/v1/secrets/aaaaaaaa-0000-4000-8000-00000000000a";
  private static final String KEY_B = "https://barbican.crash:9311/v1/secrets/bbbbbbbb-0000-4000-8000-00000000000b";
  private static final String KEYSTONE = "https://keystone.crash:5000/v3/auth/tokens";
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

  private final KmsEngine engine;
  private final PausingDatabase db;
  private final Journal journal;
  private final Random random;
  private final UUID svm;

  private CrashWorkload(KmsEngine engine, PausingDatabase db, Journal journal, long seed) {
    this.engine = engine;
    this.db = db;
    this.journal = journal;
    this.random = new Random(seed);
    this.svm = engine.cluster().svms().stream().filter(s -> s.name().equals(SVM)).findFirst().orElseThrow().uuid();
  }

  /** Entry point of the child JVM. */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    String rule = args.length > 1 ? args[1] : "";
    long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
    boolean setup = rule.equals("setup");
    try (PausingDatabase db = new PausingDatabase(MvStoreClusterDatabase.open(dir.resolve(DB_FILE)),
            setup ? "" : rule);
        KmsEngine engine = engine(db);
        Journal journal = Journal.open(dir.resolve(JOURNAL_FILE))) {
      CrashWorkload w = new CrashWorkload(engine, db, journal, seed);
      w.start();
      if (setup) {
        w.setup();
        say("SETUP-DONE");
        return;
      }
      if (!rule.isEmpty()) {
        w.run(rule.split(":")[0]);
      }
      while (true) {
        w.step();
      }
    } catch (Throwable t) {
      say("FAIL " + t);
      t.printStackTrace();
      System.exit(3);
    }
  }

  /** The engine as both the child and the parent's checker build it on {@code db}. */
  static KmsEngine engine(ClusterDatabase db) {
    return KmsEngine.builder(ClusterSpec.builder("crash-cluster").nodeCount(4).dataSvms(SVM).build())
        .keyProvider(new DerivedKeyProvider()).database(db).parallelism(2).build();
  }

  /** The generations that have a VEK bucket (bucket naming {@code veks/<svm>/<generation>} is the engine's). */
  static List<Long> generations(ClusterDatabase db, UUID svm) {
    List<Long> out = new ArrayList<>();
    String prefix = "veks/" + svm + "/";
    for (String b : db.buckets(prefix)) {
      out.add(Long.parseLong(b.substring(prefix.length())));
    }
    return out;
  }

  static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /** Restores the nodes, creates the configurations, enables one, and finishes an interrupted switch. */
  private void start() throws Exception {
    for (Job j : engine.barbican().restoreAll()) {
      succeed(j);
    }
    UUID a = config(CONFIG_A, KEY_A);
    config(CONFIG_B, KEY_B);
    Optional<Keystore> enabled = engine.barbican().keystores().stream().filter(Keystore::enabled).findFirst();
    if (enabled.isEmpty()) {
      db.operation("enable");
      succeed(engine.barbican().enableKeystore(a));
    } else if (enabled.get().state() == KeystoreState.SWITCHING) {
      Keystore target = engine.barbican().keystores().stream()
          .filter(k -> !k.enabled() && k.state() == KeystoreState.SWITCHING).findFirst().orElseThrow();
      db.operation("resume-switch");
      succeed(engine.barbican().enableKeystore(target.uuid()));
      Keystore now = engine.barbican().keystore(target.uuid()).orElseThrow();
      if (!now.enabled() || now.state() != KeystoreState.ACTIVE) {
        throw new IllegalStateException("re-enabling the switch target left " + now);
      }
      say("RESUMED-SWITCH " + target.uuid());
    }
    say("READY");
  }

  private UUID config(String name, String key) throws Exception {
    for (BarbicanConfig c : engine.barbican().barbicanConfigs()) {
      if (c.name().equals(name)) {
        return c.uuid();
      }
    }
    db.operation("config");
    return succeed(engine.barbican().createBarbicanConfig(BarbicanConfigRequest.builder().svmName(SVM)
        .configurationName(name).keyId(key).keystoneUrl(KEYSTONE).applicationCredId(DerivedKeyProvider.CRED_ID)
        .applicationCredSecret(DerivedKeyProvider.CRED_SECRET).build())).resourceUuid();
  }

  private void setup() throws Exception {
    while (engine.cluster().volumes(svm).size() < VOLUMES) {
      create(Math.min(200, VOLUMES - engine.cluster().volumes(svm).size()));
    }
    write(20);
  }

  private void step() throws Exception {
    int r = random.nextInt(100);
    if (r < 40) {
      write(5);
    } else if (r < 60) {
      run("create");
    } else if (r < 70) {
      run("delete");
    } else if (r < 85) {
      run("rekey");
    } else {
      run("switch");
    }
  }

  private void run(String op) throws Exception {
    switch (op) {
      case "create" -> create(engine.cluster().volumes(svm).size() < VOLUMES ? 50 : 3);
      case "delete" -> delete();
      case "rekey" -> rekey();
      case "switch" -> switchKeystore();
      case "enable" -> { }
      default -> throw new IllegalArgumentException("unknown operation " + op);
    }
  }

  private void create(int n) throws Exception {
    db.operation("create");
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(engine.cluster().createVolume(SVM, null, "vol-" + UUID.randomUUID(), true));
    }
    for (Job j : jobs) {
      succeed(j);
    }
  }

  private void delete() throws Exception {
    List<VolumeInfo> vols = engine.cluster().volumes(svm);
    if (vols.size() < 2) {
      return;
    }
    VolumeInfo v = vols.get(random.nextInt(vols.size()));
    journal.deleting(v.uuid());
    say("DELETE-BEGIN " + v.uuid());
    db.operation("delete");
    succeed(engine.cluster().deleteVolume(v.uuid()));
    say("DELETE-END " + v.uuid());
  }

  private void write(int n) throws Exception {
    List<VolumeInfo> vols = engine.cluster().volumes(svm);
    if (vols.isEmpty()) {
      return;
    }
    for (int i = 0; i < n; i++) {
      VolumeInfo v = vols.get(random.nextInt(vols.size()));
      String node = engine.cluster().nodes().get(random.nextInt(engine.cluster().nodes().size())).name();
      long block = random.nextLong() & Long.MAX_VALUE;
      byte[] data = new byte[64];
      random.nextBytes(data);
      engine.cluster().writeBlock(node, v.uuid(), block, data);
      journal.written(v.uuid(), block, data);
    }
  }

  private void rekey() throws Exception {
    Keystore enabled = enabled();
    List<Long> gens = generations(db, svm);
    say("REKEY-BEGIN " + (gens.isEmpty() ? 0 : gens.get(0)));
    db.operation("rekey");
    succeed(engine.barbican().rekeyInternal(enabled.uuid()));
    say("REKEY-END " + generations(db, svm));
  }

  private void switchKeystore() throws Exception {
    Keystore target = engine.barbican().keystores().stream().filter(k -> !k.enabled()).findFirst().orElseThrow();
    say("SWITCH-BEGIN " + target.uuid());
    db.operation("switch");
    succeed(engine.barbican().enableKeystore(target.uuid()));
    say("SWITCH-END " + target.uuid());
  }

  private Keystore enabled() {
    return engine.barbican().keystores().stream().filter(Keystore::enabled).findFirst().orElseThrow();
  }

  private Job succeed(Job job) throws InterruptedException {
    Job done = engine.awaitJob(job.uuid(), JOB_TIMEOUT);
    if (done.state() != JobState.SUCCESS) {
      throw new IllegalStateException("job did not succeed: " + done);
    }
    return done;
  }
}
