package dev.kmsengine.etcd;

import dev.kmsengine.store.ClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link ClusterDatabase.Coordination} on the etcd cluster of an {@link EtcdClusterDatabase}, under the store's
 * namespace ({@link EtcdClusterDatabase#coordination()}):
 *
 * <ul>
 *   <li>An SVM lock is etcd's lock ({@code c/lock/<svm>}, etcd's lock service) on a lease of its own, renewed by
 *       jetcd's keep-alive; if the process dies the lease expires and the lock is free after the time to live. A
 *       holder that cannot renew in time takes the lock as lost (see {@link KeptLease}).
 *   <li>A node is live while its key {@code c/node/<name>} exists (its value the endpoint its process announced),
 *       on a lease the announcing process renews; a node name already announced by a live process is refused. A
 *       process is live while its key {@code c/process/<uuid>} exists, the same way.
 *   <li>A watch is etcd's watch on the bucket's pointer, which every commit to the bucket rewrites; on each event
 *       the bucket is read again and compared with what was read before, and each changed key is reported. Meant
 *       for small buckets (the SVM key records), since every change reads the whole bucket.
 * </ul>
 *
 * <p>Thread-safe. Closing it (the database does, when it closes) releases its locks and presences and stops its
 * watches.
 */
final class EtcdClusterCoordination implements ClusterDatabase.Coordination, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdClusterCoordination.class.getName());
  /** How long to wait before announcing nodes or watching a bucket again after etcd failed. */
  private static final long PRESENCE_RETRY_MILLIS = 1000;

  private final EtcdClusterDatabase db;
  private final Client client;
  private final long ttlSeconds;
  private final long timeoutMillis;
  private final ScheduledExecutorService timer;
  /** Watches read the store on a thread of their own, so a slow read never delays noticing a lost lease. */
  private final ScheduledExecutorService watches;
  private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

  private EtcdClusterCoordination(EtcdClusterDatabase db, Duration ttl) {
    this.db = db;
    this.client = db.client();
    this.ttlSeconds = Math.max(EtcdClusterDatabase.MIN_LEASE_TTL.toSeconds(), ttl.toSeconds());
    this.timeoutMillis = db.timeout().toMillis();
    this.timer = daemon("etcd-coordination-leases");
    this.watches = daemon("etcd-coordination-watches");
  }

  /**
   * Coordination through the etcd cluster and namespace of {@code db}.
   *
   * @param db the open store; it must stay open while this is used
   * @param ttl the time to live of the leases behind locks and presences (at least 2 s): how long a dead
   *     process's locks stay held and its nodes stay live, and how long a live one may go without reaching etcd
   *     before it takes its locks as lost
   * @return the coordination; close it before the database
   */
  static EtcdClusterCoordination of(EtcdClusterDatabase db, Duration ttl) {
    return new EtcdClusterCoordination(Objects.requireNonNull(db), ttl);
  }

  @Override
  public boolean distributed() {
    return true;
  }

  // ---- locks ----

  @Override
  public SvmLock lockSvm(UUID svm, Duration wait) {
    String what = db.describe() + ": lock of SVM " + svm;
    KeptLease lease = new KeptLease(client, ttlSeconds, timer, timeoutMillis, what);
    CompletableFuture<LockResponse> f = client.getLockClient().lock(db.namespaced("c/lock/" + svm), lease.id());
    try {
      LockResponse r = f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      long created = createRevision(r.getKey(), what, lease);
      EtcdLock lock = new EtcdLock(svm, r.getKey(), created, lease, what);
      open.add(lock);
      return lock;
    } catch (TimeoutException e) {
      f.cancel(true);
      lease.close();
      throw new StoreException(what + ": held by another process; not obtained within " + wait.toMillis() + " ms");
    } catch (ExecutionException e) {
      lease.close();
      throw new StoreException(what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lease.close();
      throw new StoreException(what + ": interrupted", e);
    }
  }

  /** The create revision of the key etcd's lock service made for this holder: the fence commits compare with. */
  private long createRevision(ByteSequence lockKey, String what, KeptLease lease) {
    List<KeyValue> kvs;
    try {
      kvs = db.awaitFor("read " + what, client.getKVClient().get(lockKey)).getKvs();
    } catch (StoreException e) {
      lease.close();
      throw e;
    }
    if (kvs.isEmpty()) {
      lease.close();
      throw new StoreException(what + " was lost as soon as it was obtained (its lease expired)");
    }
    return kvs.get(0).getCreateRevision();
  }

  /** An SVM lock on its own lease. */
  final class EtcdLock implements SvmLock {
    private final UUID svm;
    private final ByteSequence key;
    private final WriteBatch.Fence fence;
    private final KeptLease lease;
    private final String what;
    private final AtomicBoolean released = new AtomicBoolean();

    EtcdLock(UUID svm, ByteSequence key, long createRevision, KeptLease lease, String what) {
      this.svm = svm;
      this.key = key;
      this.fence = new WriteBatch.Fence(svm, key.toString(StandardCharsets.UTF_8), createRevision);
      this.lease = lease;
      this.what = what;
    }

    @Override
    public WriteBatch.Fence fence() {
      return fence;
    }

    @Override
    public UUID svm() {
      return svm;
    }

    @Override
    public boolean held() {
      return !released.get() && lease.alive();
    }

    @Override
    public void ensureHeld() {
      if (released.get()) {
        throw new StoreException(what + " was released");
      }
      if (!lease.alive()) {
        throw new StoreException(what + " was lost: its etcd lease (time to live " + ttlSeconds + " s) could not"
            + " be renewed in time, so another process may hold it now");
      }
    }

    @Override
    public void onLost(Runnable action) {
      lease.onLost(action);
    }

    /** The lease behind the lock, for tests that revoke it from outside. */
    long leaseId() {
      return lease.id();
    }

    @Override
    public void close() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      open.remove(this);
      try {
        client.getLockClient().unlock(key).get(timeoutMillis, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Revoking the lease below deletes the lock's key all the same.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      lease.close();
    }
  }

  // ---- liveness ----

  @Override
  public Presence announce(Set<String> nodes, String endpoint) {
    EtcdPresence p = new EtcdPresence("c/node/", Set.copyOf(nodes), Objects.requireNonNull(endpoint), true);
    p.register();
    open.add(p);
    return p;
  }

  /**
   * Announced nodes on one lease. If the lease is lost (etcd unreachable for longer than its time to live), the
   * nodes are announced again on a new lease as soon as etcd answers, unless another process took a name meanwhile.
   */
  final class EtcdPresence implements Presence {
    private final String prefix;
    private final Set<String> nodes;
    private final String endpoint;
    private final boolean ofNodes;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile KeptLease lease;

    /** Names under {@code prefix}: nodes ({@code ofNodes}) or one process. */
    EtcdPresence(String prefix, Set<String> nodes, String endpoint, boolean ofNodes) {
      this.prefix = prefix;
      this.nodes = nodes;
      this.endpoint = endpoint;
      this.ofNodes = ofNodes;
    }

    void register() {
      KeptLease l = new KeptLease(client, ttlSeconds, timer, timeoutMillis, db.describe() + ": presence of nodes "
          + nodes);
      List<Cmp> free = new ArrayList<>();
      List<Op> puts = new ArrayList<>();
      List<Op> gets = new ArrayList<>();
      for (String n : nodes) {
        ByteSequence k = db.namespaced(prefix + n);
        free.add(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)));
        puts.add(Op.put(k, bytes(endpoint), PutOption.builder().withLeaseId(l.id()).build()));
        gets.add(Op.get(k, GetOption.DEFAULT));
      }
      TxnResponse r;
      try {
        r = db.awaitFor("announce nodes " + nodes, client.getKVClient().txn().If(free.toArray(Cmp[]::new))
            .Then(puts.toArray(Op[]::new)).Else(gets.toArray(Op[]::new)).commit());
      } catch (StoreException e) {
        l.close();
        throw e;
      }
      if (!r.isSucceeded()) {
        l.close();
        List<String> taken = new ArrayList<>();
        r.getGetResponses().forEach(g -> g.getKvs().forEach(kv -> taken.add(
            kv.getKey().substring(db.namespaced(prefix).size()).toString(StandardCharsets.UTF_8) + " (by "
                + kv.getValue().toString(StandardCharsets.UTF_8) + ")")));
        throw new StoreException(db.describe() + ": nodes already hosted by a live process: " + taken);
      }
      lease = l;
      if (closed.get()) {
        l.close();
        return;
      }
      // On the watches' thread: announcing again waits for etcd, which must not delay noticing lost locks.
      l.onLost(() -> watches.execute(this::reannounce));
    }

    private void reannounce() {
      if (closed.get()) {
        return;
      }
      lease.close();
      try {
        register();
        LOG.info(() -> "nodes " + nodes + " announced again after their etcd lease was lost");
      } catch (StoreException e) {
        LOG.log(Level.FINE, "nodes " + nodes + " not announced yet", e);
        watches.schedule(this::reannounce, PRESENCE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public Set<String> nodes() {
      return ofNodes ? nodes : Set.of();
    }

    /** The lease the nodes are on now, for tests that revoke it from outside. */
    long leaseId() {
      return lease.id();
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        open.remove(this);
        KeptLease l = lease;
        if (l != null) {
          l.close();
        }
      }
    }
  }

  @Override
  public Map<String, String> liveNodes() {
    ByteSequence prefix = db.namespaced("c/node/");
    List<KeyValue> kvs = db.awaitFor("list live nodes", client.getKVClient().get(prefix,
        GetOption.builder().isPrefix(true).build())).getKvs();
    Map<String, String> out = new HashMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey().substring(prefix.size()).toString(StandardCharsets.UTF_8),
          kv.getValue().toString(StandardCharsets.UTF_8));
    }
    return Map.copyOf(out);
  }

  @Override
  public Presence announceProcess(UUID process) {
    EtcdPresence p = new EtcdPresence("c/process/", Set.of(process.toString()), "", false);
    p.register();
    open.add(p);
    return p;
  }

  @Override
  public Set<UUID> liveProcesses() {
    ByteSequence prefix = db.namespaced("c/process/");
    List<KeyValue> kvs = db.awaitFor("list live processes", client.getKVClient().get(prefix,
        GetOption.builder().isPrefix(true).withKeysOnly(true).build())).getKvs();
    Set<UUID> out = new HashSet<>();
    for (KeyValue kv : kvs) {
      out.add(UUID.fromString(kv.getKey().substring(prefix.size()).toString(StandardCharsets.UTF_8)));
    }
    return Set.copyOf(out);
  }

  // ---- watches ----

  @Override
  public Subscription watch(String bucket, Consumer<UUID> listener) {
    BucketWatch w = new BucketWatch(bucket, listener);
    w.start();
    open.add(w);
    return w;
  }

  /**
   * etcd's watch on a bucket's pointer; every event, and every error of the watch (after which it starts again
   * from the present), leads to one read of the bucket on the timer thread, compared with the read before.
   */
  private final class BucketWatch implements Subscription {
    private final String bucket;
    private final Consumer<UUID> listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean pending = new AtomicBoolean();
    private Map<UUID, byte[]> seen;
    private volatile Watch.Watcher watcher;

    BucketWatch(String bucket, Consumer<UUID> listener) {
      this.bucket = bucket;
      this.listener = listener;
    }

    void start() {
      EtcdClusterDatabase.Snapshot s = db.snapshot(bucket);
      seen = s.entries();
      watchFrom(s.revision() + 1);
    }

    private void watchFrom(long revision) {
      if (closed.get()) {
        return;
      }
      watcher = client.getWatchClient().watch(db.namespaced("b/" + bucket),
          WatchOption.builder().withRevision(revision).build(), Watch.listener(this::onEvent, this::onError));
    }

    private void onEvent(WatchResponse r) {
      if (!r.getEvents().isEmpty()) {
        schedule(0);
      }
    }

    private void onError(Throwable t) {
      Watch.Watcher w = watcher;
      if (w != null) {
        w.close();
      }
      LOG.log(Level.FINE, "watch of bucket " + bucket + " failed; starting it again", t);
      watches.schedule(this::restart, PRESENCE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Watches again from the present, then compares, so that nothing changed meanwhile goes unreported. */
    private void restart() {
      try {
        watchFrom(db.snapshot(bucket).revision() + 1);
      } catch (StoreException e) {
        watches.schedule(this::restart, PRESENCE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
        return;
      }
      schedule(0);
    }

    /** One comparison for any number of events that arrive before it runs. */
    private void schedule(long delayMillis) {
      if (pending.compareAndSet(false, true)) {
        watches.schedule(this::compare, delayMillis, TimeUnit.MILLISECONDS);
      }
    }

    private void compare() {
      pending.set(false);
      if (closed.get()) {
        return;
      }
      Map<UUID, byte[]> now;
      try {
        now = db.snapshot(bucket).entries();
      } catch (StoreException e) {
        LOG.log(Level.FINE, "watch of bucket " + bucket + ": read failed; trying again", e);
        schedule(PRESENCE_RETRY_MILLIS);
        return;
      }
      Set<UUID> changed = new HashSet<>();
      now.forEach((k, v) -> {
        if (!Arrays.equals(v, seen.get(k))) {
          changed.add(k);
        }
      });
      seen.keySet().forEach(k -> {
        if (!now.containsKey(k)) {
          changed.add(k);
        }
      });
      seen = now;
      for (UUID k : changed) {
        if (closed.get()) {
          return;
        }
        try {
          listener.accept(k);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a listener of bucket " + bucket + " failed", e);
        }
      }
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        open.remove(this);
        Watch.Watcher w = watcher;
        if (w != null) {
          w.close();
        }
      }
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : new ArrayList<>(open)) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.log(Level.FINE, "closing " + c + " failed", e);
      }
    }
    timer.shutdown();
    watches.shutdown();
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "EtcdClusterCoordination[" + db + ", ttl=" + ttlSeconds + "s]";
  }
}
