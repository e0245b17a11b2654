package dev.kmsengine.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/** Reads PEM certificates (one or a bundle) and private keys. */
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

  /**
   * A private key in PKCS#8 ({@code PRIVATE KEY}) or traditional EC/RSA PEM.
   *
   * @param pem the key's PEM text
   * @return the private key
   * @throws GeneralSecurityException if the text holds no supported private key
   */
  public static PrivateKey readPrivateKey(String pem) throws GeneralSecurityException {
    try (PEMParser p = new PEMParser(new java.io.StringReader(pem))) {
      Object o = p.readObject();
      PrivateKeyInfo info;
      if (o instanceof PEMKeyPair kp) {
        info = kp.getPrivateKeyInfo();
      } else if (o instanceof PrivateKeyInfo pki) {
        info = pki;
      } else {
        throw new GeneralSecurityException("no private key in PEM text");
      }
      String alg = info.getPrivateKeyAlgorithm().getAlgorithm().getId().equals("1.2.840.10045.2.1") ? "EC" : "RSA";
      return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("unreadable PEM private key", e);
    }
  }

  static String base64(byte[] der) {
    return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
  }
}
