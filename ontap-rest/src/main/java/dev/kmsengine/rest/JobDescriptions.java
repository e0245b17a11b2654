package dev.kmsengine.rest;

import dev.kmsengine.job.Job;

/**
 * A job's {@code description} as ONTAP shows it: the method and path of the request that started it, e.g.
 * {@code "POST /api/security/barbican-kms/{uuid}/rekey-internal"}. The engine names the operation; the paths are
 * this module's.
 *
 * <p>Stateless; thread-safe.
 */
public final class JobDescriptions {
  private static final String BARBICAN = "/api/security/barbican-kms";
  private static final String KEY_STORES = "/api/security/key-stores";
  private static final String VOLUMES = "/api/storage/volumes";

  private JobDescriptions() {}

  /**
   * The description of {@code job}.
   *
   * @param job a job of the engine
   * @return the method and path that started it
   */
  public static String of(Job job) {
    String r = String.valueOf(job.resourceUuid());
    return switch (job.operation()) {
      case CREATE_BARBICAN_CONFIG -> "POST " + BARBICAN;
      case UPDATE_BARBICAN_CONFIG -> "PATCH " + BARBICAN + "/" + r;
      case REKEY_INTERNAL -> "POST " + BARBICAN + "/" + r + "/rekey-internal";
      case RESTORE -> "POST " + BARBICAN + "/" + r + "/restore";
      case ENABLE_KEYSTORE, DISABLE_KEYSTORE -> "PATCH " + KEY_STORES + "/" + r;
      case CREATE_VOLUME -> "POST " + VOLUMES;
      case DELETE_VOLUME -> "DELETE " + VOLUMES + "/" + r;
    };
  }
}
