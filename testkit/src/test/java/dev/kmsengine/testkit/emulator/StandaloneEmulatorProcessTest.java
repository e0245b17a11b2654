package dev.kmsengine.testkit.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StandaloneEmulator} as a process: what it writes is enough for a client that knows nothing else to get a
 * token and the key, two clients get the same key, and a restart over the same directory serves the same key at
 * the same URLs.
 */
class StandaloneEmulatorProcessTest {
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Process p : started) {
      p.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
    }
  }

  /** Starts the emulator over {@code dir} and returns what it printed, once it has written its info file. */
  private List<String> start() throws IOException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), StandaloneEmulator.class.getName(), "--port", "0", "--data-dir",
        dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    started.add(p);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      lines.add(line);
      if (line.trim().startsWith(StandaloneEmulator.INFO_FILE)) {
        return lines;
      }
    }
    throw new AssertionError("the emulator stopped before it was ready: " + lines);
  }

  private static HttpClient client(Path caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(30)).build();
  }

  /** A token for the written credential, then the key's payload, as any process sharing the emulator would. */
  private static byte[] fetchKey(JsonNode info) throws Exception {
    HttpClient http = client(Path.of(info.get("ca_cert").asText()));
    HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(info.get("keystone_url").asText()))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],"
            + "\"application_credential\":{\"id\":\"" + info.get("application_cred_id").asText() + "\",\"secret\":\""
            + info.get("application_cred_secret").asText() + "\"}}}}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, token.statusCode(), token.body());
    HttpResponse<byte[]> payload = http.send(HttpRequest.newBuilder(URI.create(info.get("key_id").asText()
        + "/payload")).timeout(Duration.ofSeconds(30)).header("X-Auth-Token",
        token.headers().firstValue("X-Subject-Token").orElseThrow()).header("Accept", "application/octet-stream")
        .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, payload.statusCode());
    return payload.body();
  }

  @Test
  void whatItWritesLetsOtherProcessesShareItsKeyAcrossARestart() throws Exception {
    List<String> printed = start();
    Path infoFile = dir.resolve(StandaloneEmulator.INFO_FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(infoFile)));
    JsonNode info = new ObjectMapper().readTree(infoFile.toFile());
    assertTrue(String.join("\n", printed).contains(info.get("keystone_url").asText()), "printed: " + printed);
    assertEquals(dir.resolve(StandaloneEmulator.CA_FILE).toAbsolutePath().toString(), info.get("ca_cert").asText());
    byte[] key = fetchKey(info);
    assertEquals(32, key.length, "an AES-256 key");
    assertArrayEquals(key, fetchKey(info), "a second client gets the same key");

    Process first = started.get(0);
    first.destroy();
    assertTrue(first.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops it");
    start();
    JsonNode again = new ObjectMapper().readTree(infoFile.toFile());
    assertEquals(info.get("keystone_url"), again.get("keystone_url"), "the same Keystone URL");
    assertEquals(info.get("key_id"), again.get("key_id"), "the same key URL");
    assertFalse(info.get("pid").equals(again.get("pid")), "written by the new process");
    assertArrayEquals(key, fetchKey(again), "the same key after the restart");
  }
}
