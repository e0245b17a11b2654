package dev.kmsengine.job;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.NodeStatus;
import java.time.Instant;
import java.util.List;
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
}
