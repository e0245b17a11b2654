package dev.kmsengine.rest.query;

/** The JSON type of a field, which decides how filter values are parsed and how values are ordered. */
public enum FieldType {
  /** A JSON string; compared case-insensitively. */
  STRING,
  /** A JSON integer; compared numerically. */
  INTEGER,
  /** A JSON boolean; {@code false} orders before {@code true}. */
  BOOLEAN
}
