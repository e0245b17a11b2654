package dev.kmsengine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.ProxyType;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Field checks shared by create and update. Each failure names its field as the error target, so a REST client
 * can point at it.
 */
final class ConfigValidator {
  /** {@code timeout} bounds: a zero or negative timeout would never let a request finish or never let it start. */
  static final int MIN_TIMEOUT = 1;
  /** Longer than any sane network attempt; a typo such as 6000 should be caught, not waited for. */
  static final int MAX_TIMEOUT = 600;
  /** Longest accepted URL or name, so that a pasted blob of text is refused rather than stored. */
  static final int MAX_TEXT = 2048;

  private ConfigValidator() {}

  /** Whether {@code url} is an absolute HTTPS URL with a host. */
  static boolean isHttpsUrl(String url) {
    if (url == null || url.isBlank() || url.length() > MAX_TEXT) {
      return false;
    }
    try {
      URI uri = new URI(url.trim());
      return uri.getScheme() != null && uri.getScheme().toLowerCase(Locale.ROOT).equals("https")
          && uri.getHost() != null && !uri.getHost().isEmpty() && uri.getRawUserInfo() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  static ProxyType proxyType(String value) {
    ProxyType t = ProxyType.fromWire(value);
    if (t == null) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_type",
          "The value for \"proxy_type\" must be \"http\" or \"https\".");
    }
    return t;
  }

  static int proxyPort(int port) {
    if (port < 0 || port > 65535) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_port",
          "The value for \"proxy_port\" must be in the range 0 to 65535.");
    }
    return port;
  }

  static String text(String value, String field) {
    if (value.length() > MAX_TEXT) {
      throw new KmsException(ErrorCode.INVALID_FIELD, field,
          "The value for \"" + field + "\" is longer than " + MAX_TEXT + " characters.");
    }
    return value;
  }

  static int timeout(int seconds) {
    if (seconds < MIN_TIMEOUT || seconds > MAX_TIMEOUT) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "timeout",
          "The value for \"timeout\" must be in the range " + MIN_TIMEOUT + " to " + MAX_TIMEOUT + " seconds.");
    }
    return seconds;
  }

  /** A proxy host needs a port, or the connector would not know where to connect. */
  static void proxyComplete(String host, int port) {
    if (!host.isEmpty() && port == 0) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "proxy_port",
          "A \"proxy_port\" is required when \"proxy_host\" is set.");
    }
  }
}
