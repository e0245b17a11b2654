package dev.kmsengine.rest;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS connections whose handshake runs on a worker thread. {@link ApiHandler} answers most requests on the thread
 * that reads the socket, and Jetty runs a connection's TLS reads on that thread too, handshake included. A
 * handshake costs about a millisecond of CPU (the ECDSA signature and the key exchange), much more before the JIT
 * has compiled it, so a burst of new connections would queue the requests of every open connection behind it on
 * the two socket threads; those connections' deadlines would then fire while their bytes wait, unread. Reads
 * after the handshake run where Jetty runs them. Thread-safe.
 */
final class WorkerHandshakes extends SslConnectionFactory {
  WorkerHandshakes(SslContextFactory.Server tls, String nextProtocol) {
    super(tls, nextProtocol);
  }

  @Override
  protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine) {
    return new Handshaking(connector.getByteBufferPool(), connector.getExecutor(), getSslContextFactory(),
        endPoint, engine, isDirectBuffersForEncryption(), isDirectBuffersForDecryption());
  }

  private static final class Handshaking extends SslConnection {
    private volatile boolean handshaken;

    Handshaking(ByteBufferPool pool, Executor executor, SslContextFactory tls, EndPoint endPoint, SSLEngine engine,
        boolean directEncryption, boolean directDecryption) {
      super(pool, executor, tls, endPoint, engine, directEncryption, directDecryption);
      addHandshakeListener(new SslHandshakeListener() {
        @Override
        public void handshakeSucceeded(Event event) {
          handshaken = true;
        }
      });
    }

    @Override
    public void onFillable() {
      if (handshaken) {
        super.onFillable();
        return;
      }
      try {
        getExecutor().execute(super::onFillable);
      } catch (RejectedExecutionException e) {
        // Stopping, or the workers are saturated: a connection not yet handshaken is the one to drop.
        getEndPoint().close();
      }
    }
  }
}
