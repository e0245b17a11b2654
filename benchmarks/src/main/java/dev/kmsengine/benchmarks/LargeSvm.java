package dev.kmsengine.benchmarks;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.internal.engine.Buckets;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.internal.engine.Node;
import dev.kmsengine.internal.engine.VolumeRecord;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.InMemoryClusterDatabase;
import dev.kmsengine.store.WriteBatch;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.IntToLongFunction;

/**
 * An engine with one data SVM holding many encrypted volumes: the subject of the rekey and restore benchmarks.
 *
 * <p>The first volume is created through the public API, which creates the SVM-KEK (generation 1) and installs
 * it on every node. Creating a million more that way would take hours, because volume creation checks the name
 * against every existing volume, so the rest are written the way {@code VolumeKeys.create} writes them:
 * the same volume record, a fresh VEK wrapped under the SVM-KEK the nodes hold with the same binding, committed
 * to the same buckets, and the VEK installed on every node that holds the SVM-KEK. {@code LargeSvmTest} checks
 * that the engine then treats them like any other volume (restore, rekey, lookup).
 */
final class LargeSvm implements AutoCloseable {
  private static final int BATCH = 65_536;
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

  /**
   * Where the top-level KEK comes from: a provider and the configuration settings that name the key and the
   * credential it accepts.
   */
  record Kms(TopLevelKeyProvider provider, String keyId, String keystoneUrl, String credentialId, Secret secret) {
    /** Core's {@link InMemoryKeyProvider}, with one key and one credential: no network at all. */
    static Kms inMemory() {
      String keyId = "https://barbican.bench:9311/v1/secrets/0b0b0b0b-0000-4000-8000-000000000001";
      Secret secret = Secret.of("bench-app-cred-secret");
      InMemoryKeyProvider keys = new InMemoryKeyProvider();
      keys.addCredential("bench-app-cred", secret);
      keys.createKey(keyId);
      return new Kms(keys, keyId, "https://keystone.bench:5000/v3", "bench-app-cred", secret);
    }
  }

  final Kms kms;
  final KmsEngine engine;
  final UUID svm;
  final UUID config;
  final int volumes;

  /**
   * @param volumes encrypted volumes in the SVM (at least 1)
   * @param nodes cluster nodes, each holding every key
   * @param parallelism the engine's rewrap threads
   * @param kms the top-level key provider and the key it serves
   * @param database the cluster database, empty; its owner closes it
   */
  LargeSvm(int volumes, int nodes, int parallelism, Kms kms, ClusterDatabase database) {
    this.volumes = volumes;
    this.kms = kms;
    engine = KmsEngine.builder(ClusterSpec.builder("bench").nodeCount(nodes).dataSvms("svm1").build())
        .keyProvider(kms.provider())
        .database(database)
        .parallelism(parallelism)
        .build();
    svm = engine.cluster().svms().stream().filter(s -> s.name().equals("svm1")).findFirst().orElseThrow().uuid();
    config = succeed(engine.barbican().createBarbicanConfig(BarbicanConfigRequest.builder().svmName("svm1")
        .configurationName("bench").keyId(kms.keyId()).keystoneUrl(kms.keystoneUrl())
        .applicationCredId(kms.credentialId()).applicationCredSecret(kms.secret()).build())).resourceUuid();
    succeed(engine.barbican().enableKeystore(config));
    succeed(engine.cluster().createVolume("svm1", null, "vol0", true));
    populate(volumes - 1);
  }

  /** An SVM whose KEK comes from core's in-memory provider, in an in-memory cluster database. */
  LargeSvm(int volumes, int nodes, int parallelism) {
    this(volumes, nodes, parallelism, Kms.inMemory(), new InMemoryClusterDatabase());
  }

