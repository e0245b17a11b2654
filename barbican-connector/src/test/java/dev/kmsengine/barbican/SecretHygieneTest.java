package dev.kmsengine.barbican;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.transport.RetryPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/**
 * Canary test: known secret values go through every path (success, renewal, every failure kind, proxies) with
 * logging at ALL, and no log line, exception message, stack trace or toString may contain any of them.
 */
class SecretHygieneTest {
  private static final String CRED_SECRET = "CANARY-appcred-7f3a9c";
  private static final String PROXY_PASSWORD = "CANARY-proxypw-51e0bb";
  private static final byte[] KEY = "CANARY-key-bytes-0123456789abcde".getBytes(StandardCharsets.US_ASCII);

  @Test
  void noSecretTokenOrKeyByte_appearsInLogsMessagesOrToString() throws Exception {
    List<String> captured = new ArrayList<>();
    Logger root = Logger.getLogger("dev.kmsengine");
    Level oldLevel = root.getLevel();
    SimpleFormatter fmt = new SimpleFormatter();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        synchronized (captured) {
          captured.add(fmt.format(r));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    h.setLevel(Level.ALL);
    root.setLevel(Level.ALL);
    root.addHandler(h);
    try (OpenStackEmulator os = OpenStackEmulator.builder().start();
        ConnectProxy proxy = new ConnectProxy(null, "kms", PROXY_PASSWORD)) {
      OpenStackEmulator.ApplicationCredential cred = os.addApplicationCredential("canary-cred", CRED_SECRET);
      String keyId = os.createSecret(KEY, "symmetric", "aes", 256, null);
      BarbicanConnection conn = Connections.of(UUID.randomUUID(), keyId, os.keystoneUrl(), cred);
      BarbicanKeyProvider p = BarbicanKeyProvider.builder().trustedCaPem(os.caCertificatePem())
          .retryPolicy(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(5), Duration.ofSeconds(10)))
          .kekCacheTtl(Duration.ofMinutes(1)).build();
      captured.add(p.toString());
      captured.add(conn.toString());
      try (KeyMaterial k = p.fetchKey("node1", conn)) {
        captured.add(k.toString());
      }
      os.expireAllTokens();
      p.invalidate(conn.configurationUuid());
      p.fetchKey("node1", conn).destroy();
      List<Runnable> faults = List.of(
          () -> os.rejectValidTokens(10),
          () -> os.failBarbican(10, 503),
          () -> os.failKeystone(10, 500),
          () -> os.deleteSecret(keyId));
      for (Runnable fault : faults) {
        p.invalidate(conn.configurationUuid());
        fault.run();
        record(captured, () -> p.fetchKey("node1", conn));
        os.rejectValidTokens(0);
        os.failBarbican(0, 503);
        os.failKeystone(0, 503);
      }
      record(captured, () -> p.fetchKey("node1",
          Connections.withCredential(conn, cred.id(), Secret.of(CRED_SECRET + "-wrong"))));
      BarbicanConnection viaProxy = Connections.withProxy(conn, ProxyType.HTTP, "127.0.0.1", proxy.port(), "kms",
          PROXY_PASSWORD + "-wrong");
      captured.add(viaProxy.toString());
      record(captured, () -> p.fetchKey("node1", viaProxy));
      record(captured, () -> p.checkReachability("node1", Connections.withProxy(conn, ProxyType.HTTP, "127.0.0.1",
          proxy.port(), "kms", PROXY_PASSWORD)));
    } finally {
      root.removeHandler(h);
      root.setLevel(oldLevel);
    }
    String all = String.join("\n", captured);
    assertTrue(all.contains("401") && all.contains("407") && all.contains("404"), "the failures were exercised");
    for (String canary : List.of(CRED_SECRET, PROXY_PASSWORD, new String(KEY, StandardCharsets.US_ASCII),
        HexFormat.of().formatHex(KEY), Base64.getEncoder().encodeToString(KEY),
        Base64.getEncoder().encodeToString(("kms:" + PROXY_PASSWORD).getBytes(StandardCharsets.UTF_8)),
        "CANARY", "gAAAAA")) {
      assertFalse(all.contains(canary), "leaked " + canary);
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void record(List<String> out, Call call) {
    KekException e = assertThrows(KekException.class, call::run);
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    synchronized (out) {
      out.add(e.toString());
      out.add(w.toString());
    }
  }
}
