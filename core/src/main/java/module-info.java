/**
 * The key hierarchy engine of ONTAP's Barbican KMS feature. The facade is {@link dev.kmsengine.KmsEngine}; the
 * two SPIs are {@link dev.kmsengine.kek.TopLevelKeyProvider} (where the top-level KEK comes from) and
 * {@link dev.kmsengine.store.ClusterDatabase} (where wrapped keys live). The operations behind the facade are
 * package-private types of {@code dev.kmsengine}, which no other module can reach.
 */
@SuppressWarnings("requires-automatic")
module dev.kmsengine.core {
  requires java.logging;
  requires com.h2database.mvstore;

  exports dev.kmsengine;
  exports dev.kmsengine.cluster;
  exports dev.kmsengine.crypto;
  exports dev.kmsengine.error;
  exports dev.kmsengine.job;
  exports dev.kmsengine.kek;
  exports dev.kmsengine.keystore;
  exports dev.kmsengine.store;
}
