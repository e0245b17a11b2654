package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/svm/svms}: the data SVMs (as in ONTAP, the admin SVM is not listed), and {@code POST {"name"}} to
 * create one. Creating an SVM is synchronous: 201 with {@code Location}, no job.
 */
final class SvmsResource {
  static final String PATH = "/api/svm/svms";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("name", FieldType.STRING)
      .defaultOrder("name")
      .build();

  private final KmsEngine engine;

  SvmsResource(KmsEngine engine) {
    this.engine = engine;
  }

  void register(Router r) {
    r.add("GET", PATH, (ex, v) -> ex.send(200,
        CollectionQuery.parse(SCHEMA, ex.params()).run(dataSvms(), (s, a) -> render(s), PATH)));
    r.add("GET", PATH + "/{}", (ex, v) -> InstanceGet.answer(ex, SCHEMA, find(Router.uuid(v.get(0))),
        (s, a) -> render(s)));
    r.add("POST", PATH, (ex, v) -> create(ex));
  }

  private List<SvmInfo> dataSvms() {
    return engine.cluster().svms().stream().filter(s -> !s.admin()).toList();
  }

  private Optional<SvmInfo> find(UUID uuid) {
    return dataSvms().stream().filter(s -> s.uuid().equals(uuid)).findFirst();
  }

  static ObjectNode render(SvmInfo s) {
    ObjectNode o = Json.object();
    o.put("uuid", s.uuid().toString());
    o.put("name", s.name());
    o.set("_links", Json.selfLink(PATH + "/" + s.uuid()));
    return o;
  }

  private void create(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of("return_timeout", "return_records"));
    ex.params().returnTimeout(0);
    boolean records = ex.params().returnRecords(false);
    JsonBody b = ex.body();
    String name = b.string("name");
    b.requireNoOthers();
    SvmInfo svm = engine.cluster().createSvm(name);
    ex.header("Location", PATH + "/" + svm.uuid());
    ObjectNode body = Json.object();
    if (records) {
      body.put("num_records", 1);
      body.putArray("records").add(render(svm));
    }
    ex.send(201, body);
  }
}
