package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The answer to a POST, PATCH, DELETE or action that started a job, per {@code return_timeout}: 0 (the default)
 * answers 202 with the job link at once; 1..120 waits that long, then answers the success status with the job
 * link, the job's error if it failed, or 202 if it is still running.
 */
final class JobReplies {
  /** What the finished job's success is answered with: 201 when something was created or an action ran. */
  enum Kind {
    CREATE(201), ACTION(201), UPDATE(200), DELETE(200);

    final int status;

    Kind(int status) {
      this.status = status;
    }
  }

  private final KmsEngine engine;

  JobReplies(KmsEngine engine) {
    this.engine = engine;
  }

  static ObjectNode jobLink(UUID job) {
    ObjectNode body = Json.object();
    ObjectNode link = body.putObject("job");
    link.put("uuid", job.toString());
    link.set("_links", Json.selfLink("/api/cluster/jobs/" + job));
    return body;
  }

  /**
   * Answers for {@code submitted}.
   *
   * @param location the {@code Location} header, or null for none
   * @param record the record to return with {@code return_records=true} once the job succeeded, or null
   */
  void reply(ApiExchange ex, Job submitted, Kind kind, int returnTimeout, String location,
      Supplier<ObjectNode> record) throws IOException {
    if (returnTimeout == 0) {
      // The job may already have finished, but the client asked not to wait: it gets the job to poll.
      locate(ex, location);
      ex.send(202, jobLink(submitted.uuid()));
      return;
    }
    Job job = submitted;
    try {
      job = engine.awaitJob(submitted.uuid(), Duration.ofSeconds(returnTimeout));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (job.state() == JobState.FAILURE && job.error().isPresent()) {
      Job.JobError err = job.error().get();
      throw ApiException.of(err);
    }
    locate(ex, location);
    ObjectNode body = jobLink(job.uuid());
    if (job.state() != JobState.SUCCESS) {
      ex.send(202, body);
      return;
    }
    if (record != null) {
      ObjectNode r = record.get();
      if (r != null) {
        body.put("num_records", 1);
        body.putArray("records").add(r);
      }
    }
    ex.send(kind.status, body);
  }

  private static void locate(ApiExchange ex, String location) {
    if (location != null) {
      ex.header("Location", location);
    }
  }
}
