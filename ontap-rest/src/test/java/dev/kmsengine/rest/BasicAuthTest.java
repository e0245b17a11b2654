package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.keystore.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Basic authentication accepts the right user and password however the header spells them, and nothing else. */
class BasicAuthTest {
  private final BasicAuth auth = new BasicAuth("admin", Secret.of("s3cret-pw"));

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theUsualSpelling_isAccepted_everyTime() {
    for (int i = 0; i < 3; i++) {
      assertTrue(auth.accepts(List.of("Basic " + b64("admin:s3cret-pw"))));
    }
  }

  @Test
  void otherSpellingsOfTheRightCredentials_areAccepted() {
    assertTrue(auth.accepts(List.of("basic " + b64("admin:s3cret-pw"))));
    assertTrue(auth.accepts(List.of("BASIC    " + b64("admin:s3cret-pw") + "  ")));
    assertTrue(auth.accepts(List.of("  Basic " + b64("admin:s3cret-pw"))));
  }

  @Test
  void aWrongPasswordOrUser_isRefused_inEverySpelling() {
    for (String wrong : List.of("admin:s3cret-pW", "admin:s3cret-pw ", "Admin:s3cret-pw", "admin:", ":s3cret-pw")) {
      assertFalse(auth.accepts(List.of("Basic " + b64(wrong))), wrong);
      assertFalse(auth.accepts(List.of("basic  " + b64(wrong))), wrong);
    }
  }

  @Test
  void aMissingRepeatedOrMalformedHeader_isRefused() {
    String right = "Basic " + b64("admin:s3cret-pw");
    assertFalse(auth.accepts(null));
    assertFalse(auth.accepts(List.of()));
    assertFalse(auth.accepts(List.of(right, right)));
    assertFalse(auth.accepts(List.of("Bearer " + b64("admin:s3cret-pw"))));
    assertFalse(auth.accepts(List.of("Basic !!not-base64!!")));
    assertFalse(auth.accepts(List.of("Basic")));
  }

  @Test
  void itsText_holdsNoSecret() {
    assertFalse(auth.toString().contains("s3cret"));
    assertFalse(auth.toString().contains(b64("admin:s3cret-pw")));
  }
}
