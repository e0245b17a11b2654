package dev.kmsengine.rest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Deadlines and the connection bound. Jetty's idle timeout alone closes only silent connections; a client that
 * trickles one byte now and then, or that never finishes its handshake or headers, would hold its connection (and
 * file descriptor) for ever. So each connection carries one deadline at a time: the handshake's from accept, the
 * request line and headers' from the end of the handshake (or of the previous response, plus the idle timeout),
 * none while a request is being handled. Past the bound on open connections, a new one closes the oldest that is
 * waiting for a handshake or headers. Thread-safe: Jetty calls it from selector and request threads.
 *
 * <p>A deadline closes a connection only if it is then waiting for its client (Jetty is interested in reading
 * from it). If the client's bytes are in and it is the server that has not got round to them, as when hundreds of
 * clients connect at once to a cold JVM on a busy machine, closing would only make every client connect and
 * handshake again; the deadline is looked at again a little later instead, up to four times its length.
 */
final class ConnectionGuard implements Connection.Listener, SslHandshakeListener {
  private final Scheduler scheduler;
  private final Duration handshake;
  private final Duration header;
  private final Duration betweenRequests;
  private final int maxConnections;
  private final Map<SSLEngine, Watched> open = new ConcurrentHashMap<>();
  /** How soon a deadline that found the server behind looks again. */
  private static final Duration RECHECK = Duration.ofMillis(250);
  /** How many times its length a deadline may be stretched while the server is behind. */
  private static final int MAX_STRETCH = 4;

  ConnectionGuard(Scheduler scheduler, Duration handshake, Duration header, Duration idle, int maxConnections) {
    this.scheduler = scheduler;
    this.handshake = handshake;
    this.header = header;
    this.betweenRequests = idle.plus(header);
    this.maxConnections = maxConnections;
  }

  /** Whether a connection is waiting for its client (handshake or headers) or serving a request. */
  private enum Phase { WAITING, SERVING }

  /**
   * One connection's deadline. Setting a deadline is a write to a field: a request's start and end do not touch
   * the scheduler, which would cost a lock and a heap insertion and removal per request. One timer per connection
   * is pending at a time; when it fires before the deadline now set (moved later by the requests served since),
   * it is scheduled again for the rest.
   */
  private final class Watched {
    private final SslConnection connection;
    private final long opened = System.nanoTime();
    private Phase phase = Phase.WAITING;
    /** When the current wait for the client ends (System.nanoTime). */
    private long due;
    private long hardDeadline;
    /** The one pending timer, or null; it fires at {@code timerAt} or later. */
    private Scheduler.Task timer;
    private long timerAt;

    Watched(SslConnection connection) {
      this.connection = connection;
    }

    synchronized void await(Duration within) {
      long now = System.nanoTime();
      phase = Phase.WAITING;
      due = now + within.toNanos();
      hardDeadline = now + within.toNanos() * MAX_STRETCH;
      if (timer == null || due - timerAt < 0) {
        schedule(now, due);
      }
    }

    private void schedule(long now, long at) {
      cancel();
      timerAt = at;
      timer = scheduler.schedule(this::expire, Math.max(0, at - now), TimeUnit.NANOSECONDS);
    }

    synchronized void serving() {
      phase = Phase.SERVING;
    }

    synchronized boolean waiting() {
      return phase == Phase.WAITING;
    }

    private void expire() {
      synchronized (this) {
        timer = null;
        if (phase != Phase.WAITING) {
          return;
        }
        long now = System.nanoTime();
        if (now - due < 0) {
          schedule(now, due);
          return;
        }
        if (!connection.getEndPoint().isFillInterested() && now - hardDeadline < 0) {
          schedule(now, now + RECHECK.toNanos());
          return;
        }
      }
      close();
    }

    synchronized void cancel() {
      if (timer != null) {
        timer.cancel();
        timer = null;
      }
    }

    void close() {
      connection.getEndPoint().close();
    }
  }

  @Override
  public void onOpened(Connection connection) {
    if (!(connection instanceof SslConnection ssl)) {
      return;
    }
    Watched w = new Watched(ssl);
    open.put(ssl.getSSLEngine(), w);
    w.await(handshake);
    if (open.size() > maxConnections) {
      shedOldestWaiting();
    }
  }

  private void shedOldestWaiting() {
    Watched oldest = null;
    for (Watched w : open.values()) {
      if (w.waiting() && (oldest == null || w.opened - oldest.opened < 0)) {
        oldest = w;
      }
    }
    if (oldest != null) {
      oldest.close();
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (connection instanceof SslConnection ssl) {
      Watched w = open.remove(ssl.getSSLEngine());
      if (w != null) {
        w.cancel();
      }
    }
  }

  @Override
  public void handshakeSucceeded(Event event) {
    Watched w = open.get(event.getSSLEngine());
    if (w != null) {
      w.await(header);
    }
  }

  /** The request's headers are in: no deadline while it is served. */
  void requestStarted(Request request) {
    Watched w = of(request);
    if (w != null) {
      w.serving();
    }
  }

  /** The response is sent: the next request's headers are due within the idle and header timeouts. */
  void requestEnded(Request request) {
    Watched w = of(request);
    if (w != null) {
      w.await(betweenRequests);
    }
  }

  private Watched of(Request request) {
    EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
    if (ep instanceof SslConnection.SslEndPoint decrypted) {
      return open.get(decrypted.getSslConnection().getSSLEngine());
    }
    return null;
  }

  /** The connections open now, for tests. */
  int openConnections() {
    return open.size();
  }
}
