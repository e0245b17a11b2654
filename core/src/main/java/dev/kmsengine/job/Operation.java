package dev.kmsengine.job;

/**
 * What a job does: one constant per engine operation that runs as a job. The engine knows no URL; the REST
 * module names each operation by the method and path that start it.
 *
 * <p>Immutable; thread-safe.
 */
public enum Operation {
  /** A new Barbican configuration; the job's resource is the configuration. */
  CREATE_BARBICAN_CONFIG,
  /** A change to a Barbican configuration; the job's resource is the configuration. */
  UPDATE_BARBICAN_CONFIG,
  /** A new SVM-KEK generation; the job's resource is the enabled configuration. */
  REKEY_INTERNAL,
  /** The SVM-KEK and VEKs back on every node; the job's resource is the enabled configuration. */
  RESTORE,
  /** Enable or switch to a keystore configuration; the job's resource is the configuration. */
  ENABLE_KEYSTORE,
  /** Disable the enabled keystore configuration; the job's resource is the configuration. */
  DISABLE_KEYSTORE,
  /** A new volume (and, if encrypted, its VEK); the job's resource is the volume. */
  CREATE_VOLUME,
  /** A volume and its VEK destroyed; the job's resource is the volume. */
  DELETE_VOLUME
}
