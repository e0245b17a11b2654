package dev.kmsengine.rest;

import dev.kmsengine.error.ErrorCode;

/**
 * The one table that decides the HTTP status of every engine error. The reference lists its codes with status
 * "Default" only; the choices follow ONTAP's general rules: 400 for input that is wrong, 404 for an identifier that
 * names nothing, 409 for a request that the current state forbids (something else must happen first: a restore,
 * a node power-on, a reconnect), and 500 only for genuine server faults: the reference's "Internal error" codes,
 * which mean the stored keys are inconsistent, a cluster database that failed (a full disk, an I/O error), and an
 * engine bug ({@link ErrorCode#INTERNAL_ERROR}, answered with its generic message only). A job cancelled because
 * the engine is closing is 503. A node hosted by another engine process is 421 (Misdirected Request): the
 * request belongs to that process.
 *
 * <p>The switch has no default branch, so a new {@link ErrorCode} does not compile until it is given a status
 * here (and in the README's table, which a test compares with this one).
 */
public final class ErrorStatus {
  private ErrorStatus() {}

  /**
   * The HTTP status for {@code code}.
   *
   * @param code the ONTAP error
   * @return the status the REST API answers it with, e.g. 404
   */
  public static int of(ErrorCode code) {
    return switch (code) {
      case INVALID_FIELD, NOT_SUPPORTED, UNEXPECTED_ARGUMENT, INVALID_ARGUMENT_VALUE, SVM_NOT_FOUND,
          CREATE_INVALID_CRED_SECRET, ADMIN_SVM_NOT_SUPPORTED, METROCLUSTER_NOT_SUPPORTED, INVALID_KEY_ID,
          INVALID_KEYSTONE_URL, CREATE_EMPTY_CRED_ID, HEALTH_CHECK_FAILED, UPDATE_INVALID_CRED_SECRET,
          UPDATE_INVALID_CRED_ID, CREDENTIALS_INCOMPLETE -> 400;
      case NOT_AUTHORIZED -> 401;
      case ENTRY_NOT_FOUND, CONFIG_NOT_FOUND -> 404;
      case DUPLICATE_ENTRY, RESOURCE_IN_USE, NOT_LICENSED, CLUSTER_VERSION_TOO_LOW, DUPLICATE_CONFIG_NAME,
          UNREACHABLE, KEYSTORE_BLOCKED, REKEY_WHILE_SWITCHING, REKEY_WHILE_INITIALIZING, REKEY_WHILE_DISABLING,
          NOT_CONFIGURED, KEY_ID_NOT_FOUND, NO_KMS_CONFIGURED, RESTORE_FAILED, KEYSTORE_ENABLED,
          DELETE_WHILE_SWITCHING, VEK_NOT_LOADED, SVM_KEK_NOT_LOADED -> 409;
      case SVM_KEY_GENERATION_FAILED, VEK_MISSING, VEK_INVALID, INVALID_ENCRYPTION_BLOB, SVM_KEK_UNWRAP_FAILED,
          VDEK_UPDATE_FAILED, ENCRYPT_FAILED, DECRYPT_FAILED, KEY_RESPONSE_UNPARSABLE, DATABASE_FAILED,
          INTERNAL_ERROR -> 500;
      case REMOTE_NODE -> 421;
      case CANCELLED -> 503;
    };
  }
}
