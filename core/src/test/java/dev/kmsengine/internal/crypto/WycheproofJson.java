package dev.kmsengine.internal.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader for the vendored Wycheproof files, so that {@code core} needs no JSON library even for
 * tests. Objects become {@link Map}, arrays {@link List}, numbers {@link Long}, and strings, booleans and null stay
 * as they are. Rejects anything it does not understand instead of guessing.
 */
final class WycheproofJson {
  private final String s;
  private int i;

  private WycheproofJson(String s) {
    this.s = s;
  }

  static Map<?, ?> load(String resource) {
    try (InputStream in = WycheproofJson.class.getResourceAsStream("/testvectors/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource testvectors/" + resource);
      }
      WycheproofJson p = new WycheproofJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      Object v = p.value();
      p.skipSpace();
      if (p.i != p.s.length()) {
        throw p.error("trailing content");
      }
      return (Map<?, ?>) v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Object value() {
    skipSpace();
    char c = peek();
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    expect('{');
    skipSpace();
    if (peek() == '}') {
      i++;
      return m;
    }
    while (true) {
      skipSpace();
      String key = string();
      skipSpace();
      expect(':');
      if (m.put(key, value()) != null) {
        throw error("duplicate key " + key);
      }
      skipSpace();
      if (peek() == ',') {
        i++;
        continue;
      }
      expect('}');
      return m;
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    expect('[');
    skipSpace();
    if (peek() == ']') {
      i++;
      return list;
    }
    while (true) {
      list.add(value());
      skipSpace();
      if (peek() == ',') {
        i++;
        continue;
      }
      expect(']');
      return list;
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> throw error("unsupported escape \\" + e);
      }
    }
  }

  private Long number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (start == i) {
      throw error("unexpected character '" + peek() + "'");
    }
    return Long.parseLong(s.substring(start, i));
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, i)) {
      throw error("expected " + word);
    }
    i += word.length();
    return value;
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    i++;
  }

  private char peek() {
    if (i >= s.length()) {
      throw error("unexpected end of input");
    }
    return s.charAt(i);
  }

  private void skipSpace() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private IllegalStateException error(String what) {
    return new IllegalStateException("JSON offset " + i + ": " + what);
  }
}
