package dev.kmsengine.rest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * Renders a resource as its full JSON record (with {@code _links}), computing only the advanced properties asked
 * for, since those cost a round trip to every node.
 *
 * @param <T> the resource type
 */
@FunctionalInterface
public interface RecordRenderer<T> {
  /**
   * The record of {@code item}, with the advanced properties in {@code advanced} and no others.
   *
   * @param item the item to render
   * @param advanced the advanced properties to compute and include
   * @return the record as the REST API returns it with {@code fields=**}, minus the advanced properties not asked for
   */
  ObjectNode render(T item, Set<String> advanced);
}
