package dev.kmsengine.keystone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TokenTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void longLivedToken_isRenewedTheMarginBeforeExpiry() {
    Token t = new Token("x", T0, Duration.ofHours(1));
    assertEquals(T0.plusSeconds(3600 - 120), t.refreshAt(Duration.ofSeconds(120)));
  }

  @Test
  void tokenShorterThanTwiceTheMargin_isRenewedHalfWay() {
    Token t = new Token("x", T0, Duration.ofSeconds(60));
    assertEquals(T0.plusSeconds(30), t.refreshAt(Duration.ofSeconds(120)));
  }

  @Test
  void toString_neverShowsTheToken() {
    assertFalse(new Token("gAAAAAsecret", T0, Duration.ofHours(1)).toString().contains("gAAAAA"));
  }

  @Test
  void keystoneUrls_acceptTokenUrlBaseOrRoot_andRejectHttp() {
    URI expected = URI.create("https://ks.example:5000/v3/auth/tokens");
    assertEquals(expected, KeystoneUrls.tokensUrl("https://ks.example:5000/v3/auth/tokens"));
    assertEquals(expected, KeystoneUrls.tokensUrl("https://ks.example:5000/v3/auth/tokens/"));
    assertEquals(expected, KeystoneUrls.tokensUrl("https://ks.example:5000/v3"));
    assertEquals(expected, KeystoneUrls.tokensUrl("https://ks.example:5000/"));
    assertThrows(IllegalArgumentException.class, () -> KeystoneUrls.tokensUrl("http://ks.example:5000/v3"));
  }

  @Test
  void keystoneTimestamps_withMicrosecondsAndZ_parse() {
    assertEquals(Instant.parse("2026-11-30T04:37:41Z"), KeystoneAuthenticator.instant("2026-11-30T04:37:41.000000Z"));
  }
}
