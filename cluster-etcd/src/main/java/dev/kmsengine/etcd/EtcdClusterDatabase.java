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
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
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

/**
 * The cluster database on an etcd cluster (etcd 3.4 or later): every commit is one etcd transaction, replicated by
 * etcd's Raft to a quorum of members and fsynced there before it returns, so the database survives the loss of any
 * minority of members.
 *
 * <h2>Layout</h2>
 * Under the store's namespace ({@link Builder#namespace}, default {@value #DEFAULT_NAMESPACE}):
 * <ul>
 *   <li>{@code format}: the store's format version, {@value #FORMAT_VERSION}; a newer one is refused on open.
 *   <li>{@code b/<bucket>}: the bucket's pointer, the id of its current generation (16 hex digits).
 *   <li>{@code d/<generation>/<key>}: the entries, the key as its 16 bytes.
 *   <li>{@code g/<generation>}: the bucket a generation was made for, so that a generation no pointer names
 *       (left by a writer that died while staging) can be found and deleted.
 *   <li>{@code s/<generation>}: present while a writer stages the generation, attached to a lease that dies with
 *       the writer.
 *   <li>{@code w/<writer>}: how many commits one open instance has applied, so a commit whose outcome a broken
 *       connection hid can be checked and sent again without applying it twice.
 * </ul>
 *
 * <h2>Commits</h2>
 * A batch that fits in one transaction (100 operations and 1 MiB, within etcd's defaults of 128 and
 * 1.5 MiB) is applied as one: puts and deletes on the buckets' current generations, a drop as
 * a delete of the generation's range and of its pointer. A larger batch (a rekey stages a million VEK blobs) stages
 * each bucket it touches as a new generation in bounded transactions that no reader sees, then makes them current
 * in one small transaction that compares every touched pointer with what was read and flips it, deleting the old
 * generations in the same transaction. A reader therefore sees the old generations or the new, never a mix, and a
 * writer that dies part-way leaves the old ones current; the next open deletes what it staged.
 *
 * <h2>Reads</h2>
 * A read first reads the bucket's pointer and then its entries at the revision of that first read (etcd keeps
 * every revision until compacted), so one read sees whole commits only.
 *
 * <h2>Configuration-protection key</h2>
 * Kept in a local file ({@link Builder#configProtectionKeyFile}, mode 0600), never in etcd: a copy of etcd's data
 * (a snapshot, a member's disk) alone reveals no configuration secret. Every process that opens the same store
 * needs a copy of that file.
 *
 * <p>Thread-safe: reads run concurrently; commits are serialised within this instance, and a commit that races
 * another process's commit on the same bucket fails (applying nothing) instead of overwriting it.
 */
public final class EtcdClusterDatabase implements ClusterDatabase {
  /** The store's format version, kept under {@code format}. */
  public static final int FORMAT_VERSION = 1;
  /** The namespace when none is given. */
  public static final String DEFAULT_NAMESPACE = "/kms-engine/";
  /** Operations per transaction: etcd's default {@code --max-txn-ops} is 128, and compares count apart. */
  static final int MAX_OPS = 100;
  /** Bytes per transaction, below etcd's default {@code --max-request-bytes} of 1.5 MiB with room for framing. */
  static final int MAX_BYTES = 1 << 20;
  /** Buckets one large batch may touch: the flip transaction holds four operations per bucket. */
  static final int MAX_STAGED_BUCKETS = (MAX_OPS - 1) / 4;
  private static final int PAGE = 4096;
  /** The label of the transaction that applies a commit: a failure there leaves its outcome to etcd. */
  private static final String FINAL_TRANSACTION = "commit transaction";
  /**
   * A physical compaction and a defragmentation rewrite a member's whole history or file, and a defragmentation
   * blocks the member meanwhile: far longer than a request.
   */
  private static final Duration DEFRAGMENT_TIMEOUT = Duration.ofMinutes(5);
  private static final int STAGING_IN_FLIGHT = 32;
  private static final long STAGING_LEASE_SECONDS = 60;
  private static final int KEY_BYTES = 16;

