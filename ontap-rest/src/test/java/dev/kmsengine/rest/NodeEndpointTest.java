package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.testkit.tls.CertificateAuthority;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a process announces for its nodes: {@code https://HOST:PORT sha256=HEX}, written and read back. */
class NodeEndpointTest {
  private static final String PIN = "ab".repeat(32);

  @Test
  void ofACertificate_carriesTheSha256OfItsDerEncoding_andReadsBackEqual() throws Exception {
    var cert = CertificateAuthority.create("ca").issueServer(List.of("127.0.0.1")).certificate();
    NodeEndpoint e = NodeEndpoint.of(URI.create("https://127.0.0.1:40123"), cert);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    assertEquals("https://127.0.0.1:40123 sha256=" + expected, e.toString());
    assertEquals(Optional.of(e), NodeEndpoint.parse(e.toString()));
  }

  @Test
  void ipv6Hosts_readBack() {
    NodeEndpoint e = new NodeEndpoint(URI.create("https://[::1]:8443"), PIN);
    assertEquals(Optional.of(e), NodeEndpoint.parse(e.toString()));
  }

  @Test
  void whatAnEngineWithoutRestAnnounces_orAnythingMalformed_isNoEndpoint() {
    for (String s : List.of("1234@host-a", "https://h:1 sha256=xyz", "http://h:1 sha256=" + PIN,
        "https://h sha256=" + PIN, "https://h:1/api sha256=" + PIN, "https://h:1 sha256=" + PIN.toUpperCase(),
        "sha256=" + PIN, "")) {
      assertEquals(Optional.empty(), NodeEndpoint.parse(s), s);
    }
  }

  @Test
  void aBaseUrlWithAPath_orABadFingerprint_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> new NodeEndpoint(URI.create("https://h:1/x"), PIN));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new NodeEndpoint(URI.create("https://h:1"), "00"));
    assertTrue(e.getMessage().contains("64 lower-case hex digits"), e::getMessage);
  }
}
