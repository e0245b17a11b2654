package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.QueryParameters;
import dev.kmsengine.rest.query.RecordRenderer;
import dev.kmsengine.rest.query.ResourceSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A query-based PATCH or DELETE on a collection ({@code PATCH /api/security/barbican-kms?configuration.name=x}):
 * the instance operation applied to every record the field filters match, in the collection's default order.
 *
 * <ul>
 *   <li>No filter at all is refused (400): it would change every record. Filters that match nothing answer
 *       200 {@code {"num_records": 0}}.</li>
 *   <li>{@code serial_records=false} (default) starts every record's job at once; {@code true} starts each only
 *       after the previous one finished (waiting up to 120 s for each).</li>
 *   <li>{@code continue_on_failure=false} (default) stops at the first record that fails (the records after it
 *       are left alone); {@code true} goes on with the others.</li>
 *   <li>{@code return_timeout} (default 0) is how long to wait, in all, for the jobs: 202 with
 *       {@code {"num_records", "jobs": [...]}} if any is still running then, 200 when all succeeded, with the
 *       records after the change if {@code return_records=true}.</li>
 *   <li>If any record failed, the answer is the first failure's error (its status and code), with one
 *       {@code error.arguments} entry per failed record, naming its uuid.</li>
 * </ul>
 *
 * @param <T> the collection's item type
 */
final class CollectionWrite<T> {
  /** The operation's own parameters, which are not field filters. */
  static final Set<String> CONTROLS = Set.of("return_timeout", "return_records", "serial_records",
      "continue_on_failure");

  /** One record's instance operation: the job it started, or null if it finished synchronously. */
  @FunctionalInterface
  interface Operation<T> {
    Job apply(T item);
  }

  private final KmsEngine engine;
  private final ResourceSchema schema;
  private final Supplier<List<T>> items;
  private final RecordRenderer<T> renderer;
  private final Function<T, UUID> uuid;

  CollectionWrite(KmsEngine engine, ResourceSchema schema, Supplier<List<T>> items, RecordRenderer<T> renderer,
      Function<T, UUID> uuid) {
    this.engine = engine;
    this.schema = schema;
    this.items = items;
    this.renderer = renderer;
    this.uuid = uuid;
  }

  /**
   * Answers the request: applies {@code op} to every matching record.
   *
   * @param extra parameters of the instance operation itself (e.g. {@code action}), not filters
   * @param after renders a record for {@code return_records=true} once its job succeeded, or null if the
   *     operation leaves nothing to return (a delete)
   */
  void run(ApiExchange ex, Set<String> extra, Operation<T> op, Function<UUID, ObjectNode> after) {
    QueryParameters params = ex.params();
    int timeout = params.returnTimeout(0);
    boolean records = params.returnRecords(false);
    boolean serial = params.flag("serial_records", false);
    boolean keepGoing = params.flag("continue_on_failure", false);
    Set<String> controls = new HashSet<>(CONTROLS);
    controls.addAll(extra);
    if (params.entries().stream().allMatch(e -> controls.contains(e.getKey()))) {
      throw new ApiException(400, ErrorCode.INVALID_FIELD,
          "A " + ex.method + " on a collection needs a query naming the records"
          + " (a field filter, as a GET of the collection takes); without one it would apply to every record.", "");
    }
    List<T> targets = CollectionQuery.matching(schema, params, controls, items.get(), renderer);
    if (targets.isEmpty()) {
      ObjectNode none = Json.object();
      none.put("num_records", 0);
      ex.send(200, none);
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(timeout).toNanos();
    List<Job> jobs = new ArrayList<>();
    List<UUID> jobRecords = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    for (T item : targets) {
      UUID id = uuid.apply(item);
      Job job;
      try {
        job = op.apply(item);
      } catch (KmsException e) {
        failures.add(new Failure(id, ApiException.of(e)));
        if (keepGoing) {
          continue;
        }
        break;
      } catch (ApiException e) {
        failures.add(new Failure(id, e));
        if (keepGoing) {
          continue;
        }
        break;
      }
      if (job == null) {
        continue;
      }
      if (serial) {
        job = await(job, System.nanoTime() + Duration.ofSeconds(QueryParameters.MAX_RETURN_TIMEOUT).toNanos());
        Failure f = failure(id, job);
        if (f != null) {
          failures.add(f);
          if (keepGoing) {
            continue;
          }
          break;
        }
      }
      jobs.add(job);
      jobRecords.add(id);
    }
    boolean running = false;
    for (int i = 0; i < jobs.size(); i++) {
      Job j = jobs.get(i);
      if (timeout > 0 && !j.state().isTerminal()) {
        j = await(j, deadline);
        jobs.set(i, j);
      }
      Failure f = timeout > 0 ? failure(jobRecords.get(i), j) : null;
      if (f != null) {
        failures.add(f);
      }
      running |= (timeout == 0 && !serial) || !j.state().isTerminal();
    }
    if (!failures.isEmpty()) {
      throw summary(failures, targets.size());
    }
    ObjectNode body = Json.object();
    body.put("num_records", targets.size());
    if (!jobs.isEmpty()) {
      ArrayNode links = body.putArray("jobs");
      jobs.forEach(j -> links.add(JobReplies.jobLink(j.uuid()).get("job")));
    }
    if (records && !running && after != null) {
      ArrayNode out = body.putArray("records");
      for (T item : targets) {
        ObjectNode r = after.apply(uuid.apply(item));
        if (r != null) {
          out.add(r);
        }
      }
    }
    ex.send(running ? 202 : 200, body);
  }

  private record Failure(UUID record, ApiException error) {}

  private Job await(Job job, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return engine.job(job.uuid()).orElse(job);
    }
    try {
      return engine.awaitJob(job.uuid(), Duration.ofNanos(left));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return job;
    }
  }

  private static Failure failure(UUID record, Job job) {
    if (job.state() != JobState.FAILURE || job.error().isEmpty()) {
      return null;
    }
    Job.JobError err = job.error().get();
    return new Failure(record, ApiException.of(err));
  }

  private static ApiException summary(List<Failure> failures, int matched) {
    ApiException first = failures.get(0).error();
    List<ApiException.Argument> arguments = new ArrayList<>();
    for (Failure f : failures) {
      arguments.add(new ApiException.Argument(f.error().code, f.record() + ": " + f.error().getMessage()));
    }
    String message = failures.size() + " of " + matched + " matching records failed; the first: "
        + first.getMessage();
    return new ApiException(first.status, first.code, message, first.target, arguments);
  }
}
