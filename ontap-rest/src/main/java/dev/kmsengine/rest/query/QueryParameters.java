package dev.kmsengine.rest.query;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The query parameters of one request, decoded, in the order sent, with the checks every ONTAP endpoint shares:
 * unknown parameters (262179), {@code return_timeout} in 0..120 and {@code return_records} a boolean (262197).
 * Immutable.
 */
public final class QueryParameters {
  /** The longest wait a client may ask for, in seconds. */
  public static final int MAX_RETURN_TIMEOUT = 120;

  private final List<Map.Entry<String, String>> entries;

  private QueryParameters(List<Map.Entry<String, String>> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * Decodes a raw query string ({@code a=1&b=x%20y}); {@code null} or empty means no parameters.
   *
   * @param rawQuery the URI's raw query, still percent-encoded
   * @return the decoded parameters
   * @throws KmsException 262197 for text that is not valid percent-encoding
   */
  public static QueryParameters parse(String rawQuery) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        out.add(Map.entry(name, value));
      }
    }
    return new QueryParameters(out);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "",
          "The query string is not valid percent-encoding.");
    }
  }

  /**
   * Every parameter, in the order sent.
   *
   * @return the decoded name/value pairs; a repeated name appears once per occurrence
   */
  public List<Map.Entry<String, String>> entries() {
    return entries;
  }

  /**
   * The value of a parameter that may appear at most once, or null if absent.
   *
   * @param name the parameter's name
   * @return the decoded value
   * @throws KmsException 262197 if it appears more than once
   */
  public String single(String name) {
    String found = null;
    for (Map.Entry<String, String> e : entries) {
      if (e.getKey().equals(name)) {
        if (found != null) {
          throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, name,
              "The parameter \"" + name + "\" was given more than once.");
        }
        found = e.getValue();
      }
    }
    return found;
  }

  /**
   * Rejects every parameter not in {@code allowed}.
   *
   * @param allowed the names the endpoint accepts
   * @throws KmsException 262179 naming the first unexpected parameter
   */
  public void allowOnly(Set<String> allowed) {
    for (Map.Entry<String, String> e : entries) {
      if (!allowed.contains(e.getKey())) {
        throw unexpected(e.getKey());
      }
    }
  }

  static KmsException unexpected(String name) {
    return new KmsException(ErrorCode.UNEXPECTED_ARGUMENT, name,
        "Unexpected argument \"" + Values.abbreviate(name) + "\".");
  }

  /**
   * {@code return_timeout} in seconds, or {@code defaultSeconds} when absent.
   *
   * @param defaultSeconds the value when the parameter is absent
   * @return the seconds to wait for a job before answering
   * @throws KmsException 262197 unless an integer in 0..120
   */
  public int returnTimeout(int defaultSeconds) {
    String v = single("return_timeout");
    if (v == null) {
      return defaultSeconds;
    }
    try {
      int t = Integer.parseInt(v.trim());
      if (t >= 0 && t <= MAX_RETURN_TIMEOUT) {
        return t;
      }
    } catch (NumberFormatException e) {
      // Falls through to the same error as an out-of-range number.
    }
    throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "return_timeout",
        "The value \"" + Values.abbreviate(v) + "\" is invalid for field \"return_timeout\" (<0.."
            + MAX_RETURN_TIMEOUT + ">).");
  }

  /**
   * {@code return_records}, or {@code defaultValue} when absent.
   *
   * @param defaultValue the value when the parameter is absent
   * @return whether the response carries the records
   * @throws KmsException 262197 unless {@code true} or {@code false}
   */
  public boolean returnRecords(boolean defaultValue) {
    String v = single("return_records");
    return v == null ? defaultValue : Values.parse(v, FieldType.BOOLEAN, "return_records").asBoolean();
  }

  /**
   * A boolean parameter such as {@code serial_records}, or {@code defaultValue} when absent.
   *
   * @param name the parameter's name
   * @param defaultValue the value when the parameter is absent
   * @return its value
   * @throws KmsException 262197 unless {@code true} or {@code false}
   */
  public boolean flag(String name, boolean defaultValue) {
    String v = single(name);
    return v == null ? defaultValue : Values.parse(v, FieldType.BOOLEAN, name).asBoolean();
  }

  /** Re-encodes parameters as a query string (without {@code ?}). */
  static String encode(List<Map.Entry<String, String>> params) {
    StringJoiner j = new StringJoiner("&");
    for (Map.Entry<String, String> e : params) {
      j.add(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8).replace("+", "%20") + "="
          + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return j.toString();
  }
}
