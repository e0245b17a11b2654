package dev.kmsengine.testkit.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A private certificate authority for loopback HTTPS servers: the Keystone/Barbican emulator and the ONTAP REST
 * simulator. It issues ECDSA P-256 server certificates with the host names and IP addresses a client will dial
 * as subject alternative names, so hostname verification stays on in tests.
 *
 * <p>Only BouncyCastle's certificate builder is used (the JDK cannot issue X.509 certificates); keys come from the
 * JDK's own EC implementation. The CA's private key never leaves this object except through {@link #save}, which
 * writes it with owner-only permissions.
 */
public final class CertificateAuthority {
  private static final Duration VALIDITY = Duration.ofDays(825);
  /**
   * Protects only the in-memory PKCS12 key store handed to the JDK's key manager; it is never written to disk, so
   * it guards nothing and is not a credential (the JDK's API simply requires one).
   */
  private static final char[] STORE_PASSWORD = "kms-engine".toCharArray();

  private final KeyPair keyPair;
  private final X509Certificate certificate;

  private CertificateAuthority(KeyPair keyPair, X509Certificate certificate) {
    this.keyPair = keyPair;
    this.certificate = certificate;
  }

  /**
   * A new CA named {@code commonName}.
   *
   * @param commonName the CA certificate's CN
   * @return a CA with a fresh EC key and a self-signed certificate
   */
  public static CertificateAuthority create(String commonName) {
    try {
      KeyPair kp = ecKeyPair();
      X500Name name = new X500Name("CN=" + commonName);
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(VALIDITY)), name, kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new CertificateAuthority(kp, sign(b, kp.getPrivate()));
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new IllegalStateException("could not create a CA certificate", e);
    }
  }

  /**
   * The CA certificate, to be trusted by clients.
   *
   * @return the self-signed CA certificate
   */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The CA certificate in PEM.
   *
   * @return the CA certificate as one PEM block
   */
  public String certificatePem() {
    return pem(certificate);
  }

  /**
   * Issues a server certificate and key for {@code names}: each is a DNS name or a literal IP address.
   *
   * @param names the names clients dial, e.g. {@code localhost}, {@code 127.0.0.1}; the first is the CN
   * @return the server's key, its certificate and the CA certificate that signed it
   * @throws IllegalArgumentException if {@code names} is empty
   */
  public ServerIdentity issueServer(List<String> names) {
    Objects.requireNonNull(names, "names");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one name");
    }
    try {
      KeyPair kp = ecKeyPair();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(VALIDITY)), new X500Name("CN=" + names.get(0)),
          kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      List<GeneralName> sans = new ArrayList<>();
      for (String n : names) {
        sans.add(isIpLiteral(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
      }
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      return new ServerIdentity(kp.getPrivate(), sign(b, keyPair.getPrivate()), certificate);
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new IllegalStateException("could not issue a server certificate", e);
    }
  }

  /**
   * An {@link SSLContext} that trusts only this CA, for clients in tests.
   *
   * @return a TLS client context whose only trust anchor is this CA
   */
  public SSLContext clientContext() {
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("ca", certificate);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("could not build a client TLS context", e);
    }
  }

  /**
   * Writes the CA certificate ({@code ca.pem}) and private key ({@code ca-key.pem}, mode 0600 where the file
   * system supports it) into {@code dir}, to be {@link #load loaded} again by a restarted process.
   *
   * @param dir the directory, created if absent
   * @throws IOException if a file cannot be written
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("ca.pem"), certificatePem());
    Path key = dir.resolve("ca-key.pem");
    Files.deleteIfExists(key);
    Files.createFile(key);
    restrict(key);
    // PKCS#8 from the JDK's own encoding: it carries the curve in the algorithm identifier, so any reader loads it.
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + PrivateKeyPem.base64(keyPair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
  }

  /**
   * Loads a CA saved by {@link #save}.
   *
   * @param dir the directory {@link #save} wrote to
   * @return the CA as saved
   * @throws IOException if a file cannot be read or does not hold a usable certificate and key
   */
  public static CertificateAuthority load(Path dir) throws IOException {
    try (InputStream pem = Files.newInputStream(dir.resolve("ca.pem"))) {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem);
      PrivateKey key = PrivateKeyPem.read(Files.readString(dir.resolve("ca-key.pem")));
      return new CertificateAuthority(new KeyPair(cert.getPublicKey(), key), cert);
    } catch (GeneralSecurityException e) {
      throw new IOException("the CA files in " + dir + " are not a usable certificate and key", e);
    }
  }

  static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the platform's default permissions apply.
    }
  }

  /** A server's key, certificate and issuing CA. */
  public static final class ServerIdentity {
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final X509Certificate ca;

    ServerIdentity(PrivateKey key, X509Certificate certificate, X509Certificate ca) {
      this.key = key;
      this.certificate = certificate;
      this.ca = ca;
    }

    /**
     * The server certificate.
     *
     * @return the server certificate, signed by the CA
     */
    public X509Certificate certificate() {
      return certificate;
    }

    /**
     * An {@link SSLContext} for an HTTPS server presenting this identity.
     *
     * @return a TLS server context presenting this certificate and key
     */
    public SSLContext serverContext() {
      try {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, STORE_PASSWORD, new X509Certificate[] {certificate, ca});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, STORE_PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
        return ctx;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("could not build a server TLS context", e);
      }
    }

    @Override
    public String toString() {
      return "ServerIdentity[" + certificate.getSubjectX500Principal().getName() + ", key redacted]";
    }
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, new SecureRandom());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
    return new JcaX509CertificateConverter().getCertificate(b.build(s));
  }

  private static boolean isIpLiteral(String name) {
    if (!name.matches("[0-9.]+") && !name.contains(":")) {
      return false;
    }
    try {
      InetAddress.getByName(name);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + ", key redacted]";
  }
}
