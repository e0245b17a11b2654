package dev.kmsengine.benchmarks.barbican;

import dev.kmsengine.barbican.BarbicanKeyProvider;
import dev.kmsengine.benchmarks.BenchmarkDefaults;
import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code java -jar benchmarks/target/benchmarks.jar FetchContentionBenchmark -rf json -rff fetch.json}
 *
 * <p>{@code callers} threads (64) of one node ask a {@link BarbicanKeyProvider} at the same instant for the same
 * configuration's top-level KEK, from the connector's {@link OpenStackEmulator} over loopback HTTPS. One operation
 * is one round: from opening the start gate until every caller holds the key. With {@code cache=cold} each round
 * starts with the provider's token and KEK caches emptied ({@code invalidate(configuration)}), so the round pays
 * for one Keystone token request and one Barbican metadata and payload request, which the single-flight caches
 * share among all callers; {@code cache=warm} keeps them, so no request leaves the process. The provider's KEK
 * cache is on ({@code kekCacheTtl} of 10 minutes): without it every caller would fetch the key itself.
 *
 * <p>Requests per round are counted by the emulator; the teardown prints the fewest and most seen in any round
 * ({@code requests per round: ...}) and {@code FetchContentionBenchmarkTest} asserts one token and one payload
 * request per cold round, none per warm one.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FetchContentionBenchmark extends BenchmarkDefaults {
  static final String NODE = "node-1";

  /** An emulator, a provider trusting it, and {@code callers} threads parked before a start gate. */
  @State(Scope.Benchmark)
  public static class Contention {
    /** How many threads ask for the KEK at the same instant. */
    @Param({"64"})
    public int callers;

    /** {@code cold}: token and KEK caches emptied before every round; {@code warm}: kept. */
    @Param({"cold", "warm"})
    public String cache;

    OpenStackEmulator openstack;
    BarbicanKeyProvider barbican;
    BarbicanConnection connection;
    String keyId;
    /** What each caller received in the last round, for the test to compare with the emulator's secret. */
    byte[][] received;
    private ExecutorService pool;
    private CountDownLatch ready;
    private CountDownLatch start;
    private CountDownLatch done;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final RequestTally tally = new RequestTally();

    /**
     * Starts the emulator with one credential and one secret, and the provider trusting it.
     *
     * @throws IOException if the emulator cannot listen on loopback
     */
    @Setup(Level.Trial)
    public void startEmulator() throws IOException {
      if (!cache.equals("cold") && !cache.equals("warm")) {
        throw new IllegalArgumentException("cache is cold or warm, not " + cache);
      }
      openstack = OpenStackEmulator.builder().start();
      OpenStackEmulator.ApplicationCredential credential = openstack.createApplicationCredential();
      keyId = openstack.createSecret();
      connection = new BarbicanConnection(UUID.randomUUID(), keyId, openstack.keystoneUrl(), credential.id(),
          credential.secret(), ProxyType.HTTPS, "", 0, "", Secret.empty(), true, true, 10);
      barbican = BarbicanKeyProvider.builder()
          .trustedCaPem(openstack.caCertificatePem())
          .kekCacheTtl(Duration.ofMinutes(10))
          .build();
      received = new byte[callers][KeyMaterial.LENGTH];
      if (cache.equals("warm")) {
        try (KeyMaterial first = barbican.fetchKey(NODE, connection)) {
          first.copyInto(KeyAccess.insecure(), received[0], 0);
        } catch (KekException e) {
          throw new IllegalStateException("the emulator did not serve the KEK", e);
        }
      }
      pool = Executors.newFixedThreadPool(callers, r -> {
        Thread t = new Thread(r, "kek-caller");
        t.setDaemon(true);
        return t;
      });
    }

    /**
     * Empties the caches (cold rounds), then parks every caller at the gate, so the round times only the fetch.
     *
     * @throws InterruptedException if interrupted while the callers park
     */
    @Setup(Level.Invocation)
    public void park() throws InterruptedException {
      if (cache.equals("cold")) {
        barbican.invalidate(connection.configurationUuid());
      }
      openstack.resetCounters();
      failure.set(null);
      ready = new CountDownLatch(callers);
      start = new CountDownLatch(1);
      done = new CountDownLatch(callers);
      for (int i = 0; i < callers; i++) {
        byte[] slot = received[i];
        pool.execute(() -> call(slot));
      }
      ready.await();
    }

    private void call(byte[] slot) {
      ready.countDown();
      try {
        start.await();
        try (KeyMaterial kek = barbican.fetchKey(NODE, connection)) {
          kek.copyInto(KeyAccess.insecure(), slot, 0);
        }
      } catch (KekException | RuntimeException e) {
        failure.compareAndSet(null, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure.compareAndSet(null, e);
      } finally {
        done.countDown();
      }
    }

    /** Opens the gate and waits until every caller holds the key; fails the round if any caller failed. */
    int round() throws InterruptedException {
      start.countDown();
      done.await();
      Throwable t = failure.get();
      if (t != null) {
        throw new IllegalStateException("a caller failed to fetch the KEK", t);
      }
      return callers;
    }

    /** Adds this round's emulator request counts to the tally printed at the end of the trial. */
    @TearDown(Level.Invocation)
    public void count() {
      tally.add(openstack.tokenRequests(), openstack.metadataRequests(), openstack.payloadRequests());
    }

    /** Prints the request tally, stops the callers and the emulator, and wipes the received keys. */
    @TearDown(Level.Trial)
    public void close() {
      System.out.printf("%n%s cache, %d callers: %s%n", cache, callers, tally);
      pool.shutdownNow();
      barbican.forgetCachedKeys();
      openstack.close();
      for (byte[] slot : received) {
        Arrays.fill(slot, (byte) 0);
      }
    }

    RequestTally tally() {
      return tally;
    }
  }

  /**
   * One round: {@code callers} concurrent fetches of the same KEK, until the last caller has it.
   *
   * @param c the emulator, provider and parked callers
   * @return the number of callers served, for JMH to consume
   * @throws InterruptedException if interrupted while waiting for the callers
   */
  @Benchmark
  public int fetch(Contention c) throws InterruptedException {
    return c.round();
  }
}
