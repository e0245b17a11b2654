package dev.kmsengine.rest.query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The fields of one ONTAP resource type, as the query conventions see them: every scalar field by dotted path and
 * type, which fields identify a record (always returned), which top-level properties are advanced (computed only
 * when asked for), and the default order of a collection.
 *
 * <p>Build with {@link #builder()}. Immutable.
 */
public final class ResourceSchema {
  /** The identifying field of every resource. */
  public static final String ID = "uuid";

  private final Map<String, FieldType> fields;
  private final Set<String> keys;
  private final Set<String> advanced;
  private final List<String> defaultOrder;
  private final List<String> orderedFields;
  /** What a request without {@code fields} selects, in a collection and an instance. */
  private final FieldSelection collectionDefault;
  private final FieldSelection instanceDefault;
  /** The order of a collection without {@code order_by}. */
  private final Ordering defaultOrdering;

  private ResourceSchema(Builder b) {
    this.fields = Map.copyOf(b.fields);
    this.keys = Set.copyOf(b.keys);
    this.advanced = Set.copyOf(b.advanced);
    this.defaultOrder = List.copyOf(b.defaultOrder);
    // Declaration order is kept for "**" expansion; records keep their own field order when projected.
    this.orderedFields = List.copyOf(b.fields.keySet());
    // Most requests name neither fields nor an order, so those answers are made once, not per request.
    this.collectionDefault = FieldSelection.defaults(this, true);
    this.instanceDefault = FieldSelection.defaults(this, false);
    this.defaultOrdering = Ordering.defaults(this);
  }

  FieldSelection defaultSelection(boolean collection) {
    return collection ? collectionDefault : instanceDefault;
  }

  Ordering defaultOrdering() {
    return defaultOrdering;
  }

  /**
   * A builder for a schema whose records are identified by {@code uuid}.
   *
   * @return an empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the fields of a schema. Not thread-safe. */
  public static final class Builder {
    private final Map<String, FieldType> fields = new LinkedHashMap<>();
    private final Set<String> keys = new LinkedHashSet<>();
    private final Set<String> advanced = new LinkedHashSet<>();
    private final List<String> defaultOrder = new ArrayList<>();

    private Builder() {
      fields.put(ID, FieldType.STRING);
      keys.add(ID);
    }

    /**
     * A field returned by default ({@code *}).
     *
     * @param path the dotted field path, e.g. {@code svm.name}
     * @param type how the field's values compare and parse in queries
     * @return this builder
     */
    public Builder field(String path, FieldType type) {
      if (fields.put(Objects.requireNonNull(path, "path"), Objects.requireNonNull(type, "type")) != null) {
        throw new IllegalArgumentException("field declared twice: " + path);
      }
      return this;
    }

    /**
     * A key field: returned whatever {@code fields} asks for.
     *
     * @param path the dotted field path
     * @param type how the field's values compare and parse in queries
     * @return this builder
     */
    public Builder key(String path, FieldType type) {
      field(path, type);
      keys.add(path);
      return this;
    }

    /**
     * A field of an advanced property: returned only when named in {@code fields} or with {@code **}.
     *
     * @param path the dotted field path; its first segment names the advanced property
     * @param type how the field's values compare and parse in queries
     * @return this builder
     */
    public Builder advanced(String path, FieldType type) {
      field(path, type);
      advanced.add(topLevel(path));
      return this;
    }

    /**
     * The order of a collection without {@code order_by}; {@code uuid} always breaks ties.
     *
     * @param paths field paths, most significant first
     * @return this builder
     */
    public Builder defaultOrder(String... paths) {
      defaultOrder.addAll(List.of(paths));
      return this;
    }

    /**
     * The schema.
     *
     * @return the immutable schema
     */
    public ResourceSchema build() {
      for (String p : defaultOrder) {
        if (!fields.containsKey(p)) {
          throw new IllegalArgumentException("default order names an unknown field: " + p);
        }
      }
      return new ResourceSchema(this);
    }
  }

  static String topLevel(String path) {
    int dot = path.indexOf('.');
    return dot < 0 ? path : path.substring(0, dot);
  }

  /**
   * The type of a scalar field, or null if {@code path} is not one.
   *
   * @param path a dotted field path
   * @return the field's type, or {@code null} if {@code path} is not a scalar field
   */
  public FieldType type(String path) {
    return fields.get(path);
  }

  /** Whether {@code path} names a scalar field or an object holding some. */
  boolean isKnown(String path) {
    if (fields.containsKey(path)) {
      return true;
    }
    String prefix = path + ".";
    return fields.keySet().stream().anyMatch(f -> f.startsWith(prefix));
  }

  /** Every scalar field at or under {@code path}. */
  List<String> fieldsUnder(String path) {
    String prefix = path + ".";
    return orderedFields.stream().filter(f -> f.equals(path) || f.startsWith(prefix)).toList();
  }

  List<String> allFields() {
    return orderedFields;
  }

  Set<String> keys() {
    return keys;
  }

  /**
   * Whether {@code path} lies in an advanced property.
   *
   * @param path a dotted field path
   * @return {@code true} if the path's top-level property is advanced
   */
  public boolean isAdvanced(String path) {
    return advanced.contains(topLevel(path));
  }

  Set<String> advancedProperties() {
    return advanced;
  }

  List<String> defaultOrder() {
    return defaultOrder;
  }
}
