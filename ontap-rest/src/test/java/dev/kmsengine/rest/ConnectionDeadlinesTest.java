package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * Clients that open connections and stall, as an attacker without a password would: they neither take the
 * server from its users nor keep their connections past the deadlines.
 */
class ConnectionDeadlinesTest {
  /** The first 11 bytes of a TLS ClientHello: record header, then the start of the handshake message. */
  private static final byte[] HELLO_START = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4,
    0x03, 0x03};
  private static final byte[] HEADERS_START = "GET /api/cluster/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: "
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NODES = ("GET /api/cluster/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
      + TestServer.AUTH + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  /** How much later than its deadline a loaded machine may close a connection. */
  private static final Duration SLACK = Duration.ofSeconds(3);

  /** Stalls connections one after the other until stopped, recording how long the server let each live. */
  private static final class Staller implements Runnable {
    private final TestServer server;
    private final boolean handshakeDone;
    private final AtomicBoolean stop;
    private final CountDownLatch connected;
    private final List<Long> lifetimesMillis;
    private final AtomicInteger neverClosed;

    Staller(TestServer server, boolean handshakeDone, AtomicBoolean stop, CountDownLatch connected,
        List<Long> lifetimesMillis, AtomicInteger neverClosed) {
      this.server = server;
      this.handshakeDone = handshakeDone;
      this.stop = stop;
      this.connected = connected;
      this.lifetimesMillis = lifetimesMillis;
      this.neverClosed = neverClosed;
    }

    @Override
    public void run() {
      boolean first = true;
      while (!stop.get()) {
        try (Socket s = open()) {
          long stalled = System.nanoTime();
          if (first) {
            connected.countDown();
            first = false;
          }
          InputStream in = s.getInputStream();
          try {
            while (in.read() >= 0) {
              // The server answers nothing to a half request; only its close ends the loop.
            }
            lifetimesMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalled));
          } catch (SocketTimeoutException e) {
            neverClosed.incrementAndGet();
          } catch (IOException e) {
            lifetimesMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalled));
          }
        } catch (IOException e) {
          if (!stop.get()) {
            neverClosed.incrementAndGet();
          }
        }
      }
    }

    private Socket open() throws IOException {
      if (handshakeDone) {
        SSLSocket s = server.connect(Duration.ofSeconds(20));
        s.getOutputStream().write(HEADERS_START);
        s.getOutputStream().flush();
        return s;
      }
      Socket s = new Socket();
      s.connect(new InetSocketAddress("127.0.0.1", server.server.port()), 20_000);
      s.setSoTimeout(20_000);
      s.getOutputStream().write(HELLO_START);
      s.getOutputStream().flush();
      return s;
    }
  }

  private static long timedRequestMillis(TestServer t) throws IOException {
    long start = System.nanoTime();
    List<TestServer.RawResponse> r = t.raw(NODES, 1);
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(200, r.get(0).status(), r.get(0)::text);
    return took;
  }

  @Test
  void stalledHandshakesAndHeaders_forThirtySeconds_neitherSlowAuthenticatedRequests_norOutliveTheirDeadlines()
      throws Exception {
    try (TestServer t = new TestServer(b -> b.handshakeTimeout(DEADLINE).headerTimeout(DEADLINE), "svm1")) {
      timedRequestMillis(t);
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch connected = new CountDownLatch(200);
      List<Long> handshakeLives = Collections.synchronizedList(new ArrayList<>());
      List<Long> headerLives = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger neverClosed = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        boolean headers = i % 2 == 1;
        Thread th = new Thread(new Staller(t, headers, stop, connected, headers ? headerLives : handshakeLives,
            neverClosed), "staller-" + i);
        th.setDaemon(true);
        threads.add(th);
        th.start();
      }
      try {
        assertTrue(connected.await(60, TimeUnit.SECONDS), "the stalling connections were opened");
        List<Long> latencies = new ArrayList<>();
        long next = System.nanoTime();
        for (int i = 0; i < 30; i++) {
          latencies.add(timedRequestMillis(t));
          next += TimeUnit.SECONDS.toNanos(1);
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
        assertTrue(latencies.stream().allMatch(ms -> ms < 1000), () -> "request latencies (ms): " + latencies);
      } finally {
        stop.set(true);
        for (Thread th : threads) {
          th.join(30_000);
        }
      }
      long limit = DEADLINE.plus(SLACK).toMillis();
      assertEquals(0, neverClosed.get(), "stalled connections the server did not close");
      assertTrue(handshakeLives.size() >= 200, () -> "stalled handshakes closed: " + handshakeLives.size());
      assertTrue(headerLives.size() >= 200, () -> "stalled header sends closed: " + headerLives.size());
      assertTrue(handshakeLives.stream().allMatch(ms -> ms <= limit), () -> "longest handshake stall (ms): "
          + Collections.max(handshakeLives));
      assertTrue(headerLives.stream().allMatch(ms -> ms <= limit), () -> "longest header stall (ms): "
          + Collections.max(headerLives));
    }
  }

  @Test
  void aConnectionPastTheBound_closesTheOldestStalledOne_andIsServed() throws Exception {
    Duration longDeadline = Duration.ofSeconds(60);
    try (TestServer t = new TestServer(b -> b.maxConnections(20).handshakeTimeout(longDeadline)
        .headerTimeout(longDeadline), "svm1")) {
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 20; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", t.server.port()), 20_000);
          s.getOutputStream().write(HELLO_START);
          stalled.add(s);
          awaitOpen(t, i + 1);
        }
        List<TestServer.RawResponse> r = t.raw(NODES, 1);
        assertEquals(200, r.get(0).status(), r.get(0)::text);

        Socket oldest = stalled.get(0);
        oldest.setSoTimeout(20_000);
        assertEquals(-1, readOrClosed(oldest.getInputStream()), "the oldest stalled connection was closed");
        Socket newest = stalled.get(19);
        newest.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> newest.getInputStream().read(),
            "the newest stalled connection is still open");
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }

  @Test
  void eachRequestMovesTheDeadlineOfAKeptAliveConnection_andASilentOneIsStillClosed() throws Exception {
    // Between requests a connection may stay silent for the idle plus the header timeout: 2 s here.
    try (TestServer t = new TestServer(b -> b.idleTimeout(Duration.ofSeconds(1)).headerTimeout(Duration.ofSeconds(1)),
        "svm1"); SSLSocket s = t.connect(Duration.ofSeconds(30))) {
      byte[] keepAlive = ("GET /api/cluster/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + TestServer.AUTH
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      long start = System.nanoTime();
      int answered = 0;
      // Requests 0.5 s apart for three times the deadline: each one's timer is the previous one's, moved on.
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(6) && answered < 100) {
        s.getOutputStream().write(keepAlive);
        s.getOutputStream().flush();
        TestServer.RawResponse r = TestServer.readResponse(s.getInputStream());
        assertEquals(200, r == null ? -1 : r.status(), "request " + answered + " on the kept-alive connection");
        answered++;
        Thread.sleep(500);
      }
      long silentFrom = System.nanoTime();
      assertEquals(-1, readOrClosed(s.getInputStream()), "the silent connection is closed");
      long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentFrom);
      assertTrue(silentMillis < 30_000, "closed after " + silentMillis + " ms");
    }
  }

  private static int readOrClosed(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Waits (bounded) until the server has registered {@code count} connections, so their order is known. */
  private static void awaitOpen(TestServer t, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (t.server.openConnections() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(count, t.server.openConnections());
  }
}
