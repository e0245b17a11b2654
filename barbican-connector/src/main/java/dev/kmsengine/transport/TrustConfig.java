package dev.kmsengine.transport;

import dev.kmsengine.tls.Pem;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Builds the TLS socket factories of one {@link TransportSettings}, once: each its own {@link SSLContext}, so
 * nothing JVM-wide (default context, system properties) is read or changed beyond the JDK's default CA list.
 */
final class TrustConfig {
  private TrustConfig() {}

  /** For Keystone and Barbican: the JDK's and the configured CAs, or any certificate with {@code verify=false}. */
  static SSLSocketFactory serverFactory(TransportSettings s) {
    return factory(s, s.verify());
  }

  /**
   * For an {@code https} proxy: the JDK's and the configured CAs whatever {@code verify} says, since the proxy
   * credential is sent over this connection.
   */
  static SSLSocketFactory proxyFactory(TransportSettings s) {
    return factory(s, true);
  }

  private static SSLSocketFactory factory(TransportSettings s, boolean verify) {
    try {
      TrustManager tm = verify ? trustManager(s.extraTrustedCaPems()) : new AcceptAnything();
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
      return ctx.getSocketFactory();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("unusable trusted CA certificates: " + e.getMessage(), e);
    }
  }

  /** The JDK's default CAs plus {@code extraPems}. */
  static X509TrustManager trustManager(List<String> extraPems) throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    int i = 0;
    for (X509Certificate c : defaultTrustManager().getAcceptedIssuers()) {
      ks.setCertificateEntry("jdk-" + i++, c);
    }
    for (String pem : extraPems) {
      for (X509Certificate c : Pem.readCertificates(pem)) {
        ks.setCertificateEntry("extra-" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    for (TrustManager t : tmf.getTrustManagers()) {
      if (t instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager available");
  }

  private static X509TrustManager defaultTrustManager() throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    for (TrustManager t : tmf.getTrustManagers()) {
      if (t instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no default X.509 trust manager");
  }

  /**
   * {@code verify=false} for Keystone and Barbican, never for a proxy: accepts any certificate. It extends
   * {@link X509ExtendedTrustManager} so the JDK does not wrap it with checks of its own.
   */
  private static final class AcceptAnything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
