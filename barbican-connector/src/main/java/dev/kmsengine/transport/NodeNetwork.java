package dev.kmsengine.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Opens the TCP connection from a cluster node to a host: the hook through which an embedding simulator gives
 * each node its own network path, or cuts one off by throwing {@link java.net.ConnectException}.
 *
 * <p>Everything above TCP (proxy tunnelling, TLS, HTTP) stays in the connector, so a hook cannot weaken
 * certificate checks. The default, {@link #direct()}, resolves the host and connects to it.
 */
@FunctionalInterface
public interface NodeNetwork {
  /**
   * Returns a connected socket from {@code node} to {@code host:port}.
   *
   * @param node the cluster node asking
   * @param host the host name or address being dialled (the proxy's, when there is one)
   * @param port the port
   * @param timeout how long connecting may take
   * @return a connected socket; the caller closes it
   * @throws IOException if no connection can be made
   */
  Socket connect(String node, String host, int port, Duration timeout) throws IOException;

  /**
   * Resolves {@code host} with the JDK and connects, the same for every node.
   *
   * @return a network in which every node connects directly
   */
  static NodeNetwork direct() {
    return (node, host, port, timeout) -> {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        return s;
      } catch (IOException | RuntimeException e) {
        s.close();
        throw e;
      }
    };
  }
}
