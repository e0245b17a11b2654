package dev.kmsengine.internal.engine;

import java.util.UUID;

/**
 * Where the engine's records live in the cluster database. Each record is its own codec ({@link SvmRecord},
 * {@link VolumeRecord}, {@link ConfigRecord}, {@link SvmKeyState}); every encoding starts with a version byte
 * ({@link RecordCodec}) so that a later format can be read alongside this one.
 *
 * <h2>Buckets</h2>
 * <pre>
 * svms                  svm uuid    -&gt; SvmRecord
 * volumes/{svm}         volume uuid -&gt; VolumeRecord
 * volume-names/{svm}    name key    -&gt; volume uuid (16 bytes)
 * barbican-configs      config uuid -&gt; ConfigRecord (its secrets sealed under the configuration-protection key)
 * svm-keys              svm uuid    -&gt; SvmKeyState (enabled config, keystore state, generation, wrapped SVM-KEKs)
 * veks/{svm}/{gen}      volume uuid -&gt; wrapped VEK blob under SVM-KEK generation gen
 * maintenance           {@link #PURGE_PENDING} -&gt; empty: the file still holds secrets of an earlier format or key
 * node-status           node uuid   -&gt; NodeStatusRecord (multi-process mode: a node's key table, as its process
 *                                     last published it)
 * node-requests         request id  -&gt; NodeRequest (multi-process mode: work for a node of another process)
 * node-results          request id  -&gt; the answer to a NodeRequest
 * </pre>
 * Only the bucket of the current generation is authoritative; a rekey stages the next generation's bucket and
 * makes it current with one small commit of {@code svm-keys}.
 *
 * <p>Stateless; thread-safe.
 */
public final class Buckets {
  static final String SVMS = "svms";
  static final String CONFIGS = "barbican-configs";
  static final String SVM_KEYS = "svm-keys";
  static final String MAINTENANCE = "maintenance";
  static final String NODE_STATUS = "node-status";
  static final String NODE_REQUESTS = "node-requests";
  static final String NODE_RESULTS = "node-results";
  /**
   * Present while the database's files may still hold secrets in a form that is no longer current (plain text
   * from a version-1 configuration record, or sealed under a retired protection key): set in the commit that
   * reseals them, removed once {@link dev.kmsengine.store.ClusterDatabase#purgeHistory()} has rewritten the files,
   * so a crash in between repeats the purge on the next start.
   */
  static final UUID PURGE_PENDING = new UUID(0, 1);

  private Buckets() {}

  public static String volumes(UUID svm) {
    return "volumes/" + svm;
  }

  /**
   * The name index of an SVM's volumes: name key to volume uuid, committed with the volume record, so a create
   * checks for a duplicate name with one lookup instead of decoding every volume.
   */
  public static String volumeNames(UUID svm) {
    return "volume-names/" + svm;
  }

  /** The index key of a volume name (a name-based UUID: the index stores keys, never names). */
  public static UUID volumeNameKey(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public static byte[] uuidBytes(UUID u) {
    return java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
        .array();
  }

  public static String veks(UUID svm, long generation) {
    return "veks/" + svm + "/" + generation;
  }

  public static String vekPrefix(UUID svm) {
    return "veks/" + svm + "/";
  }
}
