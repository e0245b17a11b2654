package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.ConfigProtectionKey;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The cluster database on an etcd cluster (etcd 3.4 or later): every commit is made visible by one etcd
 * transaction, replicated by etcd's Raft to a quorum of members and fsynced there before it returns, so the
 * database survives the loss of any minority of members.
 *
 * <h2>Layout</h2>
 * Under the store's namespace ({@link Builder#namespace}, default {@value #DEFAULT_NAMESPACE}):
 * <ul>
 *   <li>{@code format}: the store's format version, {@value #FORMAT_VERSION}; another one is refused on open.
 *   <li>{@code b/<bucket>}: the bucket's pointer, the list of its segments, oldest first.
 *   <li>{@code d/<segment>/e/<key>}: an entry of a segment of single entries, the key as its 16 bytes, the value
 *       behind a tag byte (live, or a tombstone hiding the key in older segments).
 *   <li>{@code d/<segment>/p/<key>}: a chunk of a packed segment, about 8 KiB of entries in key order, named by
 *       its first key ({@link PackedChunk}).
 *   <li>{@code g/<segment>}: the bucket a segment was made for, so that a segment no pointer names (retired by
 *       a commit, or left by a writer that died while staging) can be found and deleted.
 *   <li>{@code s/<segment>}: present while a writer stages the segment, attached to a lease that dies with
 *       the writer.
 *   <li>{@code w/<writer>}: how many commits one open instance has applied, so a commit whose outcome a broken
 *       connection hid can be checked and sent again without applying it twice.
 * </ul>
 *
 * <h2>Commits</h2>
 * A batch that fits in one transaction (100 operations and 1 MiB, within etcd's defaults of 128 and
 * 1.5 MiB) is applied as one, into each bucket's newest segment of single entries (a new one if the newest is
 * packed). A larger batch (a rekey stages a million VEK blobs) stages each bucket it touches as a new packed
 * segment in bounded transactions that no reader sees, then adds it to the bucket (or, for a drop, makes it the
 * bucket) in one small transaction that compares every touched pointer with what was read and flips it. A reader
 * therefore sees the old state or the new, never a mix, and a writer that dies part-way leaves the old state; the
 * next open deletes what it staged. Segments a commit retired are deleted after it, in pages.
 *
 * <h2>Reads</h2>
 * A read first reads the bucket's pointer and then its segments at the revision of that first read (etcd keeps
 * every revision until compacted), merging them newest first, so one read sees whole commits only.
 *
 * <h2>Configuration-protection key</h2>
 * Kept in a local file ({@link Builder#configProtectionKeyFile}, mode 0600), never in etcd: a copy of etcd's data
 * (a snapshot, a member's disk) alone reveals no configuration secret. Every process that opens the same store
 * needs a copy of that file.
 *
 * <h2>Several processes</h2>
 * Any number of processes may open the same namespace at once. {@link #coordination()} gives them SVM locks, node
 * liveness and watches on the same etcd cluster (keys under {@code c/}); a commit whose batch carries a lock's
 * {@linkplain WriteBatch#fence fence} compares, in the transaction that makes it current, that the lock's key still
 * exists with the create revision the holder got, and applies nothing otherwise.
 *
 * <p>Thread-safe: reads run concurrently; commits are serialised within this instance, and a commit that races
 * another process's commit on the same bucket fails (applying nothing) instead of overwriting it.
 */
public final class EtcdClusterDatabase implements ClusterDatabase {
  /** The store's format version, kept under {@code format}. */
  public static final int FORMAT_VERSION = 2;
  /** The namespace when none is given. */
  public static final String DEFAULT_NAMESPACE = "/kms-engine/";
  /** The time to live of the coordination's leases when none is given ({@link Builder#leaseTimeToLive}). */
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
  /** The shortest lease time to live: below it one slow renewal round trip would lose a lock. */
  static final Duration MIN_LEASE_TTL = Duration.ofSeconds(2);
  /** Operations per transaction: etcd's default {@code --max-txn-ops} is 128, and compares count apart. */
  static final int MAX_OPS = 100;
  /** Bytes per transaction, below etcd's default {@code --max-request-bytes} of 1.5 MiB with room for framing. */
  static final int MAX_BYTES = 1 << 20;
  /** Buckets one large batch may touch: the flip transaction holds two compares and two operations per bucket. */
  static final int MAX_STAGED_BUCKETS = (MAX_OPS - 1) / 4;
  /**
   * Segments a bucket may have before a large commit onto it merges them all into its new segment (a small one
   * may add one entries segment beyond). Why: a get reads one key (or chunk) per segment in its one transaction, and a scan merges them all.
   * Sixteen lets the engine's rekey, which stages a million VEKs as sixteen commits of 65,536, append each commit
   * as a segment instead of copying the ones before.
   */
  static final int MAX_SEGMENTS = 16;
  /** Keys per delete request when a retired segment is deleted. */
  private static final int DELETE_PAGE = 2048;
  /** The label of the transaction that applies a commit: a failure there leaves its outcome to etcd. */
  private static final String FINAL_TRANSACTION = "commit transaction";
  /**
   * A physical compaction and a defragmentation rewrite a member's whole history or file, and a defragmentation
   * blocks the member meanwhile: far longer than a request.
   */
  private static final Duration DEFRAGMENT_TIMEOUT = Duration.ofMinutes(5);
  private static final int STAGING_IN_FLIGHT = 32;
  private static final long STAGING_LEASE_SECONDS = 60;

  private final Client client;
  private final String endpoints;
  private final ByteSequence ns;
  private final Duration timeout;
  private final Duration leaseTtl;
  private final ConfigProtectionKey protectionKey;
  /** Made on first use, so a process that never asks holds no lease and no thread for it. Guarded by this. */
  private EtcdClusterCoordination coordination;
  private final SecureRandom random = new SecureRandom();
  private final Object commitLock = new Object();
  /** This instance's name for its sequence key {@code w/<writer>}. */
  private final String writer = UUID.randomUUID().toString();
  /** How many commits this instance applied: the value of its sequence key. Guarded by {@link #commitLock}. */
  private long sequence;

  private EtcdClusterDatabase(Builder b) {
    this.endpoints = String.join(",", b.endpoints.stream().map(URI::toString).toList());
    this.ns = bytes(b.namespace);
    this.timeout = b.timeout;
    this.leaseTtl = b.leaseTtl;
    this.client = Client.builder().endpoints(b.endpoints).connectTimeout(b.timeout).build();
    try {
      checkFormat();
      sweepAbandonedSegments();
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
    this.protectionKey = ConfigProtectionKey.openOrCreate(b.keyFile);
  }

  /**
   * A builder for a store on the etcd cluster at {@code endpoints}.
   *
   * @param endpoints the members' client URLs, e.g. {@code http://127.0.0.1:2379}
   * @return a builder
   */
  public static Builder builder(List<URI> endpoints) {
    return new Builder(endpoints);
  }

  /** Options of an {@link EtcdClusterDatabase}. Not thread-safe. */
  public static final class Builder {
    private final List<URI> endpoints;
    private String namespace = DEFAULT_NAMESPACE;
    private Path keyFile;
    private Duration timeout = Duration.ofSeconds(15);
    private Duration leaseTtl = DEFAULT_LEASE_TTL;

    private Builder(List<URI> endpoints) {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("at least one etcd endpoint is required");
      }
      this.endpoints = List.copyOf(endpoints);
    }

    /**
     * The key prefix this store keeps everything under, so several stores can share one etcd cluster.
     *
     * @param prefix the prefix (default {@value EtcdClusterDatabase#DEFAULT_NAMESPACE})
     * @return this builder
     */
    public Builder namespace(String prefix) {
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException("the namespace must not be empty");
      }
      this.namespace = prefix;
      return this;
    }

    /**
     * The local file holding the configuration-protection key (created, mode 0600, if absent). Required: the key
     * must not live in the database it protects.
     *
     * @param file the key file
     * @return this builder
     */
    public Builder configProtectionKeyFile(Path file) {
      this.keyFile = Objects.requireNonNull(file);
      return this;
    }

    /**
     * How long one request to etcd may take before the operation fails (default 15 s).
     *
     * @param t the timeout
     * @return this builder
     */
    public Builder timeout(Duration t) {
      if (t.isNegative() || t.isZero()) {
        throw new IllegalArgumentException("the timeout must be positive");
      }
      this.timeout = t;
      return this;
    }

    /**
     * The time to live of the etcd leases behind {@link #coordination()}'s SVM locks and node presences (default
     * 10 s, at least 2 s): how long a dead process's locks stay held and its nodes stay live, and how long a live
     * process may go without reaching etcd before it takes its locks as lost (and its nodes are reported down).
     *
     * @param ttl the time to live, whole seconds
     * @return this builder
     * @throws IllegalArgumentException if it is shorter than 2 s
     */
    public Builder leaseTimeToLive(Duration ttl) {
      if (ttl.compareTo(MIN_LEASE_TTL) < 0) {
        throw new IllegalArgumentException("the lease time to live must be at least " + MIN_LEASE_TTL.toSeconds()
            + " s, not " + ttl.toMillis() + " ms");
      }
      this.leaseTtl = ttl;
      return this;
    }

    /**
     * Connects and opens the store, creating it if the namespace is empty.
     *
     * @return the store; close it to release the connection
     * @throws StoreException if etcd cannot be reached, or the namespace holds a newer or foreign format
     * @throws IllegalStateException if no configuration-protection key file was given
     */
    public EtcdClusterDatabase open() {
      if (keyFile == null) {
        throw new IllegalStateException("configProtectionKeyFile is required");
      }
      return new EtcdClusterDatabase(this);
    }
  }

  private void checkFormat() {
    ByteSequence key = key("format");
    ByteSequence mine = bytes(Integer.toString(FORMAT_VERSION));
    TxnResponse r = await("open", client.getKVClient().txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(key, mine, PutOption.DEFAULT))
        .Else(Op.get(key, GetOption.DEFAULT)).commit());
    if (r.isSucceeded()) {
      return;
    }
    String stored = r.getGetResponses().get(0).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    int version;
    try {
      version = Integer.parseInt(stored);
    } catch (NumberFormatException e) {
      throw new StoreException("etcd at " + endpoints + ": namespace " + ns + " holds no kms-engine store"
          + " (its format key is not a version number).");
    }
    if (version > FORMAT_VERSION) {
      throw new StoreException("etcd cluster database " + ns + " at " + endpoints + " has format version "
          + version + ", newer than this engine supports (" + FORMAT_VERSION + "). Use a newer engine.");
    }
    if (version < FORMAT_VERSION) {
      // Format 1 (one etcd key per entry) was written only by development builds before packed segments.
      throw new StoreException("etcd cluster database " + ns + " at " + endpoints + " has format version "
          + version + ", which this engine does not read (it reads " + FORMAT_VERSION + "). Recreate the store"
          + " in a new namespace.");
    }
  }

  /**
   * Deletes segments no pointer names and no live writer is staging: what a commit retired and could not delete,
   * or what a writer that died left. Such a segment stays unnamed: a flip requires its staging marker, whose lease
   * is gone, and a segment of single entries is named by the transaction that creates it.
   */
  private void sweepAbandonedSegments() {
    GetResponse registry = await("open", client.getKVClient().get(key("g/"), prefix(key("g/"))));
    for (KeyValue kv : registry.getKvs()) {
      String id = kv.getKey().substring(ns.size() + 2).toString(StandardCharsets.UTF_8);
      String bucket = kv.getValue().toString(StandardCharsets.UTF_8);
      if (pointer(bucket, "open").segments().stream().anyMatch(s -> s.id().equals(id))) {
        continue;
      }
      if (await("open", client.getKVClient().get(key("s/" + id))).getCount() > 0) {
        continue;
      }
      deleteSegment(new Segment(id, false));
    }
  }

  // ---- reads ----

  /** A bucket's pointer as read at {@code revision}: its segments (none if absent) and the pointer's mod revision. */
  private record Pointer(List<Segment> segments, long modRevision, long revision) {}

  private Pointer pointer(String bucket, String what) {
    GetResponse r = read(what, () -> client.getKVClient().get(key("b/" + bucket)));
    if (r.getKvs().isEmpty()) {
      return new Pointer(List.of(), 0, r.getHeader().getRevision());
    }
    KeyValue kv = r.getKvs().get(0);
    return new Pointer(Segment.parse(kv.getValue().toString(StandardCharsets.UTF_8)), kv.getModRevision(),
        r.getHeader().getRevision());
  }

  /** A bucket's pointer value as last seen here ({@code null} if absent) and its segments. */
  private record SeenPointer(ByteSequence value, List<Segment> segments) {}

  /**
   * One round trip per {@link #get} instead of two: the value is read in a transaction that first checks that the
   * pointer is still the one last seen here, so the read is of one revision all the same.
   */
  private final Map<String, SeenPointer> seenPointers = new ConcurrentHashMap<>();

  /** A bucket's entry count as of a pointer's mod revision, which every commit to the bucket moves. */
  private record Counted(long modRevision, int count) {}

  private final Map<String, Counted> counts = new ConcurrentHashMap<>();

  @Override
  public byte[] get(String bucket, UUID key) {
    ByteSequence pointerKey = key("b/" + bucket);
    for (int attempt = 0; ; attempt++) {
      SeenPointer seen = seenPointers.get(bucket);
      if (seen == null || attempt > 0) {
        GetResponse r = read("read", () -> client.getKVClient().get(pointerKey));
        seen = r.getKvs().isEmpty() ? new SeenPointer(null, List.of()) : new SeenPointer(r.getKvs().get(0).getValue(),
            Segment.parse(r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8)));
        seenPointers.put(bucket, seen);
      }
      Cmp same = seen.value() == null ? new Cmp(pointerKey, Cmp.Op.EQUAL, CmpTarget.version(0))
          : new Cmp(pointerKey, Cmp.Op.EQUAL, CmpTarget.value(seen.value()));
      List<Segment> newestFirst = new ArrayList<>(seen.segments());
      Collections.reverse(newestFirst);
      List<Op> reads = new ArrayList<>();
      for (Segment s : newestFirst) {
        reads.add(s.packed()
            ? Op.get(chunkPrefix(s), GetOption.builder().withRange(kvAfter(chunkKey(s, key)))
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND).withLimit(1)
                .build())
            : Op.get(entryKey(s, key), GetOption.DEFAULT));
      }
      TxnResponse r = read("read",
          () -> client.getKVClient().txn().If(same).Then(reads.toArray(Op[]::new)).commit());
      if (!r.isSucceeded()) {
        continue;
      }
      for (int i = 0; i < newestFirst.size(); i++) {
        List<KeyValue> kvs = r.getGetResponses().get(i).getKvs();
        if (kvs.isEmpty()) {
          continue;
        }
        byte[] v = kvs.get(0).getValue().getBytes();
        if (newestFirst.get(i).packed()) {
          PackedChunk.Lookup found = PackedChunk.find(v, key.getMostSignificantBits(), key.getLeastSignificantBits());
          if (found != null) {
            return found.value();
          }
        } else {
          return v[0] == PackedChunk.DELETED ? null : Arrays.copyOfRange(v, 1, v.length);
        }
      }
      return null;
    }
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    forEachEntry(bucket, (msb, lsb, value, offset, length) ->
        action.accept(new UUID(msb, lsb), Arrays.copyOfRange(value, offset, offset + length)));
  }

  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    Pointer p = pointer(bucket, "read");
    scan(p.segments(), p.revision(), (msb, lsb, deleted, value, offset, length) -> {
      if (!deleted) {
        visitor.visit(msb, lsb, value, offset, length);
      }
      return true;
    });
  }

  /** The merged entries of {@code segments} as of {@code revision}, tombstones included, in key order. */
  private boolean scan(List<Segment> segments, long revision, EntryCursor.Sink sink) {
    List<EntryCursor> newestFirst = new ArrayList<>();
    for (int i = segments.size() - 1; i >= 0; i--) {
      newestFirst.add(cursor(segments.get(i), revision));
    }
    return EntryCursor.merge(newestFirst, sink);
  }

  private SegmentCursor cursor(Segment s, long revision) {
    ByteSequence start = s.packed() ? chunkPrefix(s) : entryPrefix(s);
    return new SegmentCursor((from, end, limit) -> read("read", () -> client.getKVClient().get(from,
        GetOption.builder().withRange(end).withRevision(revision).withLimit(limit).build())),
        s.packed(), start, prefixEnd(start));
  }

  @Override
  public int count(String bucket) {
    Pointer p = pointer(bucket, "read");
    if (p.segments().isEmpty()) {
      return 0;
    }
    Counted known = counts.get(bucket);
    if (known != null && known.modRevision() == p.modRevision()) {
      return known.count();
    }
    int n;
    if (p.segments().size() == 1 && !p.segments().get(0).packed()) {
      // A bucket's only segment holds no tombstone: one is written only over an older segment.
      n = countKeys(entryPrefix(p.segments().get(0)), p.revision());
    } else {
      int[] live = {0};
      scan(p.segments(), p.revision(), (msb, lsb, deleted, value, offset, length) -> {
        live[0] += deleted ? 0 : 1;
        return true;
      });
      n = live[0];
    }
    counts.put(bucket, new Counted(p.modRevision(), n));
    return n;
  }

  private int countKeys(ByteSequence start, long revision) {
    GetResponse r = read("read", () -> client.getKVClient().get(start, GetOption.builder()
        .withRange(prefixEnd(start))
        .withRevision(revision).withCountOnly(true).build()));
    return Math.toIntExact(r.getCount());
  }

  @Override
  public List<String> buckets(String prefix) {
    ByteSequence start = key("b/" + prefix);
    GetResponse r = read("read", () -> client.getKVClient().get(start, prefix(start)));
    long revision = r.getHeader().getRevision();
    List<String> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      List<Segment> segments = Segment.parse(kv.getValue().toString(StandardCharsets.UTF_8));
      // Empty unless the merge finds a live entry, where it stops.
      boolean empty = scan(segments, revision, (msb, lsb, deleted, value, offset, length) -> deleted);
      if (!empty) {
        out.add(kv.getKey().substring(ns.size() + 2).toString(StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  // ---- commits ----

  /** A bucket's part of a batch: whether it is dropped first, then the final value of each key (null: delete). */
  private static final class BucketChange {
    boolean dropped;
    final Map<UUID, byte[]> entries = new LinkedHashMap<>();

    boolean anyPut() {
      return entries.values().stream().anyMatch(Objects::nonNull);
    }
  }

  @Override
  public void commit(WriteBatch batch) {
    if (batch.isEmpty()) {
      return;
    }
    Map<String, BucketChange> changes = new LinkedHashMap<>();
    long bytes = 0;
    for (WriteBatch.Mutation m : batch.mutations()) {
      BucketChange c = changes.computeIfAbsent(m.bucket(), b -> new BucketChange());
      if (m.key() == null) {
        c.dropped = true;
        c.entries.clear();
      } else {
        c.entries.put(m.key(), m.value());
        bytes += 64 + m.bucket().length() + (m.value() == null ? 0 : m.value().length);
      }
    }
    List<Segment> retired = new ArrayList<>();
    synchronized (commitLock) {
      Map<String, Pointer> current = new LinkedHashMap<>();
      int ops = 0;
      boolean segmentsFull = false;
      for (Map.Entry<String, BucketChange> e : changes.entrySet()) {
        Pointer p = pointer(e.getKey(), "commit");
        current.put(e.getKey(), p);
        ops += e.getValue().entries.size() + 3;
        // A small commit may add one entries segment beyond MAX_SEGMENTS: else the first volume created after a
        // rekey (16 packed segments) would rewrite the whole bucket.
        segmentsFull |= !e.getValue().dropped && p.segments().size() > MAX_SEGMENTS
            && p.segments().get(p.segments().size() - 1).packed();
      }
      WriteBatch.Fence fence = batch.fence();
      if (ops <= MAX_OPS && bytes <= MAX_BYTES && !segmentsFull) {
        commitInOne(changes, current, retired, fence);
      } else {
        commitStaged(changes, current, retired, fence);
      }
    }
    deleteSegments(retired);
  }

  /** The compares that make a transaction fail if another writer moved a bucket's pointer since it was read. */
  private List<Cmp> unchanged(Map<String, Pointer> current) {
    List<Cmp> cmps = new ArrayList<>();
    current.forEach((bucket, p) -> cmps.add(p.segments().isEmpty()
        ? new Cmp(key("b/" + bucket), Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(key("b/" + bucket), Cmp.Op.EQUAL, CmpTarget.value(bytes(Segment.format(p.segments()))))));
    return cmps;
  }

  /**
   * A batch within one transaction: each bucket's entries go to its newest segment if that holds single entries,
   * else to a new entries segment; a delete over an older segment is a tombstone. Every touched pointer is
   * written, so that its mod revision tells a commit happened.
   */
  private void commitInOne(Map<String, BucketChange> changes, Map<String, Pointer> current, List<Segment> retired,
      WriteBatch.Fence fence) {
    List<Op> ops = new ArrayList<>();
    List<Segment> dropped = new ArrayList<>();
    changes.forEach((bucket, c) -> {
      List<Segment> segments = new ArrayList<>(current.get(bucket).segments());
      boolean existed = !segments.isEmpty();
      if (c.dropped) {
        dropped.addAll(segments);
        segments.clear();
      }
      if (segments.isEmpty() && !c.anyPut()) {
        if (existed) {
          ops.add(Op.delete(key("b/" + bucket), DeleteOption.DEFAULT));
        }
        return;
      }
      Segment target;
      if (!segments.isEmpty() && !segments.get(segments.size() - 1).packed()) {
        target = segments.get(segments.size() - 1);
      } else {
        target = new Segment(newId(), false);
        segments.add(target);
        ops.add(Op.put(key("g/" + target.id()), bytes(bucket), PutOption.DEFAULT));
      }
      boolean older = segments.size() > 1;
      for (Map.Entry<UUID, byte[]> e : c.entries.entrySet()) {
        ByteSequence k = entryKey(target, e.getKey());
        if (e.getValue() != null) {
          ops.add(Op.put(k, ByteSequence.from(tagged(e.getValue())), PutOption.DEFAULT));
        } else if (older) {
          ops.add(Op.put(k, ByteSequence.from(new byte[] {PackedChunk.DELETED}), PutOption.DEFAULT));
        } else {
          ops.add(Op.delete(k, DeleteOption.DEFAULT));
        }
      }
      ops.add(Op.put(key("b/" + bucket), bytes(Segment.format(segments)), PutOption.DEFAULT));
    });
    if (ops.isEmpty()) {
      return;
    }
    applyOnce(unchanged(current), ops, fence);
    retired.addAll(dropped);
  }

  private static byte[] tagged(byte[] value) {
    byte[] t = new byte[value.length + 1];
    t[0] = PackedChunk.LIVE;
    System.arraycopy(value, 0, t, 1, value.length);
    return t;
  }

  /**
   * A batch beyond one transaction: each bucket it touches gets a new packed segment, staged in bounded
   * transactions no reader sees and then made part of the bucket by one small transaction that flips the pointers.
   * The segment holds the batch's entries (tombstones for its deletes when older segments stay), or, for a dropped
   * bucket or one already at {@link #MAX_SEGMENTS}, the whole merged bucket, which then replaces the old segments.
   */
  private void commitStaged(Map<String, BucketChange> changes, Map<String, Pointer> current, List<Segment> retired,
      WriteBatch.Fence fence) {
    if (changes.size() > MAX_STAGED_BUCKETS) {
      throw new StoreException("etcd cluster database " + ns + " at " + endpoints + ": a batch of this size may"
          + " touch at most " + MAX_STAGED_BUCKETS + " buckets, this one touches " + changes.size()
          + "; nothing was applied.");
    }
    long lease = await("commit", client.getLeaseClient().grant(STAGING_LEASE_SECONDS)).getID();
    CloseableClient keepAlive = client.getLeaseClient().keepAlive(lease, new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    Map<String, Segment> staged = new LinkedHashMap<>();
    List<Segment> replaced = new ArrayList<>();
    try {
      for (String bucket : changes.keySet()) {
        Segment s = new Segment(newId(), true);
        staged.put(bucket, s);
        await("commit", client.getKVClient().txn().Then(
            Op.put(key("g/" + s.id()), bytes(bucket), PutOption.DEFAULT),
            Op.put(key("s/" + s.id()), bytes(bucket), PutOption.builder().withLeaseId(lease).build())).commit());
      }
      Stager stager = new Stager();
      List<Cmp> cmps = unchanged(current);
      List<Op> flip = new ArrayList<>();
      for (Map.Entry<String, BucketChange> e : changes.entrySet()) {
        String bucket = e.getKey();
        BucketChange c = e.getValue();
        Pointer p = current.get(bucket);
        Segment s = staged.get(bucket);
        boolean merge = !c.dropped && p.segments().size() >= MAX_SEGMENTS;
        boolean keepsOlder = !c.dropped && !merge && !p.segments().isEmpty();
        List<EntryCursor> sources = new ArrayList<>();
        sources.add(new BatchCursor(c.entries));
        if (merge) {
          for (int i = p.segments().size() - 1; i >= 0; i--) {
            sources.add(cursor(p.segments().get(i), p.revision()));
          }
        }
        PackedChunk.Writer chunk = new PackedChunk.Writer();
        boolean[] any = {false};
        EntryCursor.merge(sources, (msb, lsb, deleted, value, offset, length) -> {
          if (deleted && !keepsOlder) {
            return true;
          }
          chunk.add(msb, lsb, deleted, value, offset, length);
          any[0] = true;
          if (chunk.full()) {
            stager.put(chunkKey(s, chunk.firstMsb(), chunk.firstLsb()), chunk.take());
          }
          return true;
        });
        if (!chunk.isEmpty()) {
          stager.put(chunkKey(s, chunk.firstMsb(), chunk.firstLsb()), chunk.take());
        }
        List<Segment> next = new ArrayList<>(keepsOlder ? p.segments() : List.of());
        if (!keepsOlder) {
          replaced.addAll(p.segments());
        }
        cmps.add(new Cmp(key("s/" + s.id()), Cmp.Op.GREATER, CmpTarget.version(0)));
        flip.add(Op.delete(key("s/" + s.id()), DeleteOption.DEFAULT));
        if (any[0]) {
          next.add(s);
        } else {
          replaced.add(s);
        }
        flip.add(next.isEmpty() ? Op.delete(key("b/" + bucket), DeleteOption.DEFAULT)
            : Op.put(key("b/" + bucket), bytes(Segment.format(next)), PutOption.DEFAULT));
      }
      stager.flush();
      applyOnce(cmps, flip, fence);
      staged.clear();
      retired.addAll(replaced);
    } finally {
      for (Segment s : staged.values()) {
        discard(s);
      }
      keepAlive.close();
      client.getLeaseClient().revoke(lease);
    }
  }

  /** Best effort: what a failed large commit staged; the next open's sweep deletes what this cannot. */
  private void discard(Segment s) {
    try {
      deleteSegment(s);
      client.getKVClient().delete(key("s/" + s.id())).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (StoreException | ExecutionException | TimeoutException e) {
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Deletes segments no pointer names any more, after the commit that retired them: in pages, so that no single
   * etcd request deletes a million keys (one such request held every member's apply loop for seconds). Best
   * effort: what a failure leaves, the next open's sweep finds through the segments' {@code g/} records.
   */
  private void deleteSegments(List<Segment> retired) {
    for (Segment s : retired) {
      try {
        deleteSegment(s);
      } catch (StoreException e) {
        return;
      }
    }
  }

  /** The segment's entries page by page, then its {@code g/} record. */
  private void deleteSegment(Segment s) {
    ByteSequence start = dataPrefix(s.id());
    ByteSequence end = prefixEnd(start);
    while (true) {
      GetResponse r = await("delete", client.getKVClient().get(start, GetOption.builder().withRange(end)
          .withKeysOnly(true).withLimit(DELETE_PAGE).build()));
      if (r.getKvs().isEmpty()) {
        break;
      }
      ByteSequence after = kvAfter(r.getKvs().get(r.getKvs().size() - 1).getKey());
      await("delete", client.getKVClient().delete(start, DeleteOption.builder().withRange(after).build()));
      if (!r.isMore()) {
        break;
      }
      start = after;
    }
    await("delete", client.getKVClient().delete(key("g/" + s.id())));
  }

  /**
   * Writes staged chunks in transactions within etcd's limits, up to 32 at a time (they are independent puts no
   * reader sees, so their order does not matter).
   */
  private final class Stager {
    private final List<Op> ops = new ArrayList<>();
    private final ArrayDeque<CompletableFuture<TxnResponse>> inFlight = new ArrayDeque<>();
    private long bytes;

    void put(ByteSequence key, byte[] value) {
      if (ops.size() == MAX_OPS || bytes + key.size() + value.length + 16 > MAX_BYTES) {
        send();
      }
      ops.add(Op.put(key, ByteSequence.from(value), PutOption.DEFAULT));
      bytes += key.size() + value.length + 16;
    }

    private void send() {
      if (!ops.isEmpty()) {
        inFlight.add(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
        ops.clear();
        bytes = 0;
      }
      while (inFlight.size() >= STAGING_IN_FLIGHT) {
        await("commit", inFlight.poll());
      }
    }

    /** Sends what is left and waits for every staging transaction. */
    void flush() {
      send();
      while (!inFlight.isEmpty()) {
        await("commit", inFlight.poll());
      }
    }
  }

  /**
   * Runs the transaction that applies a commit, at most once: it also moves this instance's sequence key
   * {@code w/<writer>} from {@link #sequence} to the next number, and only if it is still at {@link #sequence}.
   * When the connection to a member breaks under it (the member died), whether etcd applied it is unknown; the
   * sequence key tells, and if it was not applied the same transaction is sent again, through another member,
   * until the request timeout. With a lock's {@code lockFence}, it also requires that the lock's key still exists
   * with the create revision its holder got: etcd deletes the key when the holder's lease expires, and a later
   * holder's key is another one. Called under {@link #commitLock}.
   */
  private void applyOnce(List<Cmp> compares, List<Op> ops, WriteBatch.Fence lockFence) {
    ByteSequence fence = key("w/" + writer);
    List<Cmp> cmps = new ArrayList<>(compares);
    ByteSequence lockKey = lockFence == null ? null : bytes(lockFence.key());
    if (lockKey != null) {
      cmps.add(new Cmp(lockKey, Cmp.Op.EQUAL, CmpTarget.createRevision(lockFence.revision())));
    }
    cmps.add(sequence == 0 ? new Cmp(fence, Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(fence, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(sequence)))));
    List<Op> then = new ArrayList<>(ops);
    ByteSequence next = bytes(Long.toString(sequence + 1));
    then.add(Op.put(fence, next, PutOption.DEFAULT));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        TxnResponse r = await(FINAL_TRANSACTION, client.getKVClient().txn().If(cmps.toArray(Cmp[]::new))
            .Then(then.toArray(Op[]::new)).commit());
        if (!r.isSucceeded() && !applied(fence, next)) {
          if (lockKey != null && !stillLocked(lockKey, lockFence)) {
            throw new StoreException(describe() + ": lock of SVM " + lockFence.svm() + " lost: its etcd lease"
                + " expired, so another process may hold it; nothing was applied.");
          }
          throw concurrentWriter();
        }
        sequence++;
        return;
      } catch (StoreException e) {
        if (!connectionLost(e) || System.nanoTime() > deadline) {
          throw e;
        }
        if (appliedAfterAll(fence, next, deadline, e)) {
          sequence++;
          return;
        }
      }
    }
  }

  private boolean stillLocked(ByteSequence lockKey, WriteBatch.Fence lockFence) {
    List<KeyValue> kvs = await("commit", client.getKVClient().get(lockKey)).getKvs();
    return !kvs.isEmpty() && kvs.get(0).getCreateRevision() == lockFence.revision();
  }

  private boolean applied(ByteSequence fence, ByteSequence next) {
    List<KeyValue> kvs = await("commit", client.getKVClient().get(fence)).getKvs();
    return !kvs.isEmpty() && kvs.get(0).getValue().equals(next);
  }

  /** Whether the transaction that failed with {@code failure} was applied, asking until {@code deadline}. */
  private boolean appliedAfterAll(ByteSequence fence, ByteSequence next, long deadline, StoreException failure) {
    while (true) {
      try {
        return applied(fence, next);
      } catch (StoreException e) {
        if (System.nanoTime() > deadline) {
          throw failure;
        }
        backOff();
      }
    }
  }

  /** A pause between two tries, so that a member that fails at once is not asked in a tight loop. */
  private static void backOff() {
    try {
      TimeUnit.MILLISECONDS.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for etcd", e);
    }
  }

  /**
   * Awaits a read, sent again while the connection to a member breaks under it (UNAVAILABLE), until the request
   * timeout. A read changes nothing, so a second copy is harmless, and the client's balancer sends the next request
   * to another member: a read then survives a member's death as a commit does ({@link #applyOnce}).
   */
  private <T> T read(String what, Supplier<CompletableFuture<T>> request) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return await(what, request.get());
      } catch (StoreException e) {
        if (!connectionLost(e) || System.nanoTime() > deadline) {
          throw e;
        }
        backOff();
      }
    }
  }

  /** A broken connection to one member (UNAVAILABLE), which another member may not have. */
  private static boolean connectionLost(StoreException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        return true;
      }
      if (t instanceof EtcdException x && x.getErrorCode() == ErrorCode.UNAVAILABLE) {
        return true;
      }
    }
    return false;
  }

  private StoreException concurrentWriter() {
    return new StoreException("etcd cluster database " + ns + " at " + endpoints + ": another writer changed a"
        + " bucket this commit touches, or this commit's staging lease expired; nothing was applied.");
  }

  private String newId() {
    return String.format("%016x", random.nextLong());
  }

  @Override
  public ConfigProtectionKey configProtectionKey() {
    return protectionKey;
  }

  /**
   * Compacts etcd's history to the current revision (physically) and defragments every member, so no earlier
   * version of any value stays in etcd's files. This compacts the whole etcd cluster, not only this namespace,
   * and a read of this store that runs meanwhile may fail and must be retried.
   */
  @Override
  public void purgeHistory() {
    long revision = await("purge", client.getKVClient().get(key("format"))).getHeader().getRevision();
    await("purge", client.getKVClient().compact(revision, CompactOption.builder().withCompactPhysical(true)
        .build()), DEFRAGMENT_TIMEOUT);
    for (String endpoint : endpoints.split(",")) {
      await("purge", client.getMaintenanceClient().defragmentMember(endpoint), DEFRAGMENT_TIMEOUT);
    }
  }

  /** Deletes every key of this store's namespace: the whole store, for tests that share one etcd cluster. */
  void deleteNamespace() {
    await("delete", client.getKVClient().delete(ns, deleteRange(ns)));
  }

  /**
   * Coordination through this store's etcd cluster and namespace: SVM locks on etcd's lock service, node liveness
   * on leases ({@link Builder#leaseTimeToLive}), watches on bucket pointers; {@code distributed()} is {@code true}.
   * One per instance, made on first use; {@link #close()} releases its locks and presences.
   *
   * @return this store's coordination
   */
  @Override
  public synchronized Coordination coordination() {
    if (coordination == null) {
      coordination = EtcdClusterCoordination.of(this, leaseTtl);
    }
    return coordination;
  }

  @Override
  public void close() {
    EtcdClusterCoordination c;
    synchronized (this) {
      c = coordination;
    }
    if (c != null) {
      c.close();
    }
    try {
      client.getKVClient().delete(key("w/" + writer)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // The key is a few bytes; what cannot be deleted now stays until the namespace is.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    protectionKey.destroy();
    client.close();
  }

  @Override
  public String toString() {
    return "EtcdClusterDatabase[" + endpoints + ", namespace=" + ns + "]";
  }

  // ---- for EtcdClusterCoordination, which shares this store's client and namespace ----

  Client client() {
    return client;
  }

  Duration timeout() {
    return timeout;
  }

  /** How messages name this store. */
  String describe() {
    return "etcd cluster database " + ns + " at " + endpoints;
  }

  ByteSequence namespaced(String suffix) {
    return key(suffix);
  }

  <T> T awaitFor(String what, CompletableFuture<T> f) {
    return await(what, f);
  }

  /** A bucket's entries (copies) as of one revision, and that revision. */
  record Snapshot(Map<UUID, byte[]> entries, long revision) {}

  Snapshot snapshot(String bucket) {
    Pointer p = pointer(bucket, "read");
    Map<UUID, byte[]> entries = new HashMap<>();
    scan(p.segments(), p.revision(), (msb, lsb, deleted, value, offset, length) -> {
      if (!deleted) {
        entries.put(new UUID(msb, lsb), Arrays.copyOfRange(value, offset, offset + length));
      }
      return true;
    });
    return new Snapshot(entries, p.revision());
  }

  // ---- keys and requests ----

  private <T> T await(String what, CompletableFuture<T> f) {
    return await(what, f, timeout);
  }

  private <T> T await(String what, CompletableFuture<T> f, Duration limit) {
    try {
      return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw failed(what, e.getCause());
    } catch (TimeoutException e) {
      f.cancel(true);
      throw failed(what, new TimeoutException("no answer within " + limit.toMillis() + " ms (is a quorum of"
          + " members up?)"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failed(what, e);
    }
  }

  private StoreException failed(String what, Throwable cause) {
    String tail = switch (what) {
      case "commit" -> "; nothing was applied.";
      case FINAL_TRANSACTION -> "; if the request reached etcd's leader before the failure, etcd may still apply it"
          + " (all of it, never part), otherwise nothing was applied.";
      default -> ".";
    };
    return new StoreException("etcd cluster database " + ns + " at " + endpoints + ": " + what + " failed: "
        + cause + tail, cause);
  }

  private ByteSequence key(String suffix) {
    return ns.concat(bytes(suffix));
  }

  private ByteSequence dataPrefix(String segment) {
    return key("d/" + segment + "/");
  }

  private ByteSequence entryPrefix(Segment s) {
    return key("d/" + s.id() + "/e/");
  }

  private ByteSequence chunkPrefix(Segment s) {
    return key("d/" + s.id() + "/p/");
  }

  private ByteSequence entryKey(Segment s, UUID key) {
    return entryPrefix(s).concat(keyBytes(key.getMostSignificantBits(), key.getLeastSignificantBits()));
  }

  private ByteSequence chunkKey(Segment s, UUID key) {
    return chunkKey(s, key.getMostSignificantBits(), key.getLeastSignificantBits());
  }

  private ByteSequence chunkKey(Segment s, long msb, long lsb) {
    return chunkPrefix(s).concat(keyBytes(msb, lsb));
  }

  private static ByteSequence keyBytes(long msb, long lsb) {
    return ByteSequence.from(ByteBuffer.allocate(PackedChunk.KEY_BYTES).putLong(msb).putLong(lsb).array());
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static GetOption prefix(ByteSequence start) {
    return GetOption.builder().withRange(prefixEnd(start)).build();
  }

  private static DeleteOption deleteRange(ByteSequence start) {
    return DeleteOption.builder().withRange(prefixEnd(start)).build();
  }

  /** The first key after every key starting with {@code start}. */
  private static ByteSequence prefixEnd(ByteSequence start) {
    byte[] b = start.getBytes();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xff) {
        byte[] end = Arrays.copyOf(b, i + 1);
        end[i]++;
        return ByteSequence.from(end);
      }
    }
    return ByteSequence.from(new byte[] {0});
  }

  private static ByteSequence kvAfter(ByteSequence key) {
    return key.concat(ByteSequence.from(new byte[] {0}));
  }
}
