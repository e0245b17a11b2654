package dev.kmsengine.internal.job;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.job.Job;
import dev.kmsengine.job.Job.JobState;
import dev.kmsengine.job.Job.Operation;
import dev.kmsengine.keystore.Keystore.NodeStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A job as stored for the other processes of a multi-process cluster: its snapshot, the process that runs it, and
 * when that process last wrote it (by its clock). Enumerations are stored by name, so that adding a constant never
 * changes what a stored record means. No secret is in a job, so nothing here is sealed. Immutable.
 *
 * @param job the job as its process last wrote it
 * @param owner the process that runs it ({@link StoredJobs})
 * @param written when it was written
 */
record JobRecord(Job job, UUID owner, Instant written) {
  private static final int VERSION = 1;

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      uuid(out, job.uuid());
      out.writeUTF(job.operation().name());
      out.writeUTF(job.state().name());
      out.writeInt(job.code());
      out.writeUTF(job.message());
      instant(out, job.startTime());
      instant(out, job.endTime());
      out.writeBoolean(job.error().isPresent());
      if (job.error().isPresent()) {
        Job.JobError e = job.error().get();
        out.writeUTF(e.errorCode().name());
        out.writeUTF(e.message());
        out.writeUTF(e.target());
      }
      uuid(out, job.svmUuid());
      uuid(out, job.resourceUuid());
      out.writeInt(job.nodes().size());
      for (NodeStatus n : job.nodes()) {
        out.writeUTF(n.node());
        out.writeUTF(n.error().map(ErrorCode::name).orElse(""));
        out.writeUTF(n.message());
      }
      uuid(out, owner);
      instant(out, written);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * The record {@code bytes} hold.
   *
   * @throws IllegalArgumentException if they are not a job record this engine reads
   */
  static JobRecord decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new IllegalArgumentException("job record version " + version + ", this engine reads " + VERSION);
      }
      UUID uuid = uuid(in);
      Operation operation = Operation.valueOf(in.readUTF());
      JobState state = JobState.valueOf(in.readUTF());
      int code = in.readInt();
      String message = in.readUTF();
      Instant start = instant(in);
      Instant end = instant(in);
      Optional<Job.JobError> error = Optional.empty();
      if (in.readBoolean()) {
        error = Optional.of(new Job.JobError(ErrorCode.valueOf(in.readUTF()), in.readUTF(), in.readUTF()));
      }
      UUID svm = uuid(in);
      UUID resource = uuid(in);
      int count = in.readInt();
      List<NodeStatus> nodes = new ArrayList<>(Math.min(count, 1024));
      for (int i = 0; i < count; i++) {
        String node = in.readUTF();
        String nodeError = in.readUTF();
        Optional<ErrorCode> failed = nodeError.isEmpty() ? Optional.empty() : Optional.of(ErrorCode.valueOf(nodeError));
        nodes.add(new NodeStatus(node, failed, in.readUTF()));
      }
      UUID owner = uuid(in);
      Instant written = instant(in);
      return new JobRecord(new Job(uuid, operation, state, code, message, start, end, error, svm, resource, nodes),
          owner, written);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a readable job record: " + e, e);
    }
  }

  private static void uuid(DataOutputStream out, UUID u) throws IOException {
    out.writeBoolean(u != null);
    if (u != null) {
      out.writeLong(u.getMostSignificantBits());
      out.writeLong(u.getLeastSignificantBits());
    }
  }

  private static UUID uuid(DataInputStream in) throws IOException {
    return in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null;
  }

  private static void instant(DataOutputStream out, Instant t) throws IOException {
    out.writeBoolean(t != null);
    if (t != null) {
      out.writeLong(t.getEpochSecond());
      out.writeInt(t.getNano());
    }
  }

  private static Instant instant(DataInputStream in) throws IOException {
    return in.readBoolean() ? Instant.ofEpochSecond(in.readLong(), in.readInt()) : null;
  }
}
