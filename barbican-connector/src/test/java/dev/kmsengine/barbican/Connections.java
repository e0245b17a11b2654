package dev.kmsengine.barbican;

import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.BarbicanConfig.ProxyType;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.util.UUID;

/** Builds {@link BarbicanConnection}s for tests. */
final class Connections {
  private Connections() {}

  static BarbicanConnection of(UUID config, String keyId, String keystoneUrl,
      OpenStackEmulator.ApplicationCredential c) {
    return new BarbicanConnection(config, keyId, keystoneUrl, c.id(), c.secret(), ProxyType.HTTPS, "", 0, "",
        Secret.empty(), true, true, 5);
  }

  static BarbicanConnection withTransport(BarbicanConnection c, boolean verify, boolean verifyHost, int timeout) {
    return new BarbicanConnection(c.configurationUuid(), c.keyId(), c.keystoneUrl(), c.applicationCredId(),
        c.applicationCredSecret(), c.proxyType(), c.proxyHost(), c.proxyPort(), c.proxyUsername(), c.proxyPassword(),
        verify, verifyHost, timeout);
  }

  static BarbicanConnection withProxy(BarbicanConnection c, ProxyType type, String host, int port, String user,
      String password) {
    return new BarbicanConnection(c.configurationUuid(), c.keyId(), c.keystoneUrl(), c.applicationCredId(),
        c.applicationCredSecret(), type, host, port, user, Secret.of(password), c.verify(), c.verifyHost(),
        c.timeoutSeconds());
  }

  static BarbicanConnection withCredential(BarbicanConnection c, String id, Secret secret) {
    return new BarbicanConnection(c.configurationUuid(), c.keyId(), c.keystoneUrl(), id, secret, c.proxyType(),
        c.proxyHost(), c.proxyPort(), c.proxyUsername(), c.proxyPassword(), c.verify(), c.verifyHost(),
        c.timeoutSeconds());
  }

  static BarbicanConnection withKey(BarbicanConnection c, String keyId) {
    return new BarbicanConnection(c.configurationUuid(), keyId, c.keystoneUrl(), c.applicationCredId(),
        c.applicationCredSecret(), c.proxyType(), c.proxyHost(), c.proxyPort(), c.proxyUsername(), c.proxyPassword(),
        c.verify(), c.verifyHost(), c.timeoutSeconds());
  }
}
