package dev.kmsengine.testkit.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  @Test
  void issuedServerCertificate_chainsToTheCa_andNamesEverySan() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("test CA");
    X509Certificate server = ca.issueServer(List.of("localhost", "127.0.0.1")).certificate();
    server.verify(ca.certificate().getPublicKey());
    List<List<?>> sans = List.copyOf(server.getSubjectAlternativeNames());
    assertEquals(List.of(2, "localhost"), sans.get(0));
    assertEquals(List.of(7, "127.0.0.1"), sans.get(1));
    assertEquals(-1, server.getBasicConstraints());
    assertTrue(ca.certificate().getBasicConstraints() >= 0);
  }

  @Test
  void savedCa_loadsBack_andKeyFileIsOwnerOnly(@TempDir Path dir) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("persisted CA");
    ca.save(dir);
    CertificateAuthority again = CertificateAuthority.load(dir);
    assertArrayEquals(ca.certificate().getEncoded(), again.certificate().getEncoded());
    again.issueServer(List.of("localhost")).certificate().verify(ca.certificate().getPublicKey());
    assertEquals("rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem"))));
    assertFalse(ca.toString().contains("PRIVATE"));
  }
}
