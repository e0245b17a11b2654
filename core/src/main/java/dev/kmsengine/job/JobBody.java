package dev.kmsengine.job;

/** The work of a job. Throwing {@link dev.kmsengine.error.KmsException} fails the job with that error. */
@FunctionalInterface
public interface JobBody {
  /** Does the work, reporting through {@code context}. */
  void run(JobContext context) throws Exception;
}
