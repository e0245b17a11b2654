package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.rest.query.CollectionQuery;
import dev.kmsengine.rest.query.FieldType;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/cluster/nodes}: list, show, and {@code PATCH ?action=reboot}. A rebooted node comes back at once
 * with an empty key table, and stays without the SVM-KEK until a restore; the reboot itself is synchronous, so
 * it answers 200 without a job.
 */
final class NodesResource {
  static final String PATH = "/api/cluster/nodes";
  static final ResourceSchema SCHEMA = ResourceSchema.builder()
      .key("name", FieldType.STRING)
      .field("state", FieldType.STRING)
      .defaultOrder("name")
      .build();

  private final KmsEngine engine;
  private final NodeForwarder forwarder;

  NodesResource(KmsEngine engine, NodeForwarder forwarder) {
    this.engine = engine;
    this.forwarder = forwarder;
  }

  void register(Router r) {
    Router.Handler list = (ex, v) -> ex.send(200,
        CollectionQuery.parse(SCHEMA, ex.params()).run(engine.cluster().nodes(), (n, a) -> render(n), PATH));
    Router.Handler show = (ex, v) -> InstanceGet.answer(ex, SCHEMA, find(Router.uuid(v.get(0))), (n, a) -> render(n));
    if (engine.cluster().nodes().stream().allMatch(NodeInfo::local)) {
      // The node table is held in memory (no database read), so reading it never waits.
      r.addNonWaiting("GET", PATH, list);
      r.addNonWaiting("GET", PATH + "/{}", show);
    } else {
      // Other processes host some nodes: their liveness comes from the coordination service (etcd), a round trip.
      r.add("GET", PATH, list);
      r.add("GET", PATH + "/{}", show);
    }
    r.add("PATCH", PATH, (ex, v) -> {
      requireReboot(ex.params().single("action"));
      ex.body().requireNoOthers();
      new CollectionWrite<>(engine, SCHEMA, engine.cluster()::nodes, (n, a) -> render(n), NodeInfo::uuid)
          .run(ex, Set.of("action"), n -> {
            if (forwarder.remote(n.name())) {
              rebootRemote(ex, n);
            } else {
              engine.cluster().rebootNode(n.name());
            }
            return null;
          }, null);
    });
    r.add("PATCH", PATH + "/{}", (ex, v) -> patch(ex, Router.uuid(v.get(0))));
  }

  private Optional<NodeInfo> find(UUID uuid) {
    List<NodeInfo> nodes = engine.cluster().nodes();
    return nodes.stream().filter(n -> n.uuid().equals(uuid)).findFirst();
  }

  static ObjectNode render(NodeInfo n) {
    ObjectNode o = Json.object();
    o.put("uuid", n.uuid().toString());
    o.put("name", n.name());
    o.put("state", n.up() ? "up" : "down");
    o.set("_links", Json.selfLink(PATH + "/" + n.uuid()));
    return o;
  }

  /** One node of a collection reboot, hosted by another process: that process reboots it. */
  private void rebootRemote(ApiExchange ex, NodeInfo n) {
    NodeForwarder.Reply r;
    try {
      r = forwarder.send(ex, n.name(), "PATCH", PATH + "/" + n.uuid() + "?action=reboot", new byte[0]);
    } catch (IOException e) {
      throw new ApiException(500, ErrorCode.INTERNAL_ERROR, ErrorCode.INTERNAL_ERROR.message(), "");
    }
    if (r.status() != 200) {
      throw r.asError();
    }
  }

  private void patch(ApiExchange ex, UUID uuid) throws IOException {
    ex.params().allowOnly(Set.of("action", "return_timeout"));
    ex.params().returnTimeout(0);
    String action = ex.params().single("action");
    NodeInfo node = find(uuid).orElseThrow(InstanceGet::notFound);
    requireReboot(action);
    if (forwarder.forwarded(ex, node.name())) {
      return;
    }
    ex.body().requireNoOthers();
    engine.cluster().rebootNode(node.name());
    ex.send(200, Json.object());
  }

  private static void requireReboot(String action) {
    if (!"reboot".equals(action)) {
      throw new ApiException(400, ErrorCode.INVALID_ARGUMENT_VALUE, action == null
          ? "\"action=reboot\" is required: it is the only change a node accepts."
          : "The value \"" + action + "\" is invalid for field \"action\" (reboot).", "action");
    }
  }
}
