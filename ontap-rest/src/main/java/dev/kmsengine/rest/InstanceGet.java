package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.rest.query.FieldSelection;
import dev.kmsengine.rest.query.RecordRenderer;
import dev.kmsengine.rest.query.ResourceSchema;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/** {@code GET /api/.../{uuid}} for any resource: {@code fields} applied, 404 "entry doesn't exist" if absent. */
final class InstanceGet {
  private static final Set<String> PARAMS = Set.of("fields", "return_timeout");

  private InstanceGet() {}

  static <T> void answer(ApiExchange ex, ResourceSchema schema, Optional<T> item, RecordRenderer<T> renderer)
      throws IOException {
    ex.params().allowOnly(PARAMS);
    ex.params().returnTimeout(15);
    FieldSelection selection = FieldSelection.parse(schema, ex.params().single("fields"), false);
    if (item.isEmpty()) {
      throw notFound();
    }
    ex.send(200, selection.project(renderer.render(item.get(), selection.advancedProperties())));
  }

  static ApiException notFound() {
    return new ApiException(404, ErrorCode.ENTRY_NOT_FOUND, "entry doesn't exist", "uuid");
  }

  /** The default ({@code *}) view of a record, for {@code return_records=true}. */
  static <T> ObjectNode defaultView(ResourceSchema schema, T item, RecordRenderer<T> renderer) {
    FieldSelection selection = FieldSelection.parse(schema, "*", false);
    ObjectNode full = renderer.render(item, Set.of());
    return selection.project(full);
  }
}
