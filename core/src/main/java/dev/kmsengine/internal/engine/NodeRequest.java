package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.util.Optional;
import java.util.UUID;

/**
 * Work that one process asks of a node another process hosts, through the cluster database: a record in bucket
 * {@link Buckets#NODE_REQUESTS} under {@code id}, answered by a {@link NodeStatus} in {@link Buckets#NODE_RESULTS}
 * under the same id. Neither carries a secret: the hosting process reads the configuration and the keys itself.
 *
 * <p>Immutable; thread-safe.
 *
 * @param id the request id
 * @param node the node that must do the work
 * @param kind what it must do
 * @param config the Barbican configuration it concerns
 */
record NodeRequest(UUID id, String node, Kind kind, UUID config) {
  /** What a node is asked to do. */
  enum Kind {
    /** Fetch the top-level KEK and install the SVM-KEK and every VEK of the current generation. */
    RESTORE,
    /** Check that Barbican can be reached through the node's path, without fetching key bytes. */
    REACHABILITY
  }

  byte[] encode() {
    return RecordCodec.write(out -> {
      out.writeUTF(node);
      out.writeByte(kind.ordinal());
      RecordCodec.writeUuid(out, config);
    });
  }

  static NodeRequest decode(UUID id, byte[] b) {
    return RecordCodec.read(b, in -> new NodeRequest(id, in.readUTF(), Kind.values()[in.readByte()],
        RecordCodec.readUuid(in)));
  }

  static byte[] encodeResult(NodeStatus s) {
    return RecordCodec.write(out -> {
      out.writeUTF(s.node());
      out.writeUTF(s.error().map(ErrorCode::name).orElse(""));
      out.writeUTF(s.message());
    });
  }

  static NodeStatus decodeResult(byte[] b) {
    return RecordCodec.read(b, in -> {
      String node = in.readUTF();
      String code = in.readUTF();
      String message = in.readUTF();
      return new NodeStatus(node, code.isEmpty() ? Optional.empty() : Optional.of(ErrorCode.valueOf(code)), message);
    });
  }
}
