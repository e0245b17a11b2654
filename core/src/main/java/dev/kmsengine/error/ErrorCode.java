package dev.kmsengine.error;

/**
 * Every error the engine reports, with the ONTAP error code and message the REST reference gives for it.
 *
 * <p>The numeric codes are ONTAP's own, except the project's own in 13001-13004 ({@link #isOntapCode()}); the REST
 * layer serialises them as strings and maps each to one HTTP status in a single table. Messages never carry
 * secrets: where a message needs detail (a node name, a field value), the detail is passed separately to
 * {@link KmsException} and must be non-secret.
 *
 * <p>Immutable; thread-safe.
 */
public enum ErrorCode {
  // ONTAP common codes (REST "Response body" overview).
  /** An object with the same identifier already exists. */
  DUPLICATE_ENTRY(1, "Duplicate entry."),
  /** A field is missing, has an invalid value, or is not allowed. */
  INVALID_FIELD(2, "Invalid value for field."),
  /** The operation is not supported. */
  NOT_SUPPORTED(3, "Operation not supported."),
  /** The SVM named in a request body does not exist. */
  SVM_NOT_FOUND(2621462, "The specified SVM does not exist."),
  /** The object with the given identifier does not exist. */
  ENTRY_NOT_FOUND(4, "entry doesn't exist"),
  /** The request carries no credentials, or wrong ones. */
  NOT_AUTHORIZED(6, "Not authorized."),
  /** The object is in use and cannot be changed or deleted. */
  RESOURCE_IN_USE(8, "Resource is in use."),
  /** An unknown query parameter or field name. */
  UNEXPECTED_ARGUMENT(262179, "Unexpected argument."),
  /** A query parameter with an out-of-range value. */
  INVALID_ARGUMENT_VALUE(262197, "Invalid value for argument."),

  // POST /security/barbican-kms
  /** The MT_EK_MGMT package is not licensed. */
  NOT_LICENSED(1115127, "Package MT_EK_MGMT is not licensed in the cluster."),
  /** {@code application_cred_secret} missing or invalid on create. */
  CREATE_INVALID_CRED_SECRET(65539805,
      "Failed to create the Barbican Key Management Service configuration because the \"application-cred-secret\""
          + " field is invalid or was not provided."),
  /** Not every node runs 9.17 or later. */
  CLUSTER_VERSION_TOO_LOW(65539806,
      "Failed to create the Barbican Key Management Service configuration because not all nodes in the cluster"
          + " are running an effective cluster version of 9.17 or later."),
  /** Barbican is an SVM-scoped feature; the admin SVM cannot have it. */
  ADMIN_SVM_NOT_SUPPORTED(65539807, "Barbican Key Management Service is not supported for the admin SVM."),
  /** A configuration with the same name already exists on the SVM. */
  DUPLICATE_CONFIG_NAME(65539808,
      "Failed to create the Barbican Key Management Service configuration because a Barbican Key Management"
          + " Service configuration with the same name already exists."),
  /** MetroCluster configurations do not support Barbican. */
  METROCLUSTER_NOT_SUPPORTED(65539809,
      "Barbican Key Management Service is not supported in MetroCluster configurations."),
  /** {@code key_id} missing or not an HTTPS URL. */
  INVALID_KEY_ID(65539810,
      "Failed to create the Barbican Key Management Service configuration because the \"key-id\" field is invalid"
          + " or was not provided. The URI scheme must be HTTPS."),
  /** {@code keystone_url} missing or not an HTTPS URL. */
  INVALID_KEYSTONE_URL(65539811,
      "Failed to create the Barbican Key Management Service configuration because the \"keystone-url\" field is"
          + " invalid or was not provided. The URI scheme must be HTTPS."),
  /** {@code application_cred_id} empty on create. */
  CREATE_EMPTY_CRED_ID(65539835,
      "Failed to create the Barbican Key Management Service configuration because the \"application-cred-id\""
          + " field cannot be empty."),

