package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.job.Job;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** {@code /api/cluster/jobs}: the jobs of the last five minutes, with state, code, message, times and error. */
final class JobsResource {
  static final String PATH = "/api/cluster/jobs";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .field("description", FieldType.STRING)
      .field("state", FieldType.STRING)
      .field("code", FieldType.INTEGER)
      .field("message", FieldType.STRING)
      .field("start_time", FieldType.STRING)
      .field("end_time", FieldType.STRING)
      .field("error.message", FieldType.STRING)
      .field("error.code", FieldType.STRING)
      .field("svm.uuid", FieldType.STRING)
      .field("svm.name", FieldType.STRING)
      .defaultOrder("start_time")
      .build();

  private final KmsEngine engine;

  JobsResource(KmsEngine engine) {
    this.engine = engine;
  }

  void register(Router r) {
    r.add("GET", PATH, (ex, v) -> {
      CollectionQuery q = CollectionQuery.parse(SCHEMA, ex.params());
      Map<UUID, String> svms = svmNames();
      ex.send(200, q.run(engine.jobs(), (j, a) -> render(j, svms), PATH));
    });
    r.add("GET", PATH + "/{}", (ex, v) -> {
      Map<UUID, String> svms = svmNames();
      InstanceGet.answer(ex, SCHEMA, engine.job(Router.uuid(v.get(0))), (j, a) -> render(j, svms));
    });
  }

  private Map<UUID, String> svmNames() {
    return engine.cluster().svms().stream().collect(Collectors.toMap(SvmInfo::uuid, SvmInfo::name));
  }

  static ObjectNode render(Job j, Map<UUID, String> svms) {
    ObjectNode o = Json.object();
    o.put("uuid", j.uuid().toString());
    o.put("description", JobDescriptions.of(j));
    o.put("state", j.state().wireName());
    o.put("code", j.code());
    o.put("message", j.message());
    if (j.startTime() != null) {
      o.put("start_time", time(j.startTime()));
    }
    if (j.endTime() != null) {
      o.put("end_time", time(j.endTime()));
    }
    j.error().ifPresent(e -> {
      ObjectNode err = o.putObject("error");
      err.put("message", e.message());
      err.put("code", e.errorCode().wireCode());
    });
    if (j.svmUuid() != null) {
      Refs.svm(o, j.svmUuid(), svms.getOrDefault(j.svmUuid(), ""));
    }
    o.set("_links", Json.selfLink(PATH + "/" + j.uuid()));
    return o;
  }

  private static String time(Instant t) {
    return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
  }
}
