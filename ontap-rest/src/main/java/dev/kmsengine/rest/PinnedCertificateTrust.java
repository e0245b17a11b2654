package dev.kmsengine.rest;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts one server certificate, named by its SHA-256 fingerprint, and nothing else: what a process that forwards a
 * request accepts from the process that announced that fingerprint ({@link NodeEndpoint}). No CA and no host name
 * are checked, as they need not be: the certificate itself is pinned, and each process may have issued its own.
 * Being an {@link X509ExtendedTrustManager}, it is used as it is, without the JDK's host name check on top (which
 * would refuse a certificate that does not name the address the endpoint happens to use). Immutable; thread-safe.
 */
final class PinnedCertificateTrust extends X509ExtendedTrustManager {
  private final String sha256;

  PinnedCertificateTrust(String sha256) {
    this.sha256 = sha256;
  }

  /** A client TLS context that accepts only the certificate whose fingerprint is {@code sha256}. */
  static SSLContext context(String sha256) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new PinnedCertificateTrust(sha256)}, new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has a TLS context", e);
    }
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server presented no certificate");
    }
    String got;
    try {
      got = NodeEndpoint.fingerprint(chain[0]);
    } catch (IllegalArgumentException e) {
      throw new CertificateException("the server's certificate cannot be encoded", e);
    }
    if (!got.equals(sha256)) {
      throw new CertificateException("the server's certificate (sha256=" + got + ") is not the one its process"
          + " announced (sha256=" + sha256 + ")");
    }
    chain[0].checkValidity();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a forwarding client trusts no client certificate");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a forwarding client trusts no client certificate");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a forwarding client trusts no client certificate");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
