package dev.kmsengine.transport;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;

/** Accepts connections on a test server's socket, each served on its own daemon thread, until the socket closes. */
public final class Acceptor {
  private Acceptor() {}

  /**
   * Starts accepting.
   *
   * @param server the listening socket; closing it stops the loop
   * @param name the threads' name
   * @param serve what each connection gets; it closes the socket
   */
  public static void start(ServerSocket server, String name, Consumer<Socket> serve) {
    Thread loop = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> serve.accept(s), name + "-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, name);
    loop.setDaemon(true);
    loop.start();
  }
}
