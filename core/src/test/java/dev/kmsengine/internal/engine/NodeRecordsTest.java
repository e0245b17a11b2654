package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The records processes exchange about nodes read back as written. */
class NodeRecordsTest {
  @Test
  void statusRecord_roundTrips() {
    UUID svm = UUID.randomUUID();
    NodeStatusRecord r = new NodeStatusRecord(true, 42, Map.of(svm, 3L));

    NodeStatusRecord back = NodeStatusRecord.decode(r.encode());

    assertEquals(r, back);
    assertEquals(3, back.generation(svm));
    assertEquals(0, back.generation(UUID.randomUUID()));
  }

  @Test
  void requestAndResult_roundTrip() {
    NodeRequest q = new NodeRequest(UUID.randomUUID(), "node3", NodeRequest.Kind.RESTORE, UUID.randomUUID());
    NodeStatus failed = NodeStatus.failure("node3", ErrorCode.KEY_ID_NOT_FOUND, "Key 404.");

    assertEquals(q, NodeRequest.decode(q.id(), q.encode()));
    assertEquals(failed, NodeRequest.decodeResult(NodeRequest.encodeResult(failed)));
    assertEquals(NodeStatus.success("node1"), NodeRequest.decodeResult(NodeRequest.encodeResult(
        NodeStatus.success("node1"))));
  }
}
