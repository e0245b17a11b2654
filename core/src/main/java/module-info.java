/**
 * The key hierarchy engine of ONTAP's Barbican KMS feature. The facade is {@link dev.kmsengine.KmsEngine} with its
 * views {@link dev.kmsengine.BarbicanKms} and {@link dev.kmsengine.Cluster}; the two SPIs are
 * {@link dev.kmsengine.kek.TopLevelKeyProvider} (where the top-level KEK comes from) and
 * {@link dev.kmsengine.store.ClusterDatabase} (where wrapped keys live); the rest of the exported packages are the
 * value types and the error type.
 *
 * <p>The operations live in {@code dev.kmsengine.internal.*}, which this module does not export (the error helpers
 * to the REST module only, for its log lines). Their public
 * classes are public only across those packages; code on the class path (this module's tests, the JMH benchmarks)
 * may use them, and they are not API.
 */
@SuppressWarnings({"requires-automatic", "module"})
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
  exports dev.kmsengine.internal.error to dev.kmsengine.rest;
}
