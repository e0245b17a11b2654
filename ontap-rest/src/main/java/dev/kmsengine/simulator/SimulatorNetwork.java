package dev.kmsengine.simulator;

import dev.kmsengine.transport.NodeNetwork;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each node's own path to Keystone and Barbican. A node cut off, or a port marked unreachable (a server that is
 * down), gets {@link ConnectException} as a refused connection would; everything else is dialled directly.
 */
final class SimulatorNetwork implements NodeNetwork {
  private final NodeNetwork direct = NodeNetwork.direct();
  private final Set<String> cutOff = ConcurrentHashMap.newKeySet();
  private final Set<Integer> unreachablePorts = ConcurrentHashMap.newKeySet();

  @Override
  public Socket connect(String node, String host, int port, Duration timeout) throws IOException {
    if (cutOff.contains(node)) {
      throw new ConnectException("node " + node + " is cut off from the network (simulated)");
    }
    if (unreachablePorts.contains(port)) {
      throw new ConnectException("connection to " + host + ":" + port + " refused (simulated server down)");
    }
    return direct.connect(node, host, port, timeout);
  }

  void connect(String node, boolean connected) {
    if (connected) {
      cutOff.remove(node);
    } else {
      cutOff.add(node);
    }
  }

  boolean connected(String node) {
    return !cutOff.contains(node);
  }

  void reachable(int port, boolean reachable) {
    if (reachable) {
      unreachablePorts.remove(port);
    } else {
      unreachablePorts.add(port);
    }
  }

  boolean reachable(int port) {
    return !unreachablePorts.contains(port);
  }
}
