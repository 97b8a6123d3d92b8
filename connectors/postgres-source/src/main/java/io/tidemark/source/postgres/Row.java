package io.tidemark.source.postgres;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An unmodifiable row image: column → value in column order, null values allowed. The column names
 * and their index are shared by every row of one table schema, so a row costs one array; a {@code
 * LinkedHashMap} would cost an entry object per column, for every change at tens of thousands of
 * changes per second. Equal to any {@link Map} with the same entries.
 */
final class Row extends AbstractMap<String, Object> {

  /** The columns of one schema, in order, with a name → position index. */
  static final class Columns {
    final String[] names;
    private final Map<String, Integer> positions;

    Columns(String[] names) {
      this.names = names.clone();
      this.positions = new HashMap<>(names.length * 2);
      for (int i = 0; i < names.length; i++) {
        positions.put(names[i], i);
      }
    }

    int position(Object name) {
      Integer i = positions.get(name);
      return i == null ? -1 : i;
    }
  }

  private final Columns columns;
  private final Object[] values;
  private final String unavailableColumn;
  private Set<Entry<String, Object>> entries;

  /**
   * Takes ownership of {@code values}, one per column.
   *
   * @param unavailableColumn a column whose value is Debezium's placeholder for a TOASTed value it
   *     did not receive, or null
   */
  Row(Columns columns, Object[] values, String unavailableColumn) {
    if (values.length != columns.names.length) {
      throw new IllegalArgumentException(
          values.length + " values for " + columns.names.length + " columns");
    }
    this.columns = columns;
    this.values = values;
    this.unavailableColumn = unavailableColumn;
  }

  /** A column holding Debezium's placeholder instead of its value, or null. */
  String unavailableColumn() {
    return unavailableColumn;
  }

  @Override
  public int size() {
    return values.length;
  }

  @Override
  public boolean containsKey(Object key) {
    return columns.position(key) >= 0;
  }

  @Override
  public Object get(Object key) {
    int i = columns.position(key);
    return i < 0 ? null : values[i];
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    Set<Entry<String, Object>> set = entries;
    if (set == null) {
      set =
          new AbstractSet<>() {
            @Override
            public int size() {
              return values.length;
            }

            @Override
            public Iterator<Entry<String, Object>> iterator() {
              return new Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                  return next < values.length;
                }

                @Override
                public Entry<String, Object> next() {
                  if (next >= values.length) {
                    throw new NoSuchElementException();
                  }
                  int i = next++;
                  return new SimpleImmutableEntry<>(columns.names[i], values[i]);
                }
              };
            }
          };
      entries = set;
    }
    return set;
  }
}
