package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the {@code fields} parameter asks for. Key fields and {@code _links} are always returned. Without
 * {@code fields}, a collection returns only key fields and an instance the default set ({@code *}); {@code *} is
 * every field except the advanced properties; {@code **} is every field; a list names fields or objects
 * (dotted paths, comma-separated) and may include {@code *}. Advanced properties appear only when named or with
 * {@code **}. Immutable.
 */
public final class FieldSelection {
  private final Set<String> included;
  private final Set<String> advanced;

  private FieldSelection(Set<String> included, Set<String> advanced) {
    this.included = Set.copyOf(included);
    this.advanced = Set.copyOf(advanced);
  }

  /**
   * Parses {@code fields}.
   *
   * @param schema the resource's fields
   * @param fields the parameter's value, or null when absent
   * @param collection whether this is a collection GET (absent {@code fields} then means key fields only)
   * @return the selection
   * @throws dev.kmsengine.error.KmsException 262179 for a field the resource does not have
   */
  public static FieldSelection parse(ResourceSchema schema, String fields, boolean collection) {
    if (fields == null || fields.isBlank()) {
      return schema.defaultSelection(collection);
    }
    Set<String> included = new LinkedHashSet<>(schema.keys());
    for (String raw : fields.split(",")) {
      String f = raw.trim();
      if (f.isEmpty()) {
        continue;
      }
      if (f.equals("*")) {
        addDefaults(schema, included);
      } else if (f.equals("**")) {
        included.addAll(schema.allFields());
      } else if (schema.isKnown(f)) {
        included.addAll(schema.fieldsUnder(f));
      } else {
        throw QueryParameters.unexpected(f);
      }
    }
    return of(schema, included);
  }

  /** The selection without {@code fields}: key fields in a collection, the default set in an instance. */
  static FieldSelection defaults(ResourceSchema schema, boolean collection) {
    Set<String> included = new LinkedHashSet<>(schema.keys());
    if (!collection) {
      addDefaults(schema, included);
    }
    return of(schema, included);
  }

  private static FieldSelection of(ResourceSchema schema, Set<String> included) {
    Set<String> advanced = new LinkedHashSet<>();
    for (String f : included) {
      if (schema.isAdvanced(f)) {
        advanced.add(ResourceSchema.topLevel(f));
      }
    }
    return new FieldSelection(included, advanced);
  }

  private static void addDefaults(ResourceSchema schema, Set<String> included) {
    for (String f : schema.allFields()) {
      if (!schema.isAdvanced(f)) {
        included.add(f);
      }
    }
  }

  /**
   * The advanced properties the selection returns, which the renderer must compute.
   *
   * @return the names of those advanced properties
   */
  public Set<String> advancedProperties() {
    return advanced;
  }

  /**
   * The selected part of a fully rendered record, in the record's own field order; an object's {@code _links}
   * travel with it whenever any of its fields does.
   *
   * @param record the full record, with every field the renderer computed
   * @return a new object holding only the selected fields
   */
  public ObjectNode project(ObjectNode record) {
    ObjectNode out = copy(record, "");
    JsonNode links = record.get("_links");
    if (links != null) {
      out.set("_links", links);
    }
    return out;
  }

  private ObjectNode copy(ObjectNode source, String prefix) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : source.properties()) {
      String path = prefix + e.getKey();
      if (e.getKey().equals("_links")) {
        continue;
      }
      if (included.contains(path)) {
        out.set(e.getKey(), e.getValue());
      } else if (e.getValue() instanceof ObjectNode child) {
        ObjectNode sub = copy(child, path + ".");
        if (!sub.isEmpty()) {
          JsonNode links = child.get("_links");
          if (links != null) {
            sub.set("_links", links);
          }
          out.set(e.getKey(), sub);
        }
      }
    }
    return out;
  }
}
