package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.Reachability;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/security/barbican-kms}: list, create, show, update, {@code rekey-internal} and {@code restore}.
 * {@code application_cred_secret} and {@code proxy_password} are accepted and never rendered.
 */
final class BarbicanKmsResource {
  static final String PATH = "/api/security/barbican-kms";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("configuration.name", FieldType.STRING)
      .key("configuration.uuid", FieldType.STRING)
      .field("scope", FieldType.STRING)
      .field("svm.uuid", FieldType.STRING)
      .field("svm.name", FieldType.STRING)
      .field("key_id", FieldType.STRING)
      .field("application_cred_id", FieldType.STRING)
      .field("keystone_url", FieldType.STRING)
      .field("proxy_type", FieldType.STRING)
      .field("proxy_host", FieldType.STRING)
      .field("proxy_port", FieldType.INTEGER)
      .field("proxy_username", FieldType.STRING)
      .field("verify", FieldType.BOOLEAN)
      .field("verify_host", FieldType.BOOLEAN)
      .field("enabled", FieldType.BOOLEAN)
      .field("timeout", FieldType.INTEGER)
      .advanced("barbican_reachability.reachable", FieldType.BOOLEAN)
      .advanced("barbican_reachability.message", FieldType.STRING)
      .advanced("barbican_reachability.code", FieldType.STRING)
      .advanced("state.cluster_state", FieldType.BOOLEAN)
      .advanced("state.code", FieldType.STRING)
      .advanced("state.message", FieldType.STRING)
      .defaultOrder("svm.name", "configuration.name")
      .build();
  private static final Set<String> WRITE_PARAMS = Set.of("return_timeout", "return_records");

  private final KmsEngine engine;
  private final JobReplies replies;

  BarbicanKmsResource(KmsEngine engine, JobReplies replies) {
    this.engine = engine;
    this.replies = replies;
  }

  void register(Router r) {
    r.add("GET", PATH, (ex, v) -> list(ex));
    r.add("POST", PATH, (ex, v) -> create(ex));
    r.add("GET", PATH + "/{}", (ex, v) -> InstanceGet.answer(ex, SCHEMA,
        engine.barbican().barbicanConfig(Router.uuid(v.get(0))), this::render));
    r.add("PATCH", PATH, (ex, v) -> updateMatching(ex));
    r.add("PATCH", PATH + "/{}", (ex, v) -> update(ex, Router.uuid(v.get(0))));
    r.add("POST", PATH + "/{}/rekey-internal", (ex, v) -> rekey(ex, Router.uuid(v.get(0))));
    r.add("POST", PATH + "/{}/restore", (ex, v) -> restore(ex, Router.uuid(v.get(0))));
  }

  ObjectNode render(BarbicanConfig c, Set<String> advanced) {
    ObjectNode o = Json.object();
    Refs.configuration(o, c.uuid(), c.name());
    o.put("uuid", c.uuid().toString());
    o.put("scope", c.scope());
    Refs.svm(o, c.svmUuid(), c.svmName());
    o.put("key_id", c.keyId());
    o.put("application_cred_id", c.applicationCredId());
    o.put("keystone_url", c.keystoneUrl());
    o.put("proxy_type", c.proxyType().wireName());
    o.put("proxy_host", c.proxyHost());
    o.put("proxy_port", c.proxyPort());
    o.put("proxy_username", c.proxyUsername());
    o.put("verify", c.verify());
    o.put("verify_host", c.verifyHost());
    o.put("enabled", c.enabled());
    o.put("timeout", c.timeoutSeconds());
    if (advanced.contains("barbican_reachability")) {
      Reachability r = engine.barbican().reachability(c.uuid());
      ObjectNode n = o.putObject("barbican_reachability");
      n.put("reachable", r.reachable());
      n.put("message", r.message());
      n.put("code", Json.code(r.error()));
    }
    if (advanced.contains("state")) {
      KekAvailability k = engine.barbican().kekAvailability(c.uuid());
      ObjectNode n = o.putObject("state");
      n.put("cluster_state", k.clusterState());
      n.put("code", Json.code(k.error()));
      n.put("message", k.message());
    }
    o.set("_links", Json.selfLink(PATH + "/" + c.uuid()));
    return o;
  }

