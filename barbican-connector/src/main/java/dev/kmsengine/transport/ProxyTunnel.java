package dev.kmsengine.transport;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.impl.io.DefaultHttpRequestWriter;
import org.apache.hc.core5.http.impl.io.DefaultHttpResponseParser;
import org.apache.hc.core5.http.impl.io.SessionInputBufferImpl;
import org.apache.hc.core5.http.impl.io.SessionOutputBufferImpl;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;

/**
 * Asks a proxy for a {@code CONNECT host:port} tunnel over an open connection to it, with HttpCore's message writer
 * and parser. The caller decides when this may happen: {@code Proxy-Authorization} is in the request, so the
 * connection must be a verified TLS connection to the proxy, or a plain one to an {@code http} proxy the user chose.
 */
final class ProxyTunnel {
  private ProxyTunnel() {}

  /**
   * Sends the CONNECT and reads the proxy's answer; returns once the tunnel is open.
   *
   * @param s the connection to the proxy (plain or TLS)
   * @param host the host and port to tunnel to
   * @param settings the proxy credentials
   * @param a the attempt, for its deadline and messages
   * @param where {@code proxy host:port}, for messages
   * @throws AttemptFailure if the proxy refuses, rejects the credentials, answers something else than HTTP or
   *     runs out of time
   */
  static void open(Socket s, HttpHost host, TransportSettings settings, Attempt a, String where)
      throws AttemptFailure {
    String target = host.toHostString();
    ClassicHttpResponse answer;
    SessionInputBufferImpl in = new SessionInputBufferImpl(1024, HttpsClient.HTTP1.getMaxLineLength());
    try {
      s.setSoTimeout(a.remainingMillis());
      // The authority form, as a path: HttpCore would read "localhost:5000" as a URI with scheme "localhost".
      BasicClassicHttpRequest connect = new BasicClassicHttpRequest(Method.CONNECT, host, target);
      connect.setVersion(HttpVersion.HTTP_1_1);
      connect.addHeader(HttpHeaders.HOST, target);
      if (!settings.proxyUsername().isEmpty()) {
        String pair = settings.proxyUsername() + ":" + settings.proxyPassword().reveal();
        connect.addHeader(HttpHeaders.PROXY_AUTHORIZATION,
            "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
      }
      SessionOutputBufferImpl out = new SessionOutputBufferImpl(1024);
      new DefaultHttpRequestWriter().write(connect, out, s.getOutputStream());
      out.flush(s.getOutputStream());
      answer = new DefaultHttpResponseParser(HttpsClient.HTTP1).parse(in, s.getInputStream());
    } catch (SocketTimeoutException e) {
      throw new AttemptFailure(a.timedOut(where));
    } catch (IOException | HttpException e) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.CONNECT,
          a.request().describe() + ": " + where + " broke the CONNECT to " + target + ": " + Attempt.describe(e), e));
    }
    if (answer == null) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.CONNECT,
          a.request().describe() + ": " + where + " closed the connection without answering CONNECT " + target,
          null));
    }
    int status = answer.getCode();
    String reason = answer.getReasonPhrase() == null ? "" : answer.getReasonPhrase();
    if (status >= 200 && status < 300) {
      if (in.hasBufferedData()) {
        // The tunnel's first bytes are the server's TLS answer, which cannot come before our ClientHello.
        throw new AttemptFailure(new TransportException(TransportException.Kind.PROXY,
            a.request().describe() + ": " + where + " sent data after its " + status + " answer to CONNECT "
                + target, null));
      }
      return;
    }
    String said = status + (reason.isEmpty() ? "" : " " + reason);
    // 407 is the standard answer; tinyproxy 1.11 answers a failed BasicAuth with 401, which on a CONNECT can only
    // be about the proxy credentials as well.
    if (status == 407 || status == 401) {
      String who = settings.proxyUsername().isEmpty()
          ? "no proxy_username is configured"
          : "the credentials of proxy user '" + settings.proxyUsername() + "' were rejected";
      throw new AttemptFailure(new TransportException(TransportException.Kind.PROXY_AUTH,
          a.request().describe() + ": " + where + " answered " + said + " to CONNECT " + target + ": " + who, null));
    }
    throw new AttemptFailure(new TransportException(
        status >= 500 ? TransportException.Kind.CONNECT : TransportException.Kind.PROXY,
        a.request().describe() + ": " + where + " answered " + said + " to CONNECT " + target, null));
  }
}
