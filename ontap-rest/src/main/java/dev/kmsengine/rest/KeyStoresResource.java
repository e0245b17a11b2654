package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KeystoreState;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/security/key-stores}: list, show, enable or switch ({@code {"enabled": true}}), disable
 * ({@code false}) and delete an inactive configuration.
 */
final class KeyStoresResource {
  static final String PATH = "/api/security/key-stores";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("configuration.name", FieldType.STRING)
      .key("configuration.uuid", FieldType.STRING)
      .field("enabled", FieldType.BOOLEAN)
      .field("location", FieldType.STRING)
      .field("scope", FieldType.STRING)
      .field("svm.uuid", FieldType.STRING)
      .field("svm.name", FieldType.STRING)
      .field("type", FieldType.STRING)
      .field("state", FieldType.STRING)
      .defaultOrder("svm.name", "configuration.name")
      .build();

  private final KmsEngine engine;
  private final JobReplies replies;

  KeyStoresResource(KmsEngine engine, JobReplies replies) {
    this.engine = engine;
    this.replies = replies;
  }

  void register(Router r) {
    r.add("GET", PATH, (ex, v) -> ex.send(200,
        CollectionQuery.parse(SCHEMA, ex.params()).run(engine.barbican().keystores(), this::render, PATH)));
    r.add("GET", PATH + "/{}", (ex, v) -> InstanceGet.answer(ex, SCHEMA,
        engine.barbican().keystore(Router.uuid(v.get(0))), this::render));
    r.add("PATCH", PATH, (ex, v) -> {
      boolean enabled = enabledOf(ex.body());
      matching().run(ex, Set.of(),
          k -> enabled ? engine.barbican().enableKeystore(k.uuid()) : engine.barbican().disableKeystore(k.uuid()),
          this::record);
    });
    r.add("DELETE", PATH, (ex, v) -> {
      ex.body().requireNoOthers();
      matching().run(ex, Set.of(), k -> {
        engine.barbican().deleteKeystore(k.uuid());
        return null;
      }, null);
    });
    r.add("PATCH", PATH + "/{}", (ex, v) -> patch(ex, Router.uuid(v.get(0))));
    r.add("DELETE", PATH + "/{}", (ex, v) -> delete(ex, Router.uuid(v.get(0))));
  }

  ObjectNode render(Keystore k, Set<String> advanced) {
    ObjectNode o = Json.object();
    Refs.configuration(o, k.uuid(), k.configurationName());
    o.put("uuid", k.uuid().toString());
    o.put("enabled", k.enabled());
    o.put("location", k.location());
    o.put("scope", k.scope());
    Refs.svm(o, k.svmUuid(), k.svmName());
    o.put("type", k.type());
    // ONTAP shows a state only for the configuration in use (or being switched to).
    if (k.enabled() || k.state() != KeystoreState.INACTIVE) {
      o.put("state", k.state().wireName());
    }
    // ONTAP's security_keystore schema has no top-level _links (strict clients reject one).
    return o;
  }

  private CollectionWrite<Keystore> matching() {
    return new CollectionWrite<>(engine, SCHEMA, engine.barbican()::keystores, this::render, Keystore::uuid);
  }

  private ObjectNode record(UUID id) {
    return engine.barbican().keystore(id).map(k -> InstanceGet.defaultView(SCHEMA, k, this::render)).orElse(null);
  }

  private static boolean enabledOf(JsonBody b) {
    Boolean enabled = b.bool("enabled");
    b.requireNoOthers();
    if (enabled == null) {
      throw new ApiException(400, ErrorCode.INVALID_FIELD,
          "\"enabled\" is required: true enables (or switches to) the configuration,"
          + " false disables it.", "enabled");
    }
    return enabled;
  }

  private void patch(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(Set.of("return_timeout"));
    int timeout = ex.params().returnTimeout(0);
    boolean enabled = enabledOf(ex.body());
    if (engine.barbican().keystore(id).isEmpty()) {
      throw InstanceGet.notFound();
    }
    Job job = enabled ? engine.barbican().enableKeystore(id) : engine.barbican().disableKeystore(id);
    replies.reply(ex, job, JobReplies.Kind.UPDATE, timeout, null, null);
  }

  private void delete(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(Set.of("return_timeout"));
    ex.params().returnTimeout(0);
    ex.body().requireNoOthers();
    engine.barbican().deleteKeystore(id);
    ex.send(200, Json.object());
  }
}