  private final Client client;
  private final String endpoints;
  private final ByteSequence ns;
  private final Duration timeout;
  private final ConfigProtectionKey protectionKey;
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
    this.client = Client.builder().endpoints(b.endpoints).connectTimeout(b.timeout).build();
    try {
      checkFormat();
      sweepAbandonedGenerations();
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
  }

  /** Deletes generations no pointer names and no live writer is staging: what a writer that died left. */
  private void sweepAbandonedGenerations() {
    GetResponse registry = await("open", client.getKVClient().get(key("g/"), prefix(key("g/"))));
    for (KeyValue kv : registry.getKvs()) {
      String gen = kv.getKey().substring(ns.size() + 2).toString(StandardCharsets.UTF_8);
      ByteSequence pointer = key("b/" + kv.getValue().toString(StandardCharsets.UTF_8));
      GetResponse p = await("open", client.getKVClient().get(pointer));
      if (!p.getKvs().isEmpty() && p.getKvs().get(0).getValue().equals(bytes(gen))) {
        continue;
      }
      long pointerRevision = p.getKvs().isEmpty() ? 0 : p.getKvs().get(0).getModRevision();
      await("open", client.getKVClient().txn()
          .If(new Cmp(pointer, Cmp.Op.EQUAL, CmpTarget.modRevision(pointerRevision)),
              new Cmp(key("s/" + gen), Cmp.Op.EQUAL, CmpTarget.version(0)))
          .Then(Op.delete(dataPrefix(gen), deleteRange(dataPrefix(gen))), Op.delete(kv.getKey(), DeleteOption.DEFAULT))
          .commit());
    }
  }

  // ---- reads ----

  /** A bucket's current generation at a revision: {@code gen} null if the bucket has none. */
  private record Pointer(String gen, long revision) {}

  private Pointer pointer(String bucket) {
    return pointer(bucket, "read");
  }

  private Pointer pointer(String bucket, String what) {
    GetResponse r = await(what, client.getKVClient().get(key("b/" + bucket)));
    String gen = r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    return new Pointer(gen, r.getHeader().getRevision());
  }

  /** A bucket's pointer as last seen: {@code gen} null if absent, {@code modRevision} 0 then. */
  private record SeenPointer(String gen, long modRevision) {}

  /**
   * One round trip per {@link #get} instead of two: the value is read in a transaction that first checks that the
   * pointer is still the one last seen here, so the read is of one revision all the same.
   */
  private final Map<String, SeenPointer> seenPointers = new ConcurrentHashMap<>();

