package io.tidemark.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Maps a source row to one store's key and document. Configuration covers field selection and
 * renaming ({@link #fields}); implement this interface for anything more.
 *
 * <p>Documents are JSON-shaped: maps with String keys whose values are String, Number, Boolean,
 * null, List or Map. Implementations must be pure: the same row gives the same document.
 */
public interface Projection {

  /** The store key of a row from its primary key columns (see {@link #defaultKey}). */
  default String key(Map<String, Object> keyColumns) {
    return defaultKey(keyColumns);
  }

  /** The document a store holds for this row. */
  Map<String, Object> document(Map<String, Object> row);

  /** Every column, under its own name. */
  static Projection identity() {
    return row -> new LinkedHashMap<>(row);
  }

  /**
   * Only the named columns, renamed: {@code sourceColumn → documentField}, in the map's order. A
   * column the row lacks is left out.
   */
  static Projection fields(Map<String, String> sourceToField) {
    Map<String, String> mapping = new LinkedHashMap<>(sourceToField);
    return row -> {
      Map<String, Object> document = new LinkedHashMap<>();
      mapping.forEach(
          (column, field) -> {
            if (row.containsKey(column)) {
              document.put(field, row.get(column));
            }
          });
      return document;
    };
  }

  /**
   * A single key column's value as text ({@code 42}); several columns' values joined by {@code ,}
   * in column order, each with {@code %} and {@code ,} percent-escaped so distinct keys stay
   * distinct.
   */
  static String defaultKey(Map<String, Object> keyColumns) {
    if (keyColumns.size() == 1) {
      return String.valueOf(keyColumns.values().iterator().next());
    }
    StringBuilder key = new StringBuilder();
    for (Object value : keyColumns.values()) {
      if (key.length() > 0) {
        key.append(',');
      }
      key.append(String.valueOf(value).replace("%", "%25").replace(",", "%2C"));
    }
    return Objects.requireNonNull(key.toString());
  }
}
