package dev.kmsengine.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes a JSON tree exactly as Jackson's default pretty printer does (two-space indented objects, arrays on one
 * line as {@code [ a, b ]}, {@code " : "} after names, {@code { }} and {@code [ ]} when empty), straight into
 * bytes. Jackson's generator spends most of a small response writing the indentation a character at a time; here
 * the structure is written as ASCII bytes, plain ASCII strings are copied, and any other string or number is
 * encoded by Jackson itself, so escaping and number forms stay Jackson's. Stateless.
 */
final class PrettyJson {
  private static final byte[] NAME_VALUE = " : ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EOL = System.lineSeparator().getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_OBJECT = "{ }".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_ARRAY = "[ ]".getBytes(StandardCharsets.US_ASCII);
  /** A line end and the indentation of each level up to the deepest a response has, made once. */
  private static final byte[][] INDENTS = new byte[16][];

  static {
    for (int level = 0; level < INDENTS.length; level++) {
      INDENTS[level] = (System.lineSeparator() + "  ".repeat(level)).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final ObjectMapper scalars;

  /** {@code scalars} writes the values other than plain strings, integers, booleans and null. */
  PrettyJson(ObjectMapper scalars) {
    this.scalars = scalars;
  }

  byte[] write(JsonNode node) throws JsonProcessingException {
    ByteArrayBuilder out = new ByteArrayBuilder(1024);
    value(out, node, 0);
    return out.toByteArray();
  }

  private void value(ByteArrayBuilder out, JsonNode node, int level) throws JsonProcessingException {
    if (node.isObject()) {
      object(out, node, level);
    } else if (node.isArray()) {
      array(out, node, level);
    } else if (node.isTextual()) {
      string(out, node.textValue());
    } else if (node.isInt() || node.isLong()) {
      ascii(out, Long.toString(node.longValue()));
    } else if (node.isBoolean()) {
      ascii(out, node.booleanValue() ? "true" : "false");
    } else if (node.isNull() || node.isMissingNode()) {
      ascii(out, "null");
    } else {
      out.write(scalars.writeValueAsBytes(node));
    }
  }

  private void object(ByteArrayBuilder out, JsonNode node, int level) throws JsonProcessingException {
    if (node.isEmpty()) {
      out.write(EMPTY_OBJECT);
      return;
    }
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      indent(out, level + 1);
      string(out, f.getKey());
      out.write(NAME_VALUE);
      value(out, f.getValue(), level + 1);
    }
    indent(out, level);
    out.append('}');
  }

  private void array(ByteArrayBuilder out, JsonNode node, int level) throws JsonProcessingException {
    if (node.isEmpty()) {
      out.write(EMPTY_ARRAY);
      return;
    }
    out.append('[');
    out.append(' ');
    boolean first = true;
    for (JsonNode element : node) {
      if (!first) {
        out.append(',');
        out.append(' ');
      }
      first = false;
      value(out, element, level);
    }
    out.append(' ');
    out.append(']');
  }

  private static void indent(ByteArrayBuilder out, int level) {
    if (level < INDENTS.length) {
      out.write(INDENTS[level]);
      return;
    }
    out.write(EOL);
    for (int i = 0; i < level; i++) {
      out.append(' ');
      out.append(' ');
    }
  }

  private static void string(ByteArrayBuilder out, String s) {
    out.append('"');
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    if (plainAscii(utf8)) {
      out.write(utf8);
    } else {
      out.write(JsonStringEncoder.getInstance().quoteAsUTF8(s));
    }
    out.append('"');
  }

  /**
   * Whether {@code utf8} needs no escaping: printable ASCII without quote or backslash (a byte of a multi-byte
   * character is negative, so it is not).
   */
  private static boolean plainAscii(byte[] utf8) {
    for (byte b : utf8) {
      if (b < 0x20 || b == 0x7f || b == '"' || b == '\\') {
        return false;
      }
    }
    return true;
  }

  private static void ascii(ByteArrayBuilder out, String s) {
    out.write(s.getBytes(StandardCharsets.US_ASCII));
  }
}
