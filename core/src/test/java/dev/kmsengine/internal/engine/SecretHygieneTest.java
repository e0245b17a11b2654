package dev.kmsengine.internal.engine;

import static dev.kmsengine.internal.engine.TestCluster.KEY_1;
import static dev.kmsengine.internal.engine.TestCluster.KEY_2;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Secret;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Runs a lifecycle with failures while capturing every log record, job message, exception message and
 * {@code toString}, then greps all of it for canary secrets and for the key bytes in hex and base64.
 */
class SecretHygieneTest {
  private static final String PROXY_CANARY = "canary-proxy-password-77aa";
  private static final String NEW_SECRET_CANARY = "canary-rotated-secret-91bc";

  @Test
  void noSecretOrKeyByteAppearsInLogsMessagesOrToString() throws Exception {
    List<String> seen = new ArrayList<>();
    Logger root = Logger.getLogger("");
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        seen.add(String.valueOf(r.getMessage()) + " " + java.util.Arrays.toString(r.getParameters()));
        if (r.getThrown() != null) {
          seen.add(r.getThrown().toString());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Level oldLevel = root.getLevel();
    root.addHandler(capture);
    root.setLevel(Level.ALL);
    Logger.getLogger("dev.kmsengine").setLevel(Level.ALL);
    List<String> keyForms = new ArrayList<>();
    try (TestCluster t = new TestCluster()) {
      UUID a = t.succeed(t.engine.barbican().createBarbicanConfig(TestCluster.request("svm1", "a",
          KEY_1).proxyHost("proxy")
          .proxyPort(3128).proxyUsername("user").proxyPassword(Secret.of(PROXY_CANARY)).build())).resourceUuid();
      t.succeed(t.engine.barbican().enableKeystore(a));
      UUID v = t.volume("svm1", "v");
      t.engine.cluster().writeBlock("node1", v, 0, "data".getBytes());
      UUID svm = t.svmUuid("svm1");
      for (String key : List.of(KEY_1, KEY_2)) {
        try (KeyMaterial k = t.provider.fetchKey("node1", new dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection(a, key,
            TestCluster.KEYSTONE, TestCluster.CRED_ID, TestCluster.CRED_SECRET,
                dev.kmsengine.keystore.BarbicanConfig.ProxyType.HTTPS,
            "", 0, "", Secret.empty(), true, true, 10))) {
          keyForms.addAll(forms(k.copyBytes(KeyAccess.insecure())));
        }
      }
      keyForms.addAll(forms(Engine.of(t.engine).state.nodes.get(0).svmKek(svm).key.copyBytes(KeyAccess.insecure())));
      keyForms.addAll(forms(Engine.of(t.engine).state.nodes.get(0).vek(v)));

      // Failures of every kind, each producing messages.
      collect(seen, () -> t.engine.barbican().updateBarbicanConfig(a, BarbicanConfigUpdate.credentials("x",
          Secret.of(NEW_SECRET_CANARY))));
      t.await(t.engine.barbican().updateBarbicanConfig(a, BarbicanConfigUpdate.credentials("bad",
          Secret.of(NEW_SECRET_CANARY))));
      t.provider.cutOff("node2", true);
      t.engine.cluster().rebootNode("node2");
      t.await(t.engine.barbican().restore(a));
      t.provider.inject("node3", KekFailure.AUTHENTICATION);
      t.await(t.engine.barbican().restore(a));
      t.provider.inject("node3", null);
      t.provider.cutOff("node2", false);
      UUID b = t.createConfig("svm1", "b", KEY_2);
      t.succeed(t.engine.barbican().enableKeystore(b));
      t.succeed(t.engine.barbican().rekeyInternal(b));
      collect(seen, () -> t.engine.barbican().deleteKeystore(b));
      collect(seen, () -> t.engine.barbican().createBarbicanConfig(TestCluster.request("svm1", "c",
          "http://x").build()));
      seen.add(t.engine.barbican().reachability(a).toString());
      seen.add(t.engine.barbican().kekAvailability(b).toString());

      Engine.of(t.engine).jobs().forEach(j -> seen.add(j.toString()));
      t.engine.barbican().barbicanConfigs().forEach(c -> seen.add(c.toString()));
      t.engine.barbican().keystores().forEach(k -> seen.add(k.toString()));
      t.engine.cluster().nodes().forEach(n -> seen.add(n.toString()));
      Engine.of(t.engine).state.configRecords().forEach(c -> seen.add(c.toString()));
      Engine.of(t.engine).state.configRecords().forEach(c -> seen.add(c.connection().toString()));
      seen.add(t.engine.toString());
      seen.add(t.provider.toString());
      seen.add(Engine.of(t.engine).state.nodes.get(0).svmKek(svm).key.toString());
      seen.add(Engine.of(t.engine).state.nodes.get(0).svmKek(svm).wrapping.toString());
    } finally {
      root.removeHandler(capture);
      root.setLevel(oldLevel);
    }
    String all = String.join("\n", seen);
    assertTrue(all.contains("switched SVM"), "the log capture works");
    assertTrue(all.contains("65539842"), "failure messages were captured");
    for (String canary : List.of(TestCluster.CRED_SECRET.reveal(), PROXY_CANARY, NEW_SECRET_CANARY)) {
      assertFalse(all.contains(canary), "secret leaked: " + canary);
    }
    for (String form : keyForms) {
      assertFalse(all.contains(form), "key bytes leaked");
    }
  }

  private static List<String> forms(byte[] key) {
    List<String> out = List.of(HexFormat.of().formatHex(key), HexFormat.of().withUpperCase().formatHex(key),
        Base64.getEncoder().encodeToString(key), java.util.Arrays.toString(key));
    java.util.Arrays.fill(key, (byte) 0);
    return out;
  }

  private static void collect(List<String> seen, Runnable call) {
    try {
      call.run();
    } catch (KmsException e) {
      seen.add(e.getMessage());
      seen.add(e.toString());
    }
  }
}
