package dev.kmsengine.internal.job;

/**
 * The work of a job. Throwing {@link dev.kmsengine.error.KmsException} fails the job with that error.
 *
 * <p>Each body runs on one job thread, under its SVM's lock.
 */
@FunctionalInterface
public interface JobBody {
  /**
   * Does the work, reporting through {@code context}.
   *
   * @param context where the body reports progress and per-node results
   * @throws Exception to fail the job: a {@link dev.kmsengine.error.KmsException} with its code, anything else as an
   *     internal error
   */
  void run(JobContext context) throws Exception;
}
