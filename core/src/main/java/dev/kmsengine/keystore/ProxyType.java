package dev.kmsengine.keystore;

/** How the connection to Keystone and Barbican reaches them through a proxy ({@code proxy_type}). */
public enum ProxyType {
  /** A proxy spoken to in plain HTTP, tunnelling TLS with CONNECT. */
  HTTP,
  /** A proxy spoken to over TLS, tunnelling TLS with CONNECT. */
  HTTPS;

  /**
   * The REST value, {@code "http"} or {@code "https"}.
   *
   * @return {@code "http"} or {@code "https"}
   */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Parses the REST value; {@code null} for anything else.
   *
   * @param value the REST value, case-sensitive
   * @return the type, or {@code null} if {@code value} is not one
   */
  public static ProxyType fromWire(String value) {
    for (ProxyType t : values()) {
      if (t.wireName().equals(value)) {
        return t;
      }
    }
    return null;
  }
}
