package dev.kmsengine.transport;

import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.apache.hc.client5.http.io.HttpClientConnectionOperator;
import org.apache.hc.client5.http.io.ManagedHttpClientConnection;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;

/**
 * Opens HttpClient's connections for one {@link TransportSettings}, hop by hop: the TCP dial through the asking
 * node's {@link NodeNetwork}; for a proxy, TLS to it when it is an {@code https} proxy and the {@code CONNECT}
 * tunnel ({@link ProxyTunnel}); then TLS to Keystone or Barbican. HttpClient sees a direct route and does the
 * HTTP exchange over the result.
 *
 * <p>The two TLS hops have their own trust. The server's follows {@code verify} and {@code verify_host}; the proxy's
 * is always the JDK's CAs plus the configured ones, with the host name checked, because the proxy credential is
 * sent only once that handshake has succeeded. Thread-safe: it holds only immutable state.
 */
final class NodeConnectionOperator implements HttpClientConnectionOperator {
  private final TransportSettings settings;
  private final NodeNetwork network;
  private final SSLSocketFactory serverTls;
  private final SSLSocketFactory proxyTls;

  NodeConnectionOperator(TransportSettings settings, NodeNetwork network) {
    this.settings = settings;
    this.network = network;
    this.serverTls = TrustConfig.serverFactory(settings);
    this.proxyTls = settings.usesProxy() && settings.proxyType() == ProxyType.HTTPS
        ? TrustConfig.proxyFactory(settings) : null;
  }

  @Override
  public void connect(ManagedHttpClientConnection conn, HttpHost host, InetSocketAddress localAddress,
      TimeValue connectTimeout, SocketConfig socketConfig, HttpContext context) throws IOException {
    Attempt a = (Attempt) context.getAttribute(Attempt.CONTEXT_ATTRIBUTE);
    if (a == null) {
      throw new IOException("no attempt in the HttpClient context: connections are opened by HttpsClient only");
    }
    String targetHost = host.getHostName();
    int targetPort = host.getPort() == -1 ? 443 : host.getPort();
    String server = "server " + targetHost + ":" + targetPort;
    String dialHost = settings.usesProxy() ? settings.proxyHost() : targetHost;
    int dialPort = settings.usesProxy() ? settings.proxyPort() : targetPort;
    String where = settings.usesProxy() ? "proxy " + dialHost + ":" + dialPort : dialHost + ":" + dialPort;
    Socket raw;
    try {
      raw = network.connect(a.node(), dialHost, dialPort, a.remaining());
    } catch (SocketTimeoutException e) {
      throw new AttemptFailure(a.timedOut(where));
    } catch (AttemptFailure e) {
      throw e;
    } catch (IOException e) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.CONNECT,
          a.request().describe() + ": cannot connect to " + where + ": " + Attempt.describe(e), e));
    }
    boolean connected = false;
    try {
      // Bound at once, so that the attempt's deadline, which closes the connection, also ends a stalled handshake.
      conn.bind(raw);
      Socket s = raw;
      if (settings.usesProxy()) {
        if (proxyTls != null) {
          s = handshake(proxyTls, s, dialHost, dialPort, true, a, where);
        }
        ProxyTunnel.open(s, new HttpHost(targetHost, targetPort), settings, a, where);
      }
      conn.bind(handshake(serverTls, s, targetHost, targetPort, settings.verify() && settings.verifyHost(), a,
          server), raw);
      connected = true;
    } finally {
      if (!connected) {
        raw.close();
      }
    }
  }

  /** HttpClient asks for this only on routes it tunnels itself; this operator's routes are all direct. */
  @Override
  public void upgrade(ManagedHttpClientConnection conn, HttpHost host, HttpContext context) {
    throw new UnsupportedOperationException("the connector opens proxy tunnels itself");
  }

  private static SSLSocket handshake(SSLSocketFactory tls, Socket s, String host, int port, boolean checkHost,
      Attempt a, String who) throws AttemptFailure {
    try {
      SSLSocket ssl = (SSLSocket) tls.createSocket(s, host, port, true);
      SSLParameters p = ssl.getSSLParameters();
      if (checkHost) {
        p.setEndpointIdentificationAlgorithm("HTTPS");
      }
      ssl.setSSLParameters(p);
      ssl.setSoTimeout(a.remainingMillis());
      ssl.startHandshake();
      return ssl;
    } catch (SocketTimeoutException e) {
      throw new AttemptFailure(a.timedOut(who));
    } catch (SSLException e) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.TLS,
          a.request().describe() + ": TLS with " + who + " failed: " + Attempt.describe(e), e));
    } catch (AttemptFailure e) {
      throw e;
    } catch (IOException e) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.CONNECT,
          a.request().describe() + ": the connection to " + who + " broke during the TLS handshake: "
              + Attempt.describe(e), e));
    }
  }
}
