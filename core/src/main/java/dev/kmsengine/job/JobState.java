package dev.kmsengine.job;

import java.util.Locale;

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
