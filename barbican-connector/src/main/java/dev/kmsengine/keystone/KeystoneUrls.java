package dev.kmsengine.keystone;

import java.net.URI;
import java.net.URISyntaxException;

/** Turns a configured {@code keystone_url} into the token URL, the way ONTAP accepts it. */
public final class KeystoneUrls {
  private KeystoneUrls() {}

  /**
   * The {@code .../v3/auth/tokens} URL for {@code keystoneUrl}, which may be the token URL itself, the
   * {@code /v3} base, or the server root, with or without a trailing {@code /}.
   *
   * @param keystoneUrl the configuration's {@code keystone_url}
   * @return the absolute token URL
   * @throws IllegalArgumentException if it is not an absolute {@code https} URL
   */
  public static URI tokensUrl(String keystoneUrl) {
    String u = keystoneUrl.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    if (u.endsWith("/auth/tokens")) {
      return parse(u);
    }
    if (u.endsWith("/v3")) {
      return parse(u + "/auth/tokens");
    }
    return parse(u + "/v3/auth/tokens");
  }

  static URI parse(String u) {
    try {
      URI uri = new URI(u);
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("keystone_url must be an https URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("keystone_url is not a URL: " + e.getReason(), e);
    }
  }
}
