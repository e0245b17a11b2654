package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import java.util.Locale;

/** Reading typed values out of records and query text, and ordering them. */
final class Values {
  private Values() {}

  /** The value at a dotted path, or null when absent or JSON null. */
  static JsonNode at(JsonNode record, String path) {
    JsonNode n = record;
    for (String part : path.split("\\.")) {
      if (n == null || !n.isObject()) {
        return null;
      }
      n = n.get(part);
    }
    return n == null || n.isNull() || n.isMissingNode() ? null : n;
  }

  /** Puts {@code value} at a dotted path, creating the objects on the way. */
  static void put(ObjectNode record, String path, JsonNode value) {
    String[] parts = path.split("\\.");
    ObjectNode n = record;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = n.get(parts[i]);
      n = child instanceof ObjectNode o ? o : n.putObject(parts[i]);
    }
    n.set(parts[parts.length - 1], value);
  }

  /**
   * Parses query text into a value of {@code type}.
   *
   * @throws KmsException 262197 naming {@code parameter} if the text is not such a value
   */
  static JsonNode parse(String text, FieldType type, String parameter) {
    switch (type) {
      case INTEGER:
        try {
          return LongNode.valueOf(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
          throw invalid(text, parameter, "an integer");
        }
      case BOOLEAN:
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true")) {
          return BooleanNode.TRUE;
        }
        if (t.equals("false")) {
          return BooleanNode.FALSE;
        }
        throw invalid(text, parameter, "true or false");
      default:
        return TextNode.valueOf(text);
    }
  }

  static KmsException invalid(String text, String parameter, String expected) {
    return new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, parameter,
        "The value \"" + abbreviate(text) + "\" is invalid for field \"" + parameter + "\" (expected " + expected
            + ").");
  }

  /** Long query text is cut in messages: an error should point at the value, not echo a pasted blob. */
  static String abbreviate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 61) + "...";
  }

  /** Orders two present values of {@code type}; strings case-insensitively, then exactly to be total. */
  static int compare(JsonNode a, JsonNode b, FieldType type) {
    switch (type) {
      case INTEGER:
        return Long.compare(a.asLong(), b.asLong());
      case BOOLEAN:
        return Boolean.compare(a.asBoolean(), b.asBoolean());
      default:
        String x = a.asText();
        String y = b.asText();
        int c = x.compareToIgnoreCase(y);
        return c != 0 ? c : x.compareTo(y);
    }
  }

  /** Orders values that may be absent: absent first. */
  static int compareNullable(JsonNode a, JsonNode b, FieldType type) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return compare(a, b, type);
  }
}
