package dev.kmsengine.barbican;

import dev.kmsengine.transport.Acceptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A minimal CONNECT proxy with Basic authentication on 127.0.0.1, plain or TLS, for unit tests of the tunnelling
 * code (the integration suite uses a real tinyproxy). It answers 407 to wrong credentials and 200 after
 * connecting to the target, then copies bytes both ways.
 */
final class ConnectProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String expectedAuth;
  /** Request heads read, that is CONNECTs that got through the TLS handshake (if any) to the proxy. */
  final AtomicInteger heads = new AtomicInteger();
  final AtomicInteger tunnels = new AtomicInteger();
  final AtomicInteger rejected = new AtomicInteger();

  ConnectProxy(SSLContext tls, String user, String password) throws IOException {
    InetAddress lo = InetAddress.getLoopbackAddress();
    this.server = tls == null ? new ServerSocket(0, 50, lo) : tls.getServerSocketFactory().createServerSocket(0, 50, lo);
    this.expectedAuth = "Basic " + Base64.getEncoder().encodeToString(
        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Acceptor.start(server, "test-proxy", this::serve);
  }

  int port() {
    return server.getLocalPort();
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      String head = readHead(in);
      heads.incrementAndGet();
      String[] lines = head.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      boolean authorised = false;
      for (String l : lines) {
        if (l.regionMatches(true, 0, "Proxy-Authorization:", 0, 20)
            && l.substring(20).trim().equals(expectedAuth)) {
          authorised = true;
        }
      }
      OutputStream out = client.getOutputStream();
      if (!authorised) {
        rejected.incrementAndGet();
        out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
            + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return;
      }
      String[] hostPort = requestLine[1].split(":");
      try (Socket target = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        tunnels.incrementAndGet();
        out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread up = new Thread(() -> copy(in, target));
        up.setDaemon(true);
        up.start();
        copy(target.getInputStream(), client);
        up.join(5_000);
      }
    } catch (IOException | InterruptedException e) {
      // The client went away; nothing to clean up beyond the sockets.
    }
  }

  private static void copy(InputStream in, Socket to) {
    try {
      in.transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException e) {
      // One side closed.
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
        break;
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