  @Override
  public byte[] get(String bucket, UUID key) {
    ByteSequence pointerKey = key("b/" + bucket);
    for (int attempt = 0; ; attempt++) {
      SeenPointer seen = seenPointers.get(bucket);
      if (seen == null || attempt > 0) {
        GetResponse r = await("read", client.getKVClient().get(pointerKey));
        seen = r.getKvs().isEmpty() ? new SeenPointer(null, 0) : new SeenPointer(
            r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8), r.getKvs().get(0).getModRevision());
        seenPointers.put(bucket, seen);
      }
      Cmp same = new Cmp(pointerKey, Cmp.Op.EQUAL, CmpTarget.modRevision(seen.modRevision()));
      TxnResponse r = await("read", client.getKVClient().txn().If(same)
          .Then(seen.gen() == null ? new Op[0] : new Op[] {Op.get(dataKey(seen.gen(), key), GetOption.DEFAULT)})
          .commit());
      if (r.isSucceeded()) {
        if (seen.gen() == null) {
          return null;
        }
        List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().getBytes();
      }
    }
  }

  @Override
  public void forEach(String bucket, BiConsumer<UUID, byte[]> action) {
    forEachEntry(bucket, (msb, lsb, value, offset, length) -> action.accept(new UUID(msb, lsb), value));
  }

  @Override
  public void forEachEntry(String bucket, EntryVisitor visitor) {
    Pointer p = pointer(bucket);
    if (p.gen() != null) {
      scan(p.gen(), p.revision(), visitor);
    }
  }

  /** Every entry of generation {@code gen} as of {@code revision}, page by page. */
  private void scan(String gen, long revision, EntryVisitor visitor) {
    ByteSequence start = dataPrefix(gen);
    ByteSequence end = prefixEnd(start);
    int skip = start.size();
    while (true) {
      GetResponse r = await("read", client.getKVClient().get(start, GetOption.builder().withRange(end)
          .withRevision(revision).withLimit(PAGE).build()));
      for (KeyValue kv : r.getKvs()) {
        ByteBuffer k = ByteBuffer.wrap(kv.getKey().getBytes(), skip, KEY_BYTES);
        byte[] v = kv.getValue().getBytes();
        visitor.visit(k.getLong(), k.getLong(), v, 0, v.length);
      }
      if (!r.isMore() || r.getKvs().isEmpty()) {
        return;
      }
      start = kvAfter(r.getKvs().get(r.getKvs().size() - 1).getKey());
    }
  }

  @Override
  public int count(String bucket) {
    Pointer p = pointer(bucket);
    return p.gen() == null ? 0 : count(p.gen(), p.revision());
  }

  private int count(String gen, long revision) {
    ByteSequence start = dataPrefix(gen);
    GetResponse r = await("read", client.getKVClient().get(start, GetOption.builder().withRange(prefixEnd(start))
        .withRevision(revision).withCountOnly(true).build()));
    return Math.toIntExact(r.getCount());
  }

  @Override
  public List<String> buckets(String prefix) {
    ByteSequence start = key("b/" + prefix);
    GetResponse r = await("read", client.getKVClient().get(start, prefix(start)));
    long revision = r.getHeader().getRevision();
    List<String> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      if (count(kv.getValue().toString(StandardCharsets.UTF_8), revision) > 0) {
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
    synchronized (commitLock) {
      Map<String, String> current = new LinkedHashMap<>();
      for (String bucket : changes.keySet()) {
        current.put(bucket, pointer(bucket, "commit").gen());
      }
      int ops = 0;
      for (BucketChange c : changes.values()) {
        ops += c.entries.size() + 3;
      }
      if (ops <= MAX_OPS && bytes <= MAX_BYTES) {
        commitInOne(changes, current);
      } else {
        commitStaged(changes, current);
      }
    }
  }

  /** The compares that make a transaction fail if another writer moved a bucket's pointer since it was read. */
  private List<Cmp> unchanged(Map<String, String> current) {
    List<Cmp> cmps = new ArrayList<>();
    current.forEach((bucket, gen) -> cmps.add(gen == null
        ? new Cmp(key("b/" + bucket), Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(key("b/" + bucket), Cmp.Op.EQUAL, CmpTarget.value(bytes(gen)))));
    return cmps;
  }

  private void commitInOne(Map<String, BucketChange> changes, Map<String, String> current) {
    List<Op> ops = new ArrayList<>();
    changes.forEach((bucket, c) -> {
      String gen = current.get(bucket);
      boolean anyPut = c.entries.values().stream().anyMatch(Objects::nonNull);
      if (c.dropped && gen != null) {
        dropOps(gen, ops);
        gen = null;
        if (!anyPut) {
          ops.add(Op.delete(key("b/" + bucket), DeleteOption.DEFAULT));
        }
      }
      if (gen == null && anyPut) {
        gen = newGeneration();
        ops.add(Op.put(key("b/" + bucket), bytes(gen), PutOption.DEFAULT));
        ops.add(Op.put(key("g/" + gen), bytes(bucket), PutOption.DEFAULT));
      }
      if (gen == null) {
        return;
      }
      for (Map.Entry<UUID, byte[]> e : c.entries.entrySet()) {
        ByteSequence k = dataKey(gen, e.getKey());
        ops.add(e.getValue() == null ? Op.delete(k, DeleteOption.DEFAULT)
            : Op.put(k, ByteSequence.from(e.getValue()), PutOption.DEFAULT));
      }
    });
    if (ops.isEmpty()) {
      return;
    }
    applyOnce(unchanged(current), ops);
  }

  private void dropOps(String gen, List<Op> ops) {
    ops.add(Op.delete(dataPrefix(gen), deleteRange(dataPrefix(gen))));
    ops.add(Op.delete(key("g/" + gen), DeleteOption.DEFAULT));
  }

  private void commitStaged(Map<String, BucketChange> changes, Map<String, String> current) {
    if (changes.size() > MAX_STAGED_BUCKETS) {
      throw new StoreException("etcd cluster database " + ns + " at " + endpoints + ": a batch of this size may"
          + " touch at most " + MAX_STAGED_BUCKETS + " buckets, this one touches " + changes.size()
          + "; nothing was applied.");
    }
    long lease = await("commit", client.getLeaseClient().grant(STAGING_LEASE_SECONDS)).getID();
    Map<String, String> staged = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, BucketChange> e : changes.entrySet()) {
        String gen = newGeneration();
        staged.put(e.getKey(), gen);
        await("commit", client.getKVClient().txn().Then(
            Op.put(key("g/" + gen), bytes(e.getKey()), PutOption.DEFAULT),
            Op.put(key("s/" + gen), bytes(e.getKey()), PutOption.builder().withLeaseId(lease).build())).commit());
      }
      Stager stager = new Stager(lease);
      for (Map.Entry<String, BucketChange> e : changes.entrySet()) {
        String old = current.get(e.getKey());
        String gen = staged.get(e.getKey());
        BucketChange c = e.getValue();
        if (old != null && !c.dropped) {
          long revision = pointer(e.getKey(), "commit").revision();
          scan(old, revision, (msb, lsb, value, offset, length) -> {
            if (!c.entries.containsKey(new UUID(msb, lsb))) {
              stager.put(dataKey(gen, new UUID(msb, lsb)), value);
            }
          });
        }
        for (Map.Entry<UUID, byte[]> entry : c.entries.entrySet()) {
          if (entry.getValue() != null) {
            stager.put(dataKey(gen, entry.getKey()), entry.getValue());
          }
        }
      }
      stager.flush();
      List<Op> flip = new ArrayList<>();
      staged.forEach((bucket, gen) -> {
        String old = current.get(bucket);
        if (old != null) {
          dropOps(old, flip);
        }
        flip.add(Op.put(key("b/" + bucket), bytes(gen), PutOption.DEFAULT));
        flip.add(Op.delete(key("s/" + gen), DeleteOption.DEFAULT));
      });
      applyOnce(unchanged(current), flip);
      staged.clear();
    } finally {
      for (String gen : staged.values()) {
        discard(gen);
      }
      client.getLeaseClient().revoke(lease);
    }
  }

  /** Best effort: what a failed large commit staged; the next open's sweep deletes what this cannot. */
  private void discard(String gen) {
    try {
      List<Op> ops = new ArrayList<>();
      dropOps(gen, ops);
      ops.add(Op.delete(key("s/" + gen), DeleteOption.DEFAULT));
      client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes staged entries in transactions within etcd's limits, up to 32 at a time (they
   * are independent puts no reader sees, so their order does not matter), keeping the staging lease alive.
   */
  private final class Stager {
    private final long lease;
    private final List<Op> ops = new ArrayList<>();
    private final ArrayDeque<CompletableFuture<TxnResponse>> inFlight = new ArrayDeque<>();
    private long bytes;
    private long lastKeepAlive = System.nanoTime();

    Stager(long lease) {
      this.lease = lease;
    }

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
      if (System.nanoTime() - lastKeepAlive > TimeUnit.SECONDS.toNanos(STAGING_LEASE_SECONDS / 4)) {
        await("commit", client.getLeaseClient().keepAliveOnce(lease));
        lastKeepAlive = System.nanoTime();
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
   * until the request timeout. Called under {@link #commitLock}.
   */
  private void applyOnce(List<Cmp> compares, List<Op> ops) {
    ByteSequence fence = key("w/" + writer);
    List<Cmp> cmps = new ArrayList<>(compares);
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
        + " bucket this commit touches; nothing was applied.");
  }

  private String newGeneration() {
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

  @Override
  public void close() {
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

  private ByteSequence dataPrefix(String gen) {
    return key("d/" + gen + "/");
  }

  private ByteSequence dataKey(String gen, UUID key) {
    return dataPrefix(gen).concat(ByteSequence.from(ByteBuffer.allocate(KEY_BYTES)
        .putLong(key.getMostSignificantBits()).putLong(key.getLeastSignificantBits()).array()));
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