  /**
   * Writes {@code count} volumes in two passes, each in key order: the volume records and VEK blobs (one key, the
   * volume's uuid), then the name index. Why: a B-tree store (MVStore) rewrites every page a commit touches, and
   * batches of random keys touch nearly every page of a bucket, so a million volumes in random order rewrote the
   * whole store some fifty times (59 s and a 1.9 GB file against 7.6 s in memory); in key order a batch touches
   * only the pages it fills. The in-memory store hashes its keys, so the order changes nothing for it.
   */
  private void populate(int count) {
    long generation = Engine.of(engine).state().keyState(svm).generation();
    Node.HeldKek held = Engine.of(engine).state().nodes.get(0).svmKek(svm);
    SplittableRandom ids = new SplittableRandom(volumes);
    long[] uuids = new long[2 * count];
    for (int j = 0; j < 2 * count; j++) {
      uuids[j] = ids.nextLong();
    }
    byte[] keyId = new byte[16];
    byte[] vekBytes = new byte[KeyMaterial.LENGTH];
    String volumeBucket = Buckets.volumes(svm);
    String vekBucket = Buckets.veks(svm, generation);
    WriteBatch batch = new WriteBatch();
    int[] byVolume = keyOrder(count, j -> uuids[2 * j]);
    for (int n = 0; n < count; n++) {
      int j = byVolume[n];
      UUID volume = new UUID(uuids[2 * j], uuids[2 * j + 1]);
      ids.nextBytes(keyId);
      batch.put(volumeBucket, volume,
          new VolumeRecord(volume, svm, name(j), true, HexFormat.of().formatHex(keyId)).encode());
      try (KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom())) {
        batch.put(vekBucket, volume, held.wrapping.wrap(vek, KeyBinding.vek(svm, volume, generation)));
        vek.copyInto(KeyAccess.insecure(), vekBytes, 0);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("wrapping a VEK failed", e);
      }
      for (Node node : Engine.of(engine).state().nodes) {
        node.installVek(volume, vekBytes);
      }
      batch = commitIfFull(batch, n == count - 1);
    }
    Arrays.fill(vekBytes, (byte) 0);
    String nameBucket = Buckets.volumeNames(svm);
    UUID[] nameKeys = new UUID[count];
    for (int j = 0; j < count; j++) {
      nameKeys[j] = Buckets.volumeNameKey(name(j));
    }
    int[] byName = keyOrder(count, j -> nameKeys[j].getMostSignificantBits());
    for (int n = 0; n < count; n++) {
      int j = byName[n];
      batch.put(nameBucket, nameKeys[j], Buckets.uuidBytes(new UUID(uuids[2 * j], uuids[2 * j + 1])));
      batch = commitIfFull(batch, n == count - 1);
    }
  }

  /** Volume {@code j} of the bulk ones: vol1, vol2, ... ({@code vol0} is the one created through the API). */
  private static String name(int j) {
    return "vol" + (j + 1);
  }

  private WriteBatch commitIfFull(WriteBatch batch, boolean last) {
    if (batch.size() < BATCH && !last) {
      return batch;
    }
    Engine.of(engine).state().db.commit(batch);
    return new WriteBatch();
  }

  /**
   * The indices {@code 0..count-1} ordered by {@code msb} of each (signed, as the store orders uuids), without a
   * boxed index per entry: each sort key is the high bits of {@code msb} with the index in its low bits, so ties
   * in the high bits (rare among random keys) are ordered by index, which is near enough for the B-tree.
   */
  private static int[] keyOrder(int count, IntToLongFunction msb) {
    int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, count));
    long low = (1L << bits) - 1;
    long[] sortKeys = new long[count];
    for (int j = 0; j < count; j++) {
      sortKeys[j] = (msb.applyAsLong(j) & ~low) | j;
    }
    Arrays.sort(sortKeys);
    int[] order = new int[count];
    for (int n = 0; n < count; n++) {
      order[n] = (int) (sortKeys[n] & low);
    }
    return order;
  }

  Job rekey() {
    return succeed(engine.barbican().rekeyInternal(config));
  }

  Job restore() {
    return succeed(engine.barbican().restore(config));
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
