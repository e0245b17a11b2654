package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.job.Job;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/storage/volumes}: list, show, create ({@code "encryption": {"enabled": true}} for an NVE volume
 * whose key goes under the SVM-KEK) and delete (its key is destroyed). Shows {@code encryption.enabled},
 * {@code encryption.state} and {@code encryption.key_id}.
 */
final class VolumesResource {
  static final String PATH = "/api/storage/volumes";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("name", FieldType.STRING)
      .field("svm.uuid", FieldType.STRING)
      .field("svm.name", FieldType.STRING)
      .field("encryption.enabled", FieldType.BOOLEAN)
      .field("encryption.state", FieldType.STRING)
      .field("encryption.key_id", FieldType.STRING)
      .defaultOrder("svm.name", "name")
      .build();

  private final KmsEngine engine;
  private final JobReplies replies;

  VolumesResource(KmsEngine engine, JobReplies replies) {
    this.engine = engine;
    this.replies = replies;
  }

  void register(Router r) {
    r.add("GET", PATH, (ex, v) -> ex.send(200,
        CollectionQuery.parse(SCHEMA, ex.params()).run(engine.cluster().volumes(), (vol, a) -> render(vol), PATH)));
    r.add("GET", PATH + "/{}", (ex, v) -> InstanceGet.answer(ex, SCHEMA, engine.cluster().volume(Router.uuid(v.get(0))),
        (vol, a) -> render(vol)));
    r.add("POST", PATH, (ex, v) -> create(ex));
    r.add("DELETE", PATH, (ex, v) -> {
      ex.body().requireNoOthers();
      new CollectionWrite<>(engine, SCHEMA, engine.cluster()::volumes, (vol, a) -> render(vol), VolumeInfo::uuid)
          .run(ex, Set.of(), vol -> engine.cluster().deleteVolume(vol.uuid()), null);
    });
    r.add("DELETE", PATH + "/{}", (ex, v) -> delete(ex, Router.uuid(v.get(0))));
  }

  static ObjectNode render(VolumeInfo v) {
    ObjectNode o = Json.object();
    o.put("uuid", v.uuid().toString());
    o.put("name", v.name());
    Refs.svm(o, v.svmUuid(), v.svmName());
    ObjectNode enc = o.putObject("encryption");
    enc.put("enabled", v.encrypted());
    enc.put("state", v.encryptionState());
    if (v.keyId() != null && !v.keyId().isEmpty()) {
      enc.put("key_id", v.keyId());
    }
    o.set("_links", Json.selfLink(PATH + "/" + v.uuid()));
    return o;
  }

  private void create(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of("return_timeout", "return_records"));
    int timeout = ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    JsonBody b = ex.body();
    String name = b.string("name");
    String svmName = b.string("svm.name");
    UUID svmUuid = b.uuid("svm.uuid");
    Boolean encrypted = b.bool("encryption.enabled");
    b.requireNoOthers();
    Job job = engine.cluster().createVolume(svmName, svmUuid, name, encrypted != null && encrypted);
    UUID id = job.resourceUuid();
    replies.reply(ex, job, JobReplies.Kind.CREATE, timeout, PATH + "/" + id,
        records ? () -> engine.cluster().volume(id).map(VolumesResource::render).orElse(null) : null);
  }

  private void delete(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(Set.of("return_timeout"));
    int timeout = ex.params().returnTimeout(0);
    ex.body().requireNoOthers();
    if (engine.cluster().volume(id).isEmpty()) {
      throw InstanceGet.notFound();
    }
    replies.reply(ex, engine.cluster().deleteVolume(id), JobReplies.Kind.DELETE, timeout, null, null);
  }
}
