package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A collection GET, ONTAP style, for any resource: field filters (combined with AND), {@code fields},
 * {@code order_by}, {@code max_records} with a {@code _links.next} link, {@code return_records} and
 * {@code return_timeout}. Every collection of the API runs through this one class.
 *
 * <h2>Paging</h2>
 * A page that stops before the end carries {@code _links.next}: the same query plus {@code start.*} parameters
 * holding the last record's sort values and uuid. The next page starts strictly after that position in the
 * (total) order, so it continues where the page ended even if records were added or deleted in between.
 *
 * <p>Immutable; parse with {@link #parse}, then {@link #run}.
 */
public final class CollectionQuery {
  private static final Set<String> CONTROL = Set.of("fields", "max_records", "return_records", "return_timeout",
      "order_by");
  private static final String START = "start.";

  private final ResourceSchema schema;
  private final QueryParameters params;
  private final FieldSelection selection;
  private final List<Map.Entry<String, ValueMatcher>> filters;
  private final Ordering ordering;
  private final ObjectNode cursor;
  private final int maxRecords;
  private final boolean returnRecords;
  private final Set<String> advanced;

  private CollectionQuery(ResourceSchema schema, QueryParameters params, FieldSelection selection,
      List<Map.Entry<String, ValueMatcher>> filters, Ordering ordering, ObjectNode cursor, int maxRecords,
      boolean returnRecords, Set<String> advanced) {
    this.schema = schema;
    this.params = params;
    this.selection = selection;
    this.filters = List.copyOf(filters);
    this.ordering = ordering;
    this.cursor = cursor;
    this.maxRecords = maxRecords;
    this.returnRecords = returnRecords;
    this.advanced = Set.copyOf(advanced);
  }

  /**
   * Parses and checks every parameter.
   *
   * @param schema the collection's fields
   * @param params the request's query parameters
   * @return the checked query
   * @throws KmsException 262179 for an unknown parameter or field, 262197 for a bad value
   */
  public static CollectionQuery parse(ResourceSchema schema, QueryParameters params) {
    FieldSelection selection = FieldSelection.parse(schema, params.single("fields"), true);
    params.returnTimeout(15);
    boolean returnRecords = params.returnRecords(true);
    int maxRecords = Integer.MAX_VALUE;
    String max = params.single("max_records");
    if (max != null) {
      try {
        maxRecords = Integer.parseInt(max.trim());
      } catch (NumberFormatException e) {
        maxRecords = -1;
      }
      if (maxRecords < 1) {
        throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "max_records",
            "The value \"" + Values.abbreviate(max) + "\" is invalid for field \"max_records\" (a positive integer).");
      }
    }
    Ordering ordering = Ordering.parse(schema, params.single("order_by"));
    Set<String> advanced = new LinkedHashSet<>(selection.advancedProperties());
    List<Map.Entry<String, ValueMatcher>> filters = new ArrayList<>();
    ObjectNode cursor = null;
    for (Map.Entry<String, String> e : params.entries()) {
      String name = e.getKey();
      if (CONTROL.contains(name)) {
        continue;
      }
      if (name.startsWith(START)) {
        cursor = cursor == null ? JsonNodeFactory.instance.objectNode() : cursor;
        String field = name.substring(START.length());
        if (ordering.keys().stream().noneMatch(k -> k.path().equals(field))) {
          throw QueryParameters.unexpected(name);
        }
        Values.put(cursor, field, Values.parse(e.getValue(), schema.type(field), name));
        continue;
      }
      addFilter(schema, e, filters, advanced);
    }
    if (cursor != null && Values.at(cursor, ResourceSchema.ID) == null) {
      throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "start.uuid",
          "A paging position needs \"start.uuid\"; follow \"_links.next\" as given.");
    }
    for (Ordering.Key k : ordering.keys()) {
      if (schema.isAdvanced(k.path())) {
        advanced.add(ResourceSchema.topLevel(k.path()));
      }
    }
    return new CollectionQuery(schema, params, selection, filters, ordering, cursor, maxRecords, returnRecords,
        advanced);
  }

  /**
   * The advanced properties that rendering must compute: those selected, filtered on or ordered by.
   *
   * @return the names of those advanced properties
   */
  public Set<String> advancedProperties() {
    return advanced;
  }

  /**
   * Runs the query over every item of the collection and returns the response body:
   * {@code {"records": [...], "num_records": n, "_links": {"self": ..., "next": ...}}}, or, with
   * {@code return_records=false}, only the count of matching records.
   *
   * @param items the whole collection
   * @param renderer renders an item as its full record
   * @param path the collection's path, e.g. {@code /api/security/barbican-kms}, for the links
   * @param <T> the collection's item type
   * @return the response body
   */
  public <T> ObjectNode run(List<T> items, RecordRenderer<T> renderer, String path) {
    List<ObjectNode> matching = new ArrayList<>();
    for (T item : items) {
      ObjectNode record = renderer.render(item, advanced);
      if (matches(record)) {
        matching.add(record);
      }
    }
    matching.sort(ordering);
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode links = JsonNodeFactory.instance.objectNode();
    links.putObject("self").put("href", href(path, params.entries()));
    if (!returnRecords) {
      body.put("num_records", matching.size());
      body.set("_links", links);
      return body;
    }
    List<ObjectNode> after = cursor == null ? matching
        : matching.stream().filter(r -> ordering.compare(r, cursor) > 0).toList();
    List<ObjectNode> page = after.subList(0, Math.min(maxRecords, after.size()));
    ArrayNode records = body.putArray("records");
    for (ObjectNode r : page) {
      records.add(selection.project(r));
    }
    body.put("num_records", page.size());
    if (page.size() < after.size()) {
      links.putObject("next").put("href", href(path, nextParams(page.get(page.size() - 1))));
    }
    body.set("_links", links);
    return body;
  }

  /**
   * The items a query-based PATCH or DELETE applies to: those matching every field filter of {@code params}, in
   * the collection's default order. Parameters in {@code controls} are the operation's own, not filters.
   *
   * @param schema the collection's fields
   * @param params the request's query parameters
   * @param controls the names that are not field filters, e.g. {@code return_timeout}
   * @param items the whole collection
   * @param renderer renders an item as its record, to match the filters against
   * @param <T> the collection's item type
   * @return the matching items; empty if the filters match nothing, or if there are no filters
   * @throws KmsException 262179 for a parameter that is neither a control nor a field, 262197 for a bad value
   */
  public static <T> List<T> matching(ResourceSchema schema, QueryParameters params, Set<String> controls,
      List<T> items, RecordRenderer<T> renderer) {
    List<Map.Entry<String, ValueMatcher>> filters = new ArrayList<>();
    Set<String> advanced = new LinkedHashSet<>();
    for (Map.Entry<String, String> e : params.entries()) {
      String name = e.getKey();
      if (!controls.contains(name)) {
        addFilter(schema, e, filters, advanced);
      }
    }
    if (filters.isEmpty()) {
      return List.of();
    }
    Ordering ordering = Ordering.parse(schema, null);
    List<Map.Entry<ObjectNode, T>> hits = new ArrayList<>();
    for (T item : items) {
      ObjectNode record = renderer.render(item, advanced);
      if (filters.stream().allMatch(f -> f.getValue().test(Values.at(record, f.getKey())))) {
        hits.add(Map.entry(record, item));
      }
    }
    hits.sort((a, b) -> ordering.compare(a.getKey(), b.getKey()));
    return hits.stream().map(Map.Entry::getValue).toList();
  }

  /** Adds the filter {@code e} names; an advanced field it uses joins {@code advanced}. */
  private static void addFilter(ResourceSchema schema, Map.Entry<String, String> e,
      List<Map.Entry<String, ValueMatcher>> filters, Set<String> advanced) {
    String name = e.getKey();
    FieldType type = schema.type(name);
    if (type == null) {
      throw QueryParameters.unexpected(name);
    }
    filters.add(Map.entry(name, ValueMatcher.parse(e.getValue(), type, name)));
    if (schema.isAdvanced(name)) {
      advanced.add(ResourceSchema.topLevel(name));
    }
  }

  private boolean matches(ObjectNode record) {
    for (Map.Entry<String, ValueMatcher> f : filters) {
      if (!f.getValue().test(Values.at(record, f.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private List<Map.Entry<String, String>> nextParams(ObjectNode last) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (Map.Entry<String, String> e : params.entries()) {
      if (!e.getKey().startsWith(START)) {
        out.add(e);
      }
    }
    for (Ordering.Key k : ordering.keys()) {
      JsonNode v = Values.at(last, k.path());
      if (v != null) {
        out.add(Map.entry(START + k.path(), v.asText()));
      }
    }
    return out;
  }

  private static String href(String path, List<Map.Entry<String, String>> params) {
    return params.isEmpty() ? path : path + "?" + QueryParameters.encode(params);
  }

  @Override
  public String toString() {
    return "CollectionQuery[filters=" + filters.size() + ", order=" + ordering.keys() + ", schema fields="
        + schema.allFields().size() + "]";
  }
}
