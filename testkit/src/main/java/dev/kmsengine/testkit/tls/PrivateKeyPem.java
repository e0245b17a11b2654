package dev.kmsengine.testkit.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/**
 * Reads and writes PEM private keys. Certificates are read by the connector's {@code dev.kmsengine.tls.Pem} with
 * the JDK alone; private keys need BouncyCastle for the traditional EC and RSA forms, which is why this lives here
 * and not in the connector. Stateless and thread-safe.
 */
public final class PrivateKeyPem {
  private static final String OID_EC = "1.2.840.10045.2.1";

  private PrivateKeyPem() {}

  /**
   * A private key in PKCS#8 ({@code PRIVATE KEY}) or traditional EC/RSA PEM.
   *
   * @param pem the key's PEM text
   * @return the private key
   * @throws GeneralSecurityException if the text holds no supported private key
   */
  public static PrivateKey read(String pem) throws GeneralSecurityException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      PrivateKeyInfo info;
      if (o instanceof PEMKeyPair kp) {
        info = kp.getPrivateKeyInfo();
      } else if (o instanceof PrivateKeyInfo pki) {
        info = pki;
      } else {
        throw new GeneralSecurityException("no private key in PEM text");
      }
      String alg = info.getPrivateKeyAlgorithm().getAlgorithm().getId().equals(OID_EC) ? "EC" : "RSA";
      return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (IOException e) {
      throw new GeneralSecurityException("unreadable PEM private key", e);
    }
  }

  static String base64(byte[] der) {
    return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
  }
}
