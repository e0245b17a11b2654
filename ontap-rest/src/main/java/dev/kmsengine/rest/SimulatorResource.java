package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The simulator's own endpoints, outside ONTAP's namespace: a block data path through a chosen node, each node's
 * power and network path to Keystone/Barbican, the per-node results of a job (which ONTAP's job schema lacks), and
 * the embedded emulator's faults and counters. Same Basic authentication and error envelope as the rest of the API;
 * every change answers 200 at once (no jobs).
 */
final class SimulatorResource {
  static final String PATH = "/api/simulator";

  private final KmsEngine engine;
  private final SimulatorControls controls;
  private final NodeForwarder forwarder;
  private final Object faultsLock = new Object();
  private ObjectNode faults = clearedFaults();

  SimulatorResource(KmsEngine engine, SimulatorControls controls, NodeForwarder forwarder) {
    this.engine = engine;
    this.controls = controls;
    this.forwarder = forwarder;
  }

  void register(Router r) {
    r.add("PUT", PATH + "/volumes/{}/blocks/{}", (ex, v) -> writeBlock(ex, Router.uuid(v.get(0)), block(v.get(1))));
    r.add("GET", PATH + "/volumes/{}/blocks/{}", (ex, v) -> readBlock(ex, Router.uuid(v.get(0)), block(v.get(1))));
    r.add("GET", PATH + "/nodes", (ex, v) -> listNodes(ex));
    r.add("GET", PATH + "/nodes/{}", (ex, v) -> showNode(ex, node(v.get(0))));
    r.add("PATCH", PATH + "/nodes/{}", (ex, v) -> patchNode(ex, node(v.get(0))));
    r.add("GET", PATH + "/jobs/{}/nodes", (ex, v) -> jobNodes(ex, Router.uuid(v.get(0))));
    r.add("GET", PATH + "/faults", (ex, v) -> {
      ex.params().allowOnly(Set.of());
      synchronized (faultsLock) {
        ex.send(200, faults.deepCopy());
      }
    });
    r.add("PATCH", PATH + "/faults", (ex, v) -> patchFaults(ex));
    r.add("DELETE", PATH + "/faults", (ex, v) -> clearFaults(ex));
    r.add("GET", PATH + "/emulator", (ex, v) -> showEmulator(ex));
    r.add("POST", PATH + "/emulator/projects", (ex, v) -> addProject(ex));
    r.add("POST", PATH + "/emulator/application-credentials", (ex, v) -> addCredential(ex));
    r.add("DELETE", PATH + "/emulator/counters", (ex, v) -> {
      ex.params().allowOnly(Set.of());
      emulator().resetCounters();
      ex.send(200, counters(emulator()));
    });
  }

  // ------------------------------------------------------------------ blocks

  private static long block(String s) {
    try {
      long n = Long.parseLong(s);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Answered below.
    }
    throw new KmsException(ErrorCode.INVALID_FIELD, "block", "The block number must be an integer >= 0.");
  }

  private String nodeParam(ApiExchange ex) {
    ex.params().allowOnly(Set.of("node"));
    String node = ex.params().single("node");
    if (node == null || node.isEmpty()) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "node", "\"node\" is required: the node to go through.");
    }
    return node(node).name();
  }

  private void writeBlock(ApiExchange ex, UUID volume, long block) throws IOException {
    String node = nodeParam(ex);
    if (forwarder.forwarded(ex, node)) {
      return;
    }
    JsonBody body = ex.body();
    String b64 = body.string("data_base64");
    body.requireNoOthers();
    if (b64 == null) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "data_base64", "\"data_base64\" is required.");
    }
    byte[] data;
    try {
      data = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "data_base64", "\"data_base64\" must be base64.");
    }
    engine.cluster().writeBlock(node, volume, block, data);
    ObjectNode o = blockRecord(volume, block, node);
    o.put("size", data.length);
    ex.send(200, o);
  }

  private void readBlock(ApiExchange ex, UUID volume, long block) throws IOException {
    String node = nodeParam(ex);
    if (forwarder.forwarded(ex, node)) {
      return;
    }
    byte[] data = engine.cluster().readBlock(node, volume, block);
    ObjectNode o = blockRecord(volume, block, node);
    o.put("size", data.length);
    o.put("data_base64", Base64.getEncoder().encodeToString(data));
    ex.send(200, o);
  }

  private static ObjectNode blockRecord(UUID volume, long block, String node) {
    ObjectNode o = Json.object();
    o.putObject("volume").put("uuid", volume.toString());
    o.put("block", block);
    o.put("node", node);
    return o;
  }

  // ------------------------------------------------------------------ nodes

  private NodeInfo node(String name) {
    List<NodeInfo> nodes = engine.cluster().nodes();
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
        .orElseThrow(() -> new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "entry doesn't exist", "node"));
  }

  private ObjectNode render(NodeInfo n) {
    ObjectNode o = Json.object();
    o.put("name", n.name());
    o.put("uuid", n.uuid().toString());
    o.put("state", n.up() ? "up" : "down");
    o.put("barbican_connected", controls.connected(n.name()));
    o.put("svm_keks", n.svmKeks());
    o.put("veks", n.veks());
    return o;
  }

  /**
   * A node another process hosts is shown as that process sees it (its key table, its path to Barbican); one no
   * live process hosts, as this one sees it: down.
   */
  private void showNode(ApiExchange ex, NodeInfo n) throws IOException {
    ex.params().allowOnly(Set.of());
    if (n.local() || !n.up() || !forwarder.forwarded(ex, n.name())) {
      ex.send(200, render(n));
    }
  }

  /** Every node, each as {@link #showNode} shows it; a host that does not answer leaves its node as seen here. */
  private void listNodes(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    ObjectNode o = Json.object();
    var records = o.putArray("records");
    List<NodeInfo> nodes = engine.cluster().nodes();
    for (NodeInfo n : nodes) {
      records.add(n.local() || !n.up() ? render(n) : remoteRecord(ex, n));
    }
    o.put("num_records", nodes.size());
    ex.send(200, o);
  }

  private ObjectNode remoteRecord(ApiExchange ex, NodeInfo n) throws IOException {
    try {
      NodeForwarder.Reply r = forwarder.send(ex, n.name(), "GET", PATH + "/nodes/" + n.name(), new byte[0]);
      if (r.status() == 200 && Json.parse(r.body()) instanceof ObjectNode remote) {
        return remote;
      }
    } catch (ApiException e) {
      // Its host is unreachable: the node is shown as this process sees it.
    }
    return render(n);
  }

  private void patchNode(ApiExchange ex, NodeInfo n) throws IOException {
    ex.params().allowOnly(Set.of());
    if (forwarder.forwarded(ex, n.name())) {
      return;
    }
    JsonBody body = ex.body();
    String state = body.string("state");
    Boolean connected = body.bool("barbican_connected");
    body.requireNoOthers();
    if (state != null && !state.equals("up") && !state.equals("down")) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "state", "\"state\" must be \"up\" or \"down\".");
    }
    if (connected != null) {
      controls.connect(n.name(), connected);
    }
    if (state != null) {
      engine.cluster().setNodeUp(n.name(), state.equals("up"));
    }
    ex.send(200, render(node(n.name())));
  }

  // ------------------------------------------------------------------ jobs

  /**
   * {@link Job#nodes()}: one record per node for a restore, none for a job that does not act node by node. A job
   * past its retention is gone here as in {@code /api/cluster/jobs}.
   */
  private void jobNodes(ApiExchange ex, UUID uuid) throws IOException {
    ex.params().allowOnly(Set.of());
    Job job = engine.job(uuid).orElseThrow(InstanceGet::notFound);
    ObjectNode o = JobReplies.jobLink(uuid);
    var records = o.putArray("records");
    for (NodeStatus s : job.nodes()) {
      records.addObject().put("node", s.node()).put("ok", s.ok()).put("code", Json.code(s.error()))
          .put("message", s.message());
    }
    o.put("num_records", job.nodes().size());
    ex.send(200, o);
  }

  // ------------------------------------------------------------------ emulator faults

  private OpenStackEmulator emulator() {
    return controls.emulator().orElseThrow(() -> new ApiException(409, ErrorCode.NOT_SUPPORTED,
        "The Keystone/Barbican emulator is not running (--no-emulator).", ""));
  }

  private static ObjectNode clearedFaults() {
    ObjectNode o = Json.object();
    o.put("latency_ms", 0);
    o.put("keystone_down", false);
    o.put("barbican_down", false);
    o.put("refuse_connections", false);
    o.putObject("keystone_errors").put("count", 0).put("status", 503);
    o.putObject("barbican_errors").put("count", 0).put("status", 503);
    o.put("reject_valid_tokens", 0);
    return o;
  }

  private void patchFaults(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    OpenStackEmulator os = emulator();
    JsonBody body = ex.body();
    Integer latency = body.integer("latency_ms");
    Boolean keystoneDown = body.bool("keystone_down");
    Boolean barbicanDown = body.bool("barbican_down");
    Boolean refuse = body.bool("refuse_connections");
    Integer ksCount = body.integer("keystone_errors.count");
    Integer ksStatus = body.integer("keystone_errors.status");
    Integer bbCount = body.integer("barbican_errors.count");
    Integer bbStatus = body.integer("barbican_errors.status");
    Integer reject = body.integer("reject_valid_tokens");
    Boolean expire = body.bool("expire_tokens");
    Integer lifetime = body.integer("token_lifetime_s");
    String deleteSecret = body.string("delete_secret");
    body.requireNoOthers();
    nonNegative("latency_ms", latency);
    nonNegative("keystone_errors.count", ksCount);
    nonNegative("barbican_errors.count", bbCount);
    nonNegative("reject_valid_tokens", reject);
    status("keystone_errors.status", ksStatus);
    status("barbican_errors.status", bbStatus);
    if (lifetime != null && lifetime < 1) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "token_lifetime_s", "\"token_lifetime_s\" must be >= 1.");
    }
    if (deleteSecret != null && os.secretPayload(deleteSecret) == null) {
      throw new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "entry doesn't exist", "delete_secret");
    }
    synchronized (faultsLock) {
      if (latency != null) {
        os.latency(Duration.ofMillis(latency));
        faults.put("latency_ms", latency);
      }
      if (keystoneDown != null) {
        controls.keystoneUp(!keystoneDown);
        faults.put("keystone_down", keystoneDown);
      }
      if (barbicanDown != null) {
        controls.barbicanUp(!barbicanDown);
        faults.put("barbican_down", barbicanDown);
      }
      if (refuse != null) {
        os.refuseConnections(refuse);
        faults.put("refuse_connections", refuse);
      }
      if (ksCount != null || ksStatus != null) {
        ObjectNode k = (ObjectNode) faults.get("keystone_errors");
        int status = ksStatus != null ? ksStatus : k.get("status").asInt();
        int count = ksCount != null ? ksCount : k.get("count").asInt();
        os.failKeystone(count, status);
        k.put("count", count).put("status", status);
      }
      if (bbCount != null || bbStatus != null) {
        ObjectNode k = (ObjectNode) faults.get("barbican_errors");
        int status = bbStatus != null ? bbStatus : k.get("status").asInt();
        int count = bbCount != null ? bbCount : k.get("count").asInt();
        os.failBarbican(count, status);
        k.put("count", count).put("status", status);
      }
      if (reject != null) {
        os.rejectValidTokens(reject);
        faults.put("reject_valid_tokens", reject);
      }
      if (lifetime != null) {
        os.tokenLifetime(Duration.ofSeconds(lifetime));
      }
      if (Boolean.TRUE.equals(expire)) {
        os.expireAllTokens();
      }
      if (deleteSecret != null) {
        os.deleteSecret(deleteSecret);
      }
      controls.forgetCachedKeys();
      ex.send(200, faults.deepCopy());
    }
  }

  private void clearFaults(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    OpenStackEmulator os = emulator();
    synchronized (faultsLock) {
      os.latency(Duration.ZERO);
      os.failKeystone(0, 503);
      os.failBarbican(0, 503);
      os.rejectValidTokens(0);
      os.refuseConnections(false);
      controls.keystoneUp(true);
      controls.barbicanUp(true);
      controls.forgetCachedKeys();
      faults = clearedFaults();
      ex.send(200, faults.deepCopy());
    }
  }

  private static void nonNegative(String field, Integer v) {
    if (v != null && v < 0) {
      throw new KmsException(ErrorCode.INVALID_FIELD, field, "\"" + field + "\" must be >= 0.");
    }
  }

  private static void status(String field, Integer v) {
    if (v != null && (v < 400 || v > 599)) {
      throw new KmsException(ErrorCode.INVALID_FIELD, field, "\"" + field + "\" must be an HTTP error status.");
    }
  }

  private void showEmulator(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    OpenStackEmulator os = emulator();
    ObjectNode o = Json.object();
    o.put("keystone_url", os.keystoneUrl());
    o.put("barbican_url", os.barbicanUrl());
    o.set("counters", counters(os));
    ArrayNode projects = o.putArray("projects");
    os.projects().forEach(p -> projects.add(project(p)));
    ex.send(200, o);
  }

  private static ObjectNode project(OpenStackEmulator.Project p) {
    return Json.object().put("id", p.id()).put("name", p.name());
  }

  private void addProject(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    OpenStackEmulator os = emulator();
    JsonBody body = ex.body();
    String name = body.string("name");
    body.requireNoOthers();
    if (name == null || name.isBlank()) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "name", "\"name\" is required: the project's name.");
    }
    ex.send(200, project(os.addProject(name)));
  }

  /** The caller chooses the secret, so that no answer has to carry one. */
  private void addCredential(ApiExchange ex) throws IOException {
    ex.params().allowOnly(Set.of());
    OpenStackEmulator os = emulator();
    JsonBody body = ex.body();
    String id = body.string("id");
    Secret secret = body.secret("secret");
    String projectId = body.string("project.id");
    List<String> roles = body.strings("roles");
    body.requireNoOthers();
    if (id == null || id.isBlank()) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "id", "\"id\" is required: the credential's id.");
    }
    if (secret == null || secret.isEmpty()) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "secret", "\"secret\" is required: the credential's secret.");
    }
    OpenStackEmulator.Project project = projectId == null ? os.defaultProject() : os.projects().stream()
        .filter(p -> p.id().equals(projectId)).findFirst().orElseThrow(() -> new KmsException(
            ErrorCode.INVALID_FIELD, "project.id", "The emulator has no project \"" + projectId + "\"."));
    OpenStackEmulator.ApplicationCredential c = os.addApplicationCredential(id, secret.reveal(), project,
        roles == null ? List.of("creator") : roles);
    ObjectNode o = Json.object().put("id", c.id());
    o.set("project", project(project));
    c.roles().forEach(o.putArray("roles")::add);
    ex.send(200, o);
  }

  private static ObjectNode counters(OpenStackEmulator os) {
    ObjectNode c = Json.object();
    c.put("token_requests", os.tokenRequests());
    c.put("metadata_requests", os.metadataRequests());
    c.put("payload_requests", os.payloadRequests());
    return c;
  }
}
