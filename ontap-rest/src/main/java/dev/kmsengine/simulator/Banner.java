package dev.kmsengine.simulator;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.keystore.Secret;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What the simulator prints on start: where it listens, how to log in, what to configure, and curl commands that
 * can be pasted as they are (after substituting the configuration uuid that the first one returns).
 */
final class Banner {
  private Banner() {}

  static void print(PrintStream out, String url, Path ca, Secret password, ClusterSpec spec,
      SimulatorKeyManager keys, String database, String hosting) {
    String svm = spec.dataSvms().contains("barbican_svm") || spec.dataSvms().isEmpty() ? "barbican_svm"
        : spec.dataSvms().get(spec.dataSvms().size() - 1);
    String curl = "curl --cacert " + ca + " -u " + Simulator.ADMIN_USER + ":" + password.reveal()
        + " -H 'accept: application/hal+json'";
    StringBuilder b = new StringBuilder();
    b.append("kms-engine simulator: cluster ").append(spec.name()).append(" (admin SVM ").append(spec.adminSvm())
        .append("), nodes ").append(String.join(", ", spec.nodes())).append(", data SVMs ")
        .append(String.join(", ", spec.dataSvms())).append('\n');
    b.append("  URL:          ").append(url).append('\n');
    b.append("  CA:           ").append(ca).append('\n');
    b.append("  admin:        ").append(Simulator.ADMIN_USER).append(" / ").append(password.reveal()).append('\n');
    b.append("  key manager:  ").append(keys.description()).append('\n');
    b.append("  database:     ").append(database).append('\n');
    if (hosting != null) {
      b.append("  hosts:        ").append(hosting).append('\n');
    }
    String credId;
    String credSecret;
    String keyId;
    String keystoneUrl;
    if (keys.emulatorRunning()) {
      credId = keys.credentialId();
      credSecret = keys.credentialSecret().reveal();
      keyId = keys.keyId();
      keystoneUrl = keys.keystoneUrl();
      b.append("    keystone_url             ").append(keystoneUrl).append('\n');
      b.append("    key_id                   ").append(keyId).append('\n');
      b.append("    application_cred_id      ").append(credId).append('\n');
      b.append("    application_cred_secret  ").append(credSecret).append('\n');
      b.append("    emulator CA              ").append(keys.caFile()).append('\n');
    } else {
      credId = "<application_cred_id>";
      credSecret = "<application_cred_secret>";
      keyId = "https://<barbican>:9311/v1/secrets/<uuid>";
      keystoneUrl = "https://<keystone>:5000/v3/auth/tokens";
      b.append("    use your own Keystone application credential and Barbican secret below\n");
    }
    b.append("  simulator:    ").append(url).append("/api/simulator/... (blocks, node network, faults; see README)\n");
    b.append('\n');
    b.append("# Create an (inactive) Barbican configuration; note the uuid it returns:\n");
    b.append(curl).append(" -X POST '").append(url).append("/api/security/barbican-kms?return_timeout=30")
        .append("&return_records=true' -H 'Content-Type: application/json' -d '{\"svm\": {\"name\": \"")
        .append(svm).append("\"}, \"configuration\": {\"name\": \"myConfiguration\"}, \"application_cred_id\": \"")
        .append(credId).append("\", \"application_cred_secret\": \"")
        .append(credSecret).append("\", \"key_id\": \"").append(keyId)
        .append("\", \"keystone_url\": \"").append(keystoneUrl).append("\"}'\n");
    b.append("# Enable it:\n");
    b.append(curl).append(" -X PATCH '").append(url)
        .append("/api/security/key-stores/<uuid>?return_timeout=30' -d '{\"enabled\": true}'\n");
    b.append("# Create an encrypted volume:\n");
    b.append(curl).append(" -X POST '").append(url).append("/api/storage/volumes?return_timeout=30' -d '{\"name\": ")
        .append("\"vol1\", \"svm\": {\"name\": \"").append(svm).append("\"}, \"encryption\": {\"enabled\": true}}'\n");
    b.append("# Show the SVM-KEK state on every node and Barbican reachability:\n");
    b.append(curl).append(" '").append(url)
        .append("/api/security/barbican-kms/<uuid>?fields=state,barbican_reachability'\n");
    b.append("# Rekey the internal key (new SVM-KEK, every volume key rewrapped):\n");
    b.append(curl).append(" -X POST '").append(url)
        .append("/api/security/barbican-kms/<uuid>/rekey-internal?return_timeout=30'\n");
    b.append("# Simulator only: write a block of a volume through node1, read it back through node2:\n");
    b.append(curl).append(" -X PUT '").append(url).append("/api/simulator/volumes/<volume-uuid>/blocks/0?node=node1'")
        .append(" -d '{\"data_base64\": \"aGVsbG8=\"}'\n");
    b.append(curl).append(" '").append(url).append("/api/simulator/volumes/<volume-uuid>/blocks/0?node=node2'\n");
    b.append("# Reboot a node (its key table empties), then restore the keys from Barbican:\n");
    b.append(curl).append(" '").append(url).append("/api/cluster/nodes?name=node1'\n");
    b.append(curl).append(" -X PATCH '").append(url).append("/api/cluster/nodes/<node-uuid>?action=reboot'\n");
    b.append(curl).append(" -X POST '").append(url)
        .append("/api/security/barbican-kms/<uuid>/restore?return_timeout=30'\n");
    out.print(b);
    out.flush();
  }
}
