package dev.kmsengine.transport;

import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A TLS server on 127.0.0.1 that answers every connection with whatever the test writes, byte for byte, so the
 * client can be shown malformed, split or endless answers that no real server library would produce. It records
 * each request head it reads.
 */
final class CannedServer implements AutoCloseable {
  private final CertificateAuthority ca = CertificateAuthority.create("canned server CA");
  private final ServerSocket server;
  private volatile Consumer<OutputStream> answer = out -> {};
  final BlockingQueue<String> requestHeads = new LinkedBlockingQueue<>();

  CannedServer() throws IOException {
    server = ca.issueServer(List.of("127.0.0.1")).serverContext().getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Acceptor.start(server, "canned-server", this::serve);
  }

  /** Every following connection gets {@code bytes}, then the connection is closed. */
  void answer(String bytes) {
    byte[] b = bytes.getBytes(StandardCharsets.ISO_8859_1);
    answer = out -> {
      try {
        out.write(b);
      } catch (IOException e) {
        // The client gave up early; that is what some tests provoke.
      }
    };
  }

  /** Every following connection gets what {@code writer} writes, then the connection is closed. */
  void answer(Consumer<OutputStream> writer) {
    answer = writer;
  }

  String caPem() {
    return ca.certificatePem();
  }

  int port() {
    return server.getLocalPort();
  }

  private void serve(Socket s) {
    try (s) {
      requestHeads.add(readRequest(s.getInputStream()));
      OutputStream out = s.getOutputStream();
      answer.accept(out);
      out.flush();
    } catch (IOException e) {
      // The client closed first or the handshake failed.
    }
  }

  /** The head and, after a Content-Length, the body, so that the client is never blocked writing. */
  private static String readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      b.write(c);
      String sofar = b.toString(StandardCharsets.ISO_8859_1);
      if (sofar.endsWith("\r\n\r\n")) {
        for (String line : sofar.split("\r\n")) {
          if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
            in.readNBytes(Integer.parseInt(line.substring(15).trim()));
          }
        }
        return sofar;
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
