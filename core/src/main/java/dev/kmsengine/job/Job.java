package dev.kmsengine.job;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * An immutable snapshot of an asynchronous operation, as {@code /api/cluster/jobs/{uuid}} shows it (the REST
 * module describes {@link #operation} by its method and path).
 *
 * @param uuid the job uuid
 * @param operation what was asked
 * @param state the state
 * @param code 0 unless failed, then the ONTAP error code
 * @param message progress while running ({@code "Rewrapped 5000 of 10000 volume encryption keys"}), then
 *     {@code "success"} or the error message
 * @param startTime when it started running, or null while queued
 * @param endTime when it finished, or null
 * @param error the error of a failed job
 * @param svmUuid the SVM the job works on, or null
 * @param resourceUuid the object the job created or acted on (for {@code Location}), or null
 * @param nodes per-node results, for jobs that act on every node (restore); otherwise empty
 */
public record Job(UUID uuid, Operation operation, JobState state, int code, String message, Instant startTime,
    Instant endTime, Optional<JobError> error, UUID svmUuid, UUID resourceUuid, List<NodeStatus> nodes) {

  /**
   * Copies the list.
   *
   * @param uuid the job uuid
   * @param operation what was asked
   * @param state the state
   * @param code 0 unless failed, then the ONTAP error code
   * @param message progress while running ({@code "Rewrapped 5000 of 10000 volume encryption keys"}), then
   *     {@code "success"} or the error message
   * @param startTime when it started running, or null while queued
   * @param endTime when it finished, or null
   * @param error the error of a failed job
   * @param svmUuid the SVM the job works on, or null
   * @param resourceUuid the object the job created or acted on (for {@code Location}), or null
   * @param nodes per-node results, for jobs that act on every node (restore); otherwise empty
   */
  public Job {
    nodes = List.copyOf(nodes);
  }

  /**
   * Returns this job if it succeeded; otherwise throws its error, so embedding code can chain
   * {@code engine.awaitJob(engine.barbican().rekeyInternal(c), timeout).requireSuccess()}.
   *
   * @return this job
   * @throws KmsException the job's error if it failed
   * @throws IllegalStateException if it is still queued or running
   */
  public Job requireSuccess() {
    if (state == JobState.SUCCESS) {
      return this;
    }
    if (state == JobState.FAILURE) {
      JobError e = error.orElseThrow();
      String prefix = e.errorCode().message();
      String detail = e.message().startsWith(prefix) ? e.message().substring(prefix.length()).trim() : "";
      throw new KmsException(e.errorCode(), e.target(), detail);
    }
    throw new IllegalStateException("job " + uuid + " (" + operation + ") is still " + state.wireName());
  }

  /**
   * The error of a failed job, in the shape of the REST error body.
   *
   * @param errorCode the code
   * @param message the full, non-secret message
   * @param target the field or parameter concerned, or {@code ""}
   */
  public record JobError(ErrorCode errorCode, String message, String target) {}

  /** The life of a job, with ONTAP's names. */
  public enum JobState {
    /** Accepted, waiting for its SVM's earlier jobs. */
    QUEUED,
    /** Running. */
    RUNNING,
    /** Finished successfully. */
    SUCCESS,
    /** Finished with an error. */
    FAILURE;

    /**
     * Whether the job has finished.
     *
     * @return {@code true} for {@code success} and {@code failure}
     */
    public boolean isTerminal() {
      return this == SUCCESS || this == FAILURE;
    }

    /**
     * The REST value.
     *
     * @return the value of the job's {@code state} field, e.g. {@code running}
     */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

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
}
