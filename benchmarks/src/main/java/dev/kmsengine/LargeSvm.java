package dev.kmsengine;

import dev.kmsengine.Records.VolumeRecord;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.crypto.KeyBinding;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.Randomness;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.WriteBatch;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * An engine with one data SVM holding many encrypted volumes, in an in-memory cluster database: the subject of the
 * rekey and restore benchmarks.
 *
 * <p>The first volume is created through the public API, which creates the SVM-KEK (generation 1) and installs
 * it on every node. Creating a million more that way would take hours, because volume creation checks the name
 * against every existing volume, so the rest are written the way {@code KeyHierarchy.createVolume} writes them:
 * the same volume record, a fresh VEK wrapped under the SVM-KEK the nodes hold with the same binding, committed
 * to the same buckets, and the VEK installed on every node that holds the SVM-KEK. {@code LargeSvmTest} checks
 * that the engine then treats them like any other volume (restore, rekey, lookup).
 */
final class LargeSvm implements AutoCloseable {
  static final String KEY_ID = "https://barbican.bench:9311/v1/secrets/0b0b0b0b-0000-4000-8000-000000000001";
  private static final String CREDENTIAL = "bench-app-cred";
  private static final Secret SECRET = Secret.of("bench-app-cred-secret");
  private static final int BATCH = 65_536;
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

  final InMemoryKeyProvider keys = new InMemoryKeyProvider();
  final KmsEngine engine;
  final UUID svm;
  final UUID config;
  final int volumes;

  /**
   * @param volumes encrypted volumes in the SVM (at least 1)
   * @param nodes cluster nodes, each holding every key
   * @param parallelism the engine's rewrap threads
   * @param network wraps the in-memory key provider, e.g. to add latency
   */
  LargeSvm(int volumes, int nodes, int parallelism, UnaryOperator<TopLevelKeyProvider> network) {
    this.volumes = volumes;
    keys.addCredential(CREDENTIAL, SECRET);
    keys.createKey(KEY_ID);
    engine = KmsEngine.builder(ClusterSpec.builder("bench").nodeCount(nodes).dataSvms("svm1").build())
        .keyProvider(network.apply(keys))
        .parallelism(parallelism)
        .build();
    svm = engine.svms().stream().filter(s -> s.name().equals("svm1")).findFirst().orElseThrow().uuid();
    config = succeed(engine.createBarbicanConfig(BarbicanConfigRequest.builder().svmName("svm1")
        .configurationName("bench").keyId(KEY_ID).keystoneUrl("https://keystone.bench:5000/v3")
        .applicationCredId(CREDENTIAL).applicationCredSecret(SECRET).build())).resourceUuid();
    succeed(engine.enableKeystore(config));
    succeed(engine.createVolume("svm1", null, "vol0", true));
    populate(volumes - 1);
  }

  private void populate(int count) {
    long generation = engine.keyState(svm).generation();
    Node.HeldKek held = engine.nodes.get(0).svmKek(svm);
    SplittableRandom ids = new SplittableRandom(volumes);
    byte[] keyId = new byte[16];
    byte[] vekBytes = new byte[KeyMaterial.LENGTH];
    String volumeBucket = Records.volumes(svm);
    String nameBucket = Records.volumeNames(svm);
    String vekBucket = Records.veks(svm, generation);
    WriteBatch batch = new WriteBatch();
    for (int i = 1; i <= count; i++) {
      UUID volume = new UUID(ids.nextLong(), ids.nextLong());
      ids.nextBytes(keyId);
      batch.put(volumeBucket, volume,
          new VolumeRecord(volume, svm, "vol" + i, true, HexFormat.of().formatHex(keyId)).encode());
      batch.put(nameBucket, Records.volumeNameKey("vol" + i), Records.uuidBytes(volume));
      try (KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
        batch.put(vekBucket, volume, held.wrapping.wrap(vek, KeyBinding.vek(svm, volume, generation)));
        vek.copyInto(vekBytes, 0);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("wrapping a VEK failed", e);
      }
      for (Node n : engine.nodes) {
        n.installVek(volume, vekBytes);
      }
      if (batch.size() >= BATCH || i == count) {
        engine.db.commit(batch);
        batch = new WriteBatch();
      }
    }
    Arrays.fill(vekBytes, (byte) 0);
  }

  Job rekey() {
    return succeed(engine.rekeyInternal(config));
  }

  Job restore() {
    return succeed(engine.restore(config));
  }

  /** Waits for {@code job} and fails loudly unless it succeeded: a benchmark must not time a failure. */
  Job succeed(Job job) {
    try {
      Job done = engine.awaitJob(job.uuid(), JOB_TIMEOUT);
      if (done.state() != JobState.SUCCESS) {
        throw new IllegalStateException("job did not succeed: " + done);
      }
      return done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (KmsException e) {
      throw new IllegalStateException("job was refused: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    engine.close();
  }
}
