package dev.kmsengine.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Reads PEM certificates (one or a bundle) with the JDK alone. Private keys, which need BouncyCastle, are read by
 * kms-testkit's {@code PrivateKeyPem}. Stateless and thread-safe.
 */
public final class Pem {
  private Pem() {}

  /**
   * Every certificate in a PEM bundle, in order.
   *
   * @param pem one or more {@code CERTIFICATE} blocks
   * @return the certificates, at least one
   * @throws GeneralSecurityException if the text holds no certificate or a block is not a valid one
   */
  public static List<X509Certificate> readCertificates(String pem) throws GeneralSecurityException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    Collection<? extends java.security.cert.Certificate> certs =
        cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    List<X509Certificate> out = new ArrayList<>();
    for (java.security.cert.Certificate c : certs) {
      out.add((X509Certificate) c);
    }
    if (out.isEmpty()) {
      throw new GeneralSecurityException("no certificate in PEM text");
    }
    return out;
  }

  /**
   * The first certificate of a PEM text.
   *
   * @param pem text holding at least one {@code CERTIFICATE} block
   * @return the first certificate
   * @throws GeneralSecurityException if there is no certificate or it is not valid
   */
  public static X509Certificate readCertificate(String pem) throws GeneralSecurityException {
    return readCertificates(pem).get(0);
  }
}
