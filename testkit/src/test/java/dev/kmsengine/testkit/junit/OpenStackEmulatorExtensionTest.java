package dev.kmsengine.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.testkit.emulator.OpenStackEmulator.ApplicationCredential;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The extension starts, injects and stops emulators per class and per test. */
class OpenStackEmulatorExtensionTest {
  private static int status(OpenStackEmulator os, String url) throws IOException, InterruptedException {
    HttpClient c = HttpClient.newBuilder().sslContext(os.certificateAuthority().clientContext())
        .connectTimeout(Duration.ofSeconds(20)).build();
    return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Nested
  @EmulatedOpenStack
  class PerClass {
    private OpenStackEmulator field;
    private ApplicationCredential credentialField;

    @Test
    void parameterAndField_areTheSameRunningEmulator_withItsCredential(OpenStackEmulator os,
        ApplicationCredential credential) throws Exception {
      assertSame(os, field);
      assertEquals(credential, credentialField);
      assertEquals(300, status(os, os.barbicanUrl() + "/"));
      assertEquals(java.util.List.of("creator"), credential.roles());
      assertEquals(os.defaultProject().id(), credential.projectId());
    }
  }

  @Nested
  @EmulatedOpenStack
  class SharedAcrossTheClass {
    private static OpenStackEmulator first;

    @BeforeAll
    static void remember(OpenStackEmulator os) {
      first = os;
    }

    @Test
    void a(OpenStackEmulator os) {
      assertSame(first, os);
    }

    @Test
    void b(OpenStackEmulator os) {
      assertSame(first, os);
    }

    @AfterAll
    static void stillRunningUntilTheClassEnds() throws Exception {
      assertEquals(300, status(first, first.barbicanUrl() + "/"));
    }
  }

  @Nested
  @EmulatedOpenStack
  class MethodLevel {
    @Test
    @EmulatedOpenStack(roles = {"observer", "member"})
    void aMethodsAnnotation_givesThatTestItsOwnEmulatorAndCredentialRoles(OpenStackEmulator os,
        ApplicationCredential credential) throws Exception {
      assertEquals(java.util.List.of("observer", "member"), credential.roles());
      assertEquals(300, status(os, os.keystoneUrl().replace("/v3", "/")));
    }
  }

  @Nested
  @EmulatedOpenStack(perTest = true, tokenLifetimeSeconds = 60)
  class PerTest {
    private static OpenStackEmulator previous;

    @Test
    void a(OpenStackEmulator os) {
      check(os);
    }

    @Test
    void b(OpenStackEmulator os) {
      check(os);
    }

    private void check(OpenStackEmulator os) {
      if (previous != null) {
        assertNotSame(previous, os);
        OpenStackEmulator stopped = previous;
        assertThrows(IOException.class, () -> status(stopped, stopped.barbicanUrl() + "/"));
      }
      previous = os;
      assertEquals(0, os.tokenRequests());
      assertTrue(os.keystoneUrl().startsWith("https://127.0.0.1:"));
    }
  }
}
