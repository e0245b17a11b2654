package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.simulator.ApiClient.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole life of a Barbican-protected SVM, through HTTP only, against the simulator process: create an SVM and a
 * configuration, enable it, create encrypted volumes, reboot a node (its key table empties), see {@code state}
 * report the node lacking the SVM-KEK, restore, see {@code cluster_state} true again, rekey the internal key, and
 * find every volume still present and keyed by the same volume key.
 */
class LifecycleProcessTest {
  private static final int VOLUMES = 6;

  @Test
  void lifecycle_rebootRestoreRekey_keepsEveryVolumeKeyed() throws Exception {
    ApiClient api = SimulatorProcess.shared();

    Reply svm = api.send("POST", "/api/svm/svms?return_records=true", "{\"name\": \"lifecycle_svm\"}");
    assertEquals(201, svm.status(), svm.raw()::body);
    assertEquals("lifecycle_svm", svm.body().at("/records/0/name").asText());
    assertEquals("/api/svm/svms/" + svm.body().at("/records/0/uuid").asText(), svm.header("Location"));

    String config = api.createConfig(api.configBody("lifecycle_svm", "lifecycle"));
    Reply enable = api.send("PATCH", "/api/security/key-stores/" + config + "?return_timeout=60",
        "{\"enabled\": true}");
    assertEquals(200, enable.status(), enable.raw()::body);

    JsonNode before = api.ok("/api/security/barbican-kms/" + config + "?fields=state");
    assertFalse(before.at("/state/cluster_state").asBoolean(), "no SVM-KEK before the first encrypted volume");
    assertTrue(before.at("/state/message").asText().contains("No volumes created yet"), before::toString);

    for (int i = 1; i <= VOLUMES; i++) {
      Reply v = api.send("POST", "/api/storage/volumes?return_timeout=60&return_records=true",
          "{\"name\": \"lvol" + i + "\", \"svm\": {\"name\": \"lifecycle_svm\"}, \"encryption\": {\"enabled\": true}}");
      assertEquals(201, v.status(), v.raw()::body);
      assertTrue(v.header("Location").startsWith("/api/storage/volumes/"));
      assertTrue(v.body().at("/records/0/encryption/enabled").asBoolean());
    }
    Map<String, String> keyIds = keyIds(api);
    assertEquals(VOLUMES, keyIds.size());
    Map<String, String> blocks = new HashMap<>();
    for (String volume : keyIds.keySet()) {
      String data = Base64.getEncoder().encodeToString(("block 3 of " + volume).getBytes(StandardCharsets.UTF_8));
      Reply w = api.send("PUT", "/api/simulator/volumes/" + volume + "/blocks/3?node=node1",
          "{\"data_base64\": \"" + data + "\"}");
      assertEquals(200, w.status(), w.raw()::body);
      blocks.put(volume, data);
    }
    assertTrue(state(api, config).at("/state/cluster_state").asBoolean());

    JsonNode node2 = api.ok("/api/cluster/nodes?name=node2").at("/records/0");
    Reply reboot = api.send("PATCH", "/api/cluster/nodes/" + node2.get("uuid").asText() + "?action=reboot", null);
    assertEquals(200, reboot.status(), reboot.raw()::body);
    assertEquals("up", api.ok("/api/cluster/nodes/" + node2.get("uuid").asText()).get("state").asText());

    JsonNode lacking = state(api, config).get("state");
    assertFalse(lacking.get("cluster_state").asBoolean());
    assertEquals("65539842", lacking.get("code").asText());
    assertTrue(lacking.get("message").asText().contains("node2"), lacking::toString);
    assertFalse(lacking.get("message").asText().contains("node1"), lacking::toString);
    assertEquals(1, api.ok("/api/security/barbican-kms?state.cluster_state=false&svm.name=lifecycle_svm")
        .get("num_records").asInt());
    String someVolume = blocks.keySet().iterator().next();
    assertEquals("65536883", api.get("/api/simulator/volumes/" + someVolume + "/blocks/3?node=node2").errorCode(),
        "a rebooted node has no volume keys until the restore");

    Reply restore = api.send("POST", "/api/security/barbican-kms/" + config + "/restore?return_timeout=60", null);
    assertEquals(201, restore.status(), restore.raw()::body);
    assertEquals("/api/security/barbican-kms/" + config, restore.header("Location"));
    JsonNode restored = state(api, config).get("state");
    assertTrue(restored.get("cluster_state").asBoolean(), restored::toString);
    assertEquals("0", restored.get("code").asText());

    Reply rekey = api.send("POST", "/api/security/barbican-kms/" + config + "/rekey-internal?return_timeout=60",
        null);
    assertEquals(201, rekey.status(), rekey.raw()::body);
    assertEquals("success", api.ok("/api/cluster/jobs/" + rekey.body().at("/job/uuid").asText())
        .get("state").asText());

    assertEquals(keyIds, keyIds(api), "every volume is still there with the same volume key");
    for (Map.Entry<String, String> b : blocks.entrySet()) {
      for (JsonNode node : api.ok("/api/cluster/nodes").get("records")) {
        Reply r = api.get("/api/simulator/volumes/" + b.getKey() + "/blocks/3?node=" + node.get("name").asText());
        assertEquals(200, r.status(), r.raw()::body);
        assertEquals(b.getValue(), r.body().get("data_base64").asText(), "read through " + node.get("name"));
      }
    }
    assertTrue(api.ok("/api/simulator/emulator").at("/counters/payload_requests").asInt() >= 4,
        "the keys came from the emulator's Barbican");
    JsonNode vols = api.ok("/api/storage/volumes?svm.name=lifecycle_svm&fields=encryption");
    vols.get("records").forEach(v -> {
      assertTrue(v.at("/encryption/enabled").asBoolean());
      assertEquals("encrypted", v.at("/encryption/state").asText());
    });
    JsonNode after = state(api, config);
    assertTrue(after.at("/state/cluster_state").asBoolean(), after::toString);
    assertTrue(after.at("/barbican_reachability/reachable").asBoolean());

    Reply disable = api.send("PATCH", "/api/security/key-stores/" + config + "?return_timeout=30",
        "{\"enabled\": false}");
    assertEquals(409, disable.status(), disable.raw()::body);
    assertEquals("8", disable.errorCode(), "encrypted volumes keep the keystore in use");

    String first = keyIds.keySet().iterator().next();
    Reply delete = api.send("DELETE", "/api/storage/volumes/" + first + "?return_timeout=60", null);
    assertEquals(200, delete.status(), delete.raw()::body);
    assertEquals(VOLUMES - 1, keyIds(api).size());
  }

  private static JsonNode state(ApiClient api, String config) throws Exception {
    return api.ok("/api/security/barbican-kms/" + config + "?fields=state,barbican_reachability");
  }

  private static Map<String, String> keyIds(ApiClient api) throws Exception {
    Map<String, String> out = new HashMap<>();
    JsonNode list = api.ok("/api/storage/volumes?svm.name=lifecycle_svm&fields=encryption.key_id");
    list.get("records").forEach(v -> out.put(v.get("uuid").asText(), v.at("/encryption/key_id").asText()));
    out.values().forEach(k -> assertFalse(k.isEmpty()));
    return out;
  }
}
