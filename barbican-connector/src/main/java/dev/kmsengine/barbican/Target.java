package dev.kmsengine.barbican;

import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystone.KeystoneUrls;
import dev.kmsengine.keystone.TokenKey;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.transport.TransportSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * A connection resolved once per call: normalised URLs, transport settings and token key. Equal targets share
 * cached tokens and clients; a configuration whose target changes drops what the old one cached.
 */
record Target(URI tokensUrl, String credentialId, Secret credentialSecret, URI secretUrl, URI payloadUrl,
    TransportSettings transport, TokenKey tokenKey) {

  static Target of(BarbicanConnection c, List<String> extraCaPems) {
    URI tokens = KeystoneUrls.tokensUrl(c.keystoneUrl());
    String key = c.keyId().trim();
    while (key.endsWith("/")) {
      key = key.substring(0, key.length() - 1);
    }
    URI secret = https(key);
    TransportSettings t = TransportSettings.of(c, extraCaPems);
    return new Target(tokens, c.applicationCredId(), c.applicationCredSecret(), secret, https(key + "/payload"), t,
        TokenKey.of(tokens, c.applicationCredId(), c.applicationCredSecret(), t));
  }

  private static URI https(String u) {
    try {
      URI uri = new URI(u);
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("key_id must be an https URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("key_id is not a URL: " + e.getReason(), e);
    }
  }

  @Override
  public String toString() {
    return "Target[" + secretUrl + " via " + tokensUrl + "]";
  }
}
