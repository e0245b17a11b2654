package dev.kmsengine.internal.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What a process publishes about one of its nodes, for the others' node listings and {@code state} reports: whether
 * the node is up, how many VEKs its table holds, and the generation of each SVM-KEK it holds. Stored in bucket
 * {@link Buckets#NODE_STATUS} under the node's uuid.
 *
 * <p>Immutable; thread-safe.
 *
 * @param up whether the node is up
 * @param veks how many VEKs its key table held when published
 * @param generations the generation of each SVM-KEK it holds, by SVM uuid
 */
record NodeStatusRecord(boolean up, int veks, Map<UUID, Long> generations) {
  NodeStatusRecord {
    generations = Map.copyOf(generations);
  }

  static NodeStatusRecord of(Node n) {
    return new NodeStatusRecord(n.isUp(), n.vekCount(), n.svmKekGenerations());
  }

  /** The generation of the SVM's KEK the node holds, 0 when none. */
  long generation(UUID svm) {
    return generations.getOrDefault(svm, 0L);
  }

  byte[] encode() {
    return RecordCodec.write(out -> {
      out.writeBoolean(up);
      out.writeInt(veks);
      out.writeInt(generations.size());
      for (Map.Entry<UUID, Long> e : generations.entrySet()) {
        RecordCodec.writeUuid(out, e.getKey());
        out.writeLong(e.getValue());
      }
    });
  }

  static NodeStatusRecord decode(byte[] b) {
    return RecordCodec.read(b, in -> {
      boolean up = in.readBoolean();
      int veks = in.readInt();
      int n = in.readInt();
      Map<UUID, Long> g = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        g.put(RecordCodec.readUuid(in), in.readLong());
      }
      return new NodeStatusRecord(up, veks, g);
    });
  }
}