  private void list(ApiExchange ex) throws IOException {
    CollectionQuery q = CollectionQuery.parse(SCHEMA, ex.params());
    List<BarbicanConfig> all = engine.barbican().barbicanConfigs();
    ex.send(200, q.run(all, this::render, PATH));
  }

  private void create(ApiExchange ex) throws IOException {
    ex.params().allowOnly(WRITE_PARAMS);
    int timeout = ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    JsonBody b = ex.body();
    BarbicanConfigRequest request = BarbicanConfigRequest.builder()
        .svmName(b.string("svm.name"))
        .svmUuid(b.uuid("svm.uuid"))
        .configurationName(b.string("configuration.name"))
        .keyId(b.string("key_id"))
        .keystoneUrl(b.string("keystone_url"))
        .applicationCredId(b.string("application_cred_id"))
        .applicationCredSecret(b.secret("application_cred_secret"))
        .proxyType(b.string("proxy_type"))
        .proxyHost(b.string("proxy_host"))
        .proxyPort(b.integer("proxy_port"))
        .proxyUsername(b.string("proxy_username"))
        .proxyPassword(b.secret("proxy_password"))
        .verify(b.bool("verify"))
        .verifyHost(b.bool("verify_host"))
        .timeoutSeconds(b.integer("timeout"))
        .build();
    b.requireNoOthers();
    Job job = engine.barbican().createBarbicanConfig(request);
    UUID id = job.resourceUuid();
    replies.reply(ex, job, JobReplies.Kind.CREATE, timeout, PATH + "/" + id, records ? () -> record(id) : null);
  }

  private ObjectNode record(UUID id) {
    return engine.barbican().barbicanConfig(id).map(c -> InstanceGet.defaultView(SCHEMA, c, this::render)).orElse(null);
  }

  private void update(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(WRITE_PARAMS);
    int timeout = ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    Job job = engine.barbican().updateBarbicanConfig(id, updateOf(ex.body()));
    replies.reply(ex, job, JobReplies.Kind.UPDATE, timeout, null, records ? () -> record(id) : null);
  }

  private void updateMatching(ApiExchange ex) {
    BarbicanConfigUpdate u = updateOf(ex.body());
    new CollectionWrite<>(engine, SCHEMA, engine.barbican()::barbicanConfigs, this::render, BarbicanConfig::uuid)
        .run(ex, Set.of(), c -> engine.barbican().updateBarbicanConfig(c.uuid(), u), this::record);
  }

  private static BarbicanConfigUpdate updateOf(JsonBody b) {
    BarbicanConfigUpdate u = new BarbicanConfigUpdate(b.string("application_cred_id"),
        b.secret("application_cred_secret"), b.string("proxy_type"), b.string("proxy_host"),
        b.integer("proxy_port"), b.string("proxy_username"), b.secret("proxy_password"), b.bool("verify"),
        b.bool("verify_host"), b.integer("timeout"));
    b.requireNoOthers();
    return u;
  }

  private void rekey(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(WRITE_PARAMS);
    int timeout = ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    ex.body().requireNoOthers();
    Job job = engine.barbican().rekeyInternal(id);
    replies.reply(ex, job, JobReplies.Kind.ACTION, timeout, null, records ? () -> record(id) : null);
  }

  private void restore(ApiExchange ex, UUID id) throws IOException {
    ex.params().allowOnly(WRITE_PARAMS);
    int timeout = ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    ex.body().requireNoOthers();
    Job job = engine.barbican().restore(id);
    replies.reply(ex, job, JobReplies.Kind.ACTION, timeout, PATH + "/" + id, records ? () -> record(id) : null);
  }
}