  // PATCH /security/barbican-kms/{uuid}
  /** The new settings could not be verified against Barbican. */
  HEALTH_CHECK_FAILED(65539223, "Failed to check the health of the Barbican Key Management Service."),
  /** {@code application_cred_secret} invalid on update. */
  UPDATE_INVALID_CRED_SECRET(65539814,
      "Failed to update the Barbican Key Management Service configuration because the \"application-cred-secret\""
          + " field is invalid or was not provided."),
  /** {@code application_cred_id} invalid on update. */
  UPDATE_INVALID_CRED_ID(65539815,
      "Failed to update the Barbican Key Management Service configuration because the \"application-cred-id\""
          + " field is invalid or was not provided."),
  /** No configuration with that uuid. */
  CONFIG_NOT_FOUND(65539832, "Specified Barbican Key Management Service configuration does not exist."),
  /** Only one of id and secret was given. */
  CREDENTIALS_INCOMPLETE(65539841, "Both \"application_cred_id\" and \"application_cred_secret\" are required."),

  // GET
  /** At least one node cannot reach Barbican. */
  UNREACHABLE(65539801, "The Barbican Key Management Service is unreachable from one or more nodes."),

  // rekey-internal
  /** A fresh SVM-KEK could not be generated. */
  SVM_KEY_GENERATION_FAILED(65536205, "Internal error. Failed to generate SVM key in the kernel."),
  /** A volume's wrapped VEK is missing from the cluster database. */
  VEK_MISSING(65536883, "Internal error. Volume encryption key is missing."),
  /** A wrapped VEK failed authentication (tampered, or bound to another volume/SVM/generation). */
  VEK_INVALID(65536884, "Internal error. Volume encryption key is invalid."),
  /** A wrapped VEK blob is malformed (length, version). */
  INVALID_ENCRYPTION_BLOB(65536889, "Internal error. Volume has invalid encryption blob."),
  /** The wrapped SVM-KEK failed to unwrap under the top-level key. */
  SVM_KEK_UNWRAP_FAILED(65537533, "Internal error. Failed to unwrap SVM key encryption key."),
  /** The keystore is blocked: the top-level key is missing, disabled or not accessible. */
  KEYSTORE_BLOCKED(65537556,
      "ONTAP is unable to encrypt or decrypt because the configured external key manager is in a blocked state."
          + " Possible reasons for a blocked state include the top-level external key protection key is not found,"
          + " disabled or has insufficient privileges. Resolve the external key manager key issues at the key"
          + " manager's portal before running the rekey operation."),
  /** The new generation of VEK blobs could not be committed. */
  VDEK_UPDATE_FAILED(65537565, "Internal error. Failed to update the VDEK blob."),
  /** A keystore switch is in progress or was interrupted. */
  REKEY_WHILE_SWITCHING(65537610,
      "Rekey cannot be performed while the enabled keystore configuration is being switched. If a previous attempt"
          + " to switch the keystore configuration failed, or was interrupted, the system will continue to prevent"
          + " rekeying. Use the REST API PATCH method \"/api/security/key-stores/{uuid}\" to re-run and complete the"
          + " operation."),
  /** Wrapping under the top-level key failed. */
  ENCRYPT_FAILED(65539201, "Failed to encrypt."),
  /** Unwrapping under the top-level key failed. */
  DECRYPT_FAILED(65539202, "Failed to decrypt."),
  /** The key store answered something that is not a usable key. */
  KEY_RESPONSE_UNPARSABLE(65539416, "Internal error. Failed to parse the key value store response."),
  /** The keystore is initializing. */
  REKEY_WHILE_INITIALIZING(65539436,
      "Rekey cannot be performed while the enabled keystore configuration is being initialized. Wait until the"
          + " keystore is in the active state, and rerun the rekey operation."),
  /** The keystore is disabling. */
  REKEY_WHILE_DISABLING(65539437,
      "Rekey cannot be performed while the enabled keystore configuration is being disabled."),
  /** No enabled Barbican configuration for the SVM. */
  NOT_CONFIGURED(65539817, "The Barbican Key Management Service is not configured."),
  /** The top-level key named by {@code key_id} does not exist (or expired). */
  KEY_ID_NOT_FOUND(65539834, "New Key ID not found."),
  /** No key manager at all for the SVM. */
  NO_KMS_CONFIGURED(65539836, "No Key Management Service configured."),

