package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One query filter's value expression, ONTAP style: alternatives separated by {@code |}, each one of
 * {@code value}, {@code *wild*card}, {@code !value} (not), {@code <v}, {@code >v}, {@code <=v}, {@code >=v},
 * {@code lo..hi} (inclusive), {@code null} (not set) or {@code !null} (set). Double quotes match the text inside
 * literally. A record without the field matches only {@code null}, as ONTAP excludes unset fields from queries.
 */
final class ValueMatcher implements Predicate<JsonNode> {
  private final List<Predicate<JsonNode>> alternatives;

  private ValueMatcher(List<Predicate<JsonNode>> alternatives) {
    this.alternatives = alternatives;
  }

  /**
   * Parses {@code expression} for a field of {@code type}.
   *
   * @throws dev.kmsengine.error.KmsException 262197 naming {@code parameter} for a value of the wrong type
   */
  static ValueMatcher parse(String expression, FieldType type, String parameter) {
    List<Predicate<JsonNode>> out = new ArrayList<>();
    for (String alternative : splitAlternatives(expression)) {
      out.add(term(alternative, type, parameter));
    }
    return new ValueMatcher(List.copyOf(out));
  }

  @Override
  public boolean test(JsonNode value) {
    for (Predicate<JsonNode> p : alternatives) {
      if (p.test(value)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> splitAlternatives(String expression) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (char c : expression.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == '|' && !quoted) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    return parts;
  }

  private static Predicate<JsonNode> term(String raw, FieldType type, String parameter) {
    String t = raw;
    if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
      return equality(Values.parse(t.substring(1, t.length() - 1), type, parameter), type);
    }
    if (t.equalsIgnoreCase("null")) {
      return v -> v == null;
    }
    if (t.equalsIgnoreCase("!null")) {
      return v -> v != null;
    }
    if (t.startsWith("!")) {
      Predicate<JsonNode> inner = positive(t.substring(1), type, parameter);
      return v -> v != null && !inner.test(v);
    }
    return positive(t, type, parameter);
  }

  private static Predicate<JsonNode> equality(JsonNode expected, FieldType type) {
    return v -> v != null && Values.compare(v, expected, type) == 0
        || type == FieldType.STRING && v != null && v.asText().equalsIgnoreCase(expected.asText());
  }

  private static Predicate<JsonNode> positive(String t, FieldType type, String parameter) {
    for (String op : new String[] {"<=", ">=", "<", ">"}) {
      if (t.startsWith(op)) {
        if (type == FieldType.BOOLEAN) {
          throw Values.invalid(t, parameter, "true or false; booleans are not ordered");
        }
        JsonNode bound = Values.parse(t.substring(op.length()), type, parameter);
        return v -> v != null && holds(op, Values.compare(v, bound, type));
      }
    }
    int range = t.indexOf("..");
    if (range >= 0 && type != FieldType.BOOLEAN) {
      JsonNode lo = Values.parse(t.substring(0, range), type, parameter);
      JsonNode hi = Values.parse(t.substring(range + 2), type, parameter);
      return v -> v != null && Values.compare(v, lo, type) >= 0 && Values.compare(v, hi, type) <= 0;
    }
    if (t.contains("*")) {
      Pattern glob = glob(t);
      return v -> v != null && glob.matcher(v.asText()).matches();
    }
    return equality(Values.parse(t, type, parameter), type);
  }

  private static boolean holds(String op, int c) {
    switch (op) {
      case "<=":
        return c <= 0;
      case ">=":
        return c >= 0;
      case "<":
        return c < 0;
      default:
        return c > 0;
    }
  }

  private static Pattern glob(String t) {
    StringBuilder re = new StringBuilder();
    String[] parts = t.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        re.append(".*");
      }
      if (!parts[i].isEmpty()) {
        re.append(Pattern.quote(parts[i]));
      }
    }
    return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
  }
}
