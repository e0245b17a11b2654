package dev.kmsengine.rest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  private final class Watched {
    private final SslConnection connection;
    private final long opened = System.nanoTime();
    private Phase phase = Phase.WAITING;
    private Scheduler.Task deadline;
    private long hardDeadline;

    Watched(SslConnection connection) {
      this.connection = connection;
    }

    synchronized void await(Duration within) {
      phase = Phase.WAITING;
      hardDeadline = System.nanoTime() + within.toNanos() * MAX_STRETCH;
      schedule(within);
    }

    private void schedule(Duration after) {
      cancel();
      Scheduler.Task[] self = new Scheduler.Task[1];
      self[0] = scheduler.schedule(() -> expire(self[0]), after);
      deadline = self[0];
    }

    synchronized void serving() {
      cancel();
      phase = Phase.SERVING;
    }

    synchronized boolean waiting() {
      return phase == Phase.WAITING;
    }

    private void expire(Scheduler.Task which) {
      synchronized (this) {
        if (deadline != which || phase != Phase.WAITING) {
          return;
        }
        deadline = null;
        if (!connection.getEndPoint().isFillInterested() && System.nanoTime() - hardDeadline < 0) {
          schedule(RECHECK);
          return;
        }
      }
      close();
    }

    synchronized void cancel() {
      if (deadline != null) {
        deadline.cancel();
        deadline = null;
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
