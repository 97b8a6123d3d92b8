package io.tidemark.protocol;

import java.util.Map;
import java.util.Objects;

/**
 * One row change of a source transaction, in source terms: the captured table's collection, the
 * row's primary key columns, and the row images as column → typed value (String, Long, Integer,
 * Double, BigDecimal, Boolean, byte[], java.time values, or null).
 *
 * @param collection the collection the table maps to, e.g. {@code ads} for {@code public.ads}
 * @param key primary key column → value; never empty
 * @param operation what happened to the row
 * @param before the row before the change; null for inserts and snapshot reads
 * @param after the row after the change; null for deletes
 */
public record Change(
    String collection,
    Map<String, Object> key,
    Operation operation,
    Map<String, Object> before,
    Map<String, Object> after) {

  /** What happened to a row. */
  public enum Operation {
    /** A row read by the initial snapshot of existing rows. */
    SNAPSHOT,
    INSERT,
    UPDATE,
    DELETE
  }

  public Change {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(operation, "operation");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("a change of " + collection + " has no key columns");
    }
    if (operation == Operation.DELETE ? after != null : after == null) {
      throw new IllegalArgumentException(
          operation
              + " of "
              + collection
              + " "
              + key
              + (after == null ? " lacks" : " has")
              + " an after image");
    }
  }

  public boolean isDelete() {
    return operation == Operation.DELETE;
  }
}