  // restore
  /** At least one node could not get the SVM-KEK back. */
  RESTORE_FAILED(65539842, "Failed to restore the SVM-KEK on at least one node."),

  // DELETE /security/key-stores/{uuid}
  /** The keystore configuration is enabled. */
  KEYSTORE_ENABLED(65538905, "The keystore configuration is currently enabled and cannot be deleted."),
  /** The keystore is switching. */
  DELETE_WHILE_SWITCHING(65539593,
      "Cannot delete an inactive key manager configuration while the keystore is in the switching state."),

  // States a client fixes (a restore, a node power-on, a reconnect). They reuse the ONTAP code of the internal
  // error they used to be reported as, so clients matching on the code keep working, but they are answered with
  // 409 and a message that says what to do: nothing is inconsistent, a node's volatile key table is just empty.
  /** The node is down, or rebooted or was cut off since the last restore, so it does not hold the volume's key. */
  VEK_NOT_LOADED(65536883, "Volume encryption key is not loaded on the node."),
  /** No up node holds the current SVM-KEK, so a new volume's key cannot be wrapped; a restore loads it. */
  SVM_KEK_NOT_LOADED(65537533, "The SVM key encryption key is not loaded on any node."),

  // The cluster database itself. The reference names no code for it, so this one is the project's own: 13001, far
  // from the reference's 655xxxxx feature codes so no client mistakes it for one (not checked against ONTAP).
  /**
   * The cluster database could not read or commit (disk full, I/O error, damage); the message names the file and
   * the cause. A failed commit applied nothing; reads keep working, and writes do again once the cause is gone.
   */
  DATABASE_FAILED(13001, "Internal error. The cluster database failed."),
  // The engine's own two, in the same range: neither is an ONTAP error, and no input or state of the cluster
  // causes them.
  /**
   * A bug in the engine: an exception no operation expects. The message stays this generic text (the REST layer
   * answers 500 with it); the exception's cause, logged where it is caught, says what happened.
   */
  INTERNAL_ERROR(13002, "Internal error."),
  /** The operation was stopped before it finished because its thread was interrupted: the engine is closing. */
  CANCELLED(13003, "The operation was cancelled because the engine is shutting down."),
  /**
   * A block read or write, or a node control, named a node that another engine process on the same cluster
   * database hosts: its key table is there, not here. The message names the node and the endpoint that process
   * announced, so the REST layer can send the request there.
   */
  REMOTE_NODE(13004, "The node is hosted by another process.");

  private final int code;
  private final String message;

  ErrorCode(int code, String message) {
    this.code = code;
    this.message = message;
  }

  /**
   * The ONTAP error code.
   *
   * @return the numeric code, e.g. 65539832
   */
  public int code() {
    return code;
  }

  /**
   * The ONTAP code as it appears in a response body and in per-node reports.
   *
   * @return the decimal digits of {@link #code()}, e.g. {@code "65539832"}
   */
  public String wireCode() {
    return Integer.toString(code);
  }

  /**
   * Whether ONTAP itself reports this code. The project's own ({@link #DATABASE_FAILED}, {@link #INTERNAL_ERROR},
   * {@link #CANCELLED}, {@link #REMOTE_NODE}) are not in the reference.
   *
   * @return {@code false} for the project's own codes
   */
  public boolean isOntapCode() {
    return code < 13000 || code > 13999;
  }

  /**
   * The ONTAP message for this code, free of any secret.
   *
   * @return the reference's message text
   */
  public String message() {
    return message;
  }
}
