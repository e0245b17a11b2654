package dev.kmsengine.internal.engine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.internal.job.JobLocks;
import dev.kmsengine.internal.job.JobQueue;
import dev.kmsengine.store.ClusterDatabase.Coordination.SvmLock;
import dev.kmsengine.store.WriteBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The shape of a cluster that several processes share (multi-process mode): its name, nodes (in order), admin SVM
 * and data SVMs, as the first process to open the store wrote them. Every later process must be built from the
 * same shape: a process with other nodes or SVMs would show another cluster over the same keys. Immutable.
 *
 * <p>Why under the cluster lock: two processes starting at once on an empty store must agree on one shape, and
 * {@link dev.kmsengine.store.ClusterDatabase} has no conditional put; the lock (with its fence on the commit)
 * makes the read, the comparison and the write one step across processes. A database of one process gets no
 * shape record, so that existing single-process files stay as they are.
 *
 * @param name the cluster name
 * @param nodes the node names, in order
 * @param adminSvm the admin SVM's name
 * @param dataSvms the data SVMs' names, in order
 */
record ClusterShape(String name, List<String> nodes, String adminSvm, List<String> dataSvms) {
  static final String BUCKET = "cluster-shape";
  static final UUID KEY = new UUID(0, 0);
  private static final int VERSION = 1;

  static ClusterShape of(ClusterSpec spec) {
    return new ClusterShape(spec.name(), List.copyOf(spec.nodes()), spec.adminSvm(), List.copyOf(spec.dataSvms()));
  }

  /**
   * Checks the store's shape against this engine's spec (writing it if the store has none yet) and adds the SVMs
   * the store lacks, under the cluster lock when several processes share the database; with one process, only adds
   * the SVMs.
   *
   * @throws IllegalStateException naming what differs if the store was created for another shape
   */
  static void settle(EngineState state) {
    if (!state.db.coordination().distributed()) {
      state.initialiseSvms();
      return;
    }
    ClusterShape mine = of(state.spec);
    try (SvmLock lock = state.db.coordination().lockSvm(JobLocks.CLUSTER, JobQueue.DEFAULT_LOCK_WAIT)) {
      byte[] stored = state.db.get(BUCKET, KEY);
      if (stored == null) {
        state.db.commit(new WriteBatch().put(BUCKET, KEY, mine.encode()).fence(lock.fence()));
      } else {
        String differs = decode(stored).differences(mine);
        if (!differs.isEmpty()) {
          throw new IllegalStateException("the cluster database " + state.db + " holds cluster \"" + decode(stored)
              .name() + "\" of another shape than this engine's spec: " + differs + ". Every process of one cluster"
              + " needs the same cluster name, nodes and SVMs.");
        }
      }
      lock.ensureHeld();
      state.initialiseSvms();
    }
  }

  /** What differs between the stored shape (this) and {@code mine}, or {@code ""}. */
  String differences(ClusterShape mine) {
    List<String> out = new ArrayList<>();
    if (!name.equals(mine.name)) {
      out.add("cluster name \"" + name + "\" stored, \"" + mine.name + "\" here");
    }
    if (!nodes.equals(mine.nodes)) {
      out.add("nodes " + nodes + " stored, " + mine.nodes + " here");
    }
    if (!adminSvm.equals(mine.adminSvm)) {
      out.add("admin SVM \"" + adminSvm + "\" stored, \"" + mine.adminSvm + "\" here");
    }
    if (!Set.copyOf(dataSvms).equals(Set.copyOf(mine.dataSvms))) {
      out.add("data SVMs " + dataSvms + " stored, " + mine.dataSvms + " here");
    }
    return String.join("; ", out);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeUTF(name);
      strings(out, nodes);
      out.writeUTF(adminSvm);
      strings(out, dataSvms);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static ClusterShape decode(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new IllegalStateException("the cluster shape record has version " + version + ", this engine reads "
            + VERSION);
      }
      return new ClusterShape(in.readUTF(), strings(in), in.readUTF(), strings(in));
    } catch (IOException e) {
      throw new IllegalStateException("the cluster shape record is unreadable: " + e, e);
    }
  }

  private static void strings(DataOutputStream out, List<String> list) throws IOException {
    out.writeInt(list.size());
    for (String s : list) {
      out.writeUTF(s);
    }
  }

  private static List<String> strings(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(in.readUTF());
    }
    return List.copyOf(out);
  }
}
