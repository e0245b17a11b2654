package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code order_by}: fields with optional {@code asc}/{@code desc}, comma-separated; the schema's default order
 * without it. {@code uuid} always ends the order so that it is total, which paging needs.
 */
final class Ordering implements Comparator<JsonNode> {
  record Key(String path, FieldType type, boolean descending) {}

  private final List<Key> keys;

  private Ordering(List<Key> keys) {
    this.keys = List.copyOf(keys);
  }

  static Ordering parse(ResourceSchema schema, String orderBy) {
    if (orderBy == null || orderBy.isBlank()) {
      return schema.defaultOrdering();
    }
    List<Key> keys = new ArrayList<>();
    for (String raw : orderBy.split(",")) {
      String[] words = raw.trim().split("\\s+");
      if (words.length == 0 || words[0].isEmpty() || words.length > 2) {
        throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "order_by",
            "The value \"" + Values.abbreviate(orderBy) + "\" is invalid for field \"order_by\".");
      }
      FieldType type = schema.type(words[0]);
      if (type == null) {
        throw QueryParameters.unexpected(words[0]);
      }
      boolean desc = false;
      if (words.length == 2) {
        String dir = words[1].toLowerCase(Locale.ROOT);
        if (!dir.equals("asc") && !dir.equals("desc")) {
          throw new KmsException(ErrorCode.INVALID_ARGUMENT_VALUE, "order_by",
              "The order \"" + Values.abbreviate(words[1]) + "\" is invalid; use \"asc\" or \"desc\".");
        }
        desc = dir.equals("desc");
      }
      keys.add(new Key(words[0], type, desc));
    }
    return total(keys);
  }

  /** The schema's default order, for a request without {@code order_by}. */
  static Ordering defaults(ResourceSchema schema) {
    List<Key> keys = new ArrayList<>();
    for (String p : schema.defaultOrder()) {
      keys.add(new Key(p, schema.type(p), false));
    }
    return total(keys);
  }

  private static Ordering total(List<Key> keys) {
    if (keys.stream().noneMatch(k -> k.path().equals(ResourceSchema.ID))) {
      keys.add(new Key(ResourceSchema.ID, FieldType.STRING, false));
    }
    return new Ordering(keys);
  }

  List<Key> keys() {
    return keys;
  }

  @Override
  public int compare(JsonNode a, JsonNode b) {
    for (Key k : keys) {
      int c = Values.compareNullable(Values.at(a, k.path()), Values.at(b, k.path()), k.type());
      if (c != 0) {
        return k.descending() ? -c : c;
      }
    }
    return 0;
  }
}
