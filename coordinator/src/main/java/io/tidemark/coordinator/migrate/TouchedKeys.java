package io.tidemark.coordinator.migrate;

import io.tidemark.protocol.Projection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys of one table that transactions touched, read from the text lines of PostgreSQL's {@code
 * test_decoding} plugin, e.g. {@code table public.ads: UPDATE: old-key: id[bigint]:4 ... new-tuple:
 * id[bigint]:4 title[text]:'x'}. Each tuple's primary key columns give a store key ({@link
 * Projection#defaultKey}). When a key cannot be read exactly (a key column of a type whose text
 * form may differ from the one the pipeline uses, a TRUNCATE, a line that does not parse), the
 * whole table counts as touched: {@link #all()}.
 */
final class TouchedKeys {

  /** Key column types whose test_decoding text is exactly the pipeline's key text. */
  private static final Set<String> EXACT_TYPES =
      Set.of(
          "smallint",
          "integer",
          "bigint",
          "text",
          "character varying",
          "uuid",
          "name",
          "varchar",
          "int2",
          "int4",
          "int8");

  private final String prefix;
  private final List<String> keyColumns;
  private final Set<String> keys = new HashSet<>();
  private boolean all;

  /**
   * @param table the schema-qualified table as test_decoding names it, e.g. {@code public.ads}
   * @param keyColumns its primary key columns, in key order
   */
  TouchedKeys(String table, List<String> keyColumns) {
    this.prefix = "table " + table + ": ";
    this.keyColumns = List.copyOf(keyColumns);
  }

  /** Takes one decoded line; lines of other tables, BEGIN and COMMIT are ignored. */
  void accept(String line) {
    if (all || !line.startsWith(prefix)) {
      return;
    }
    String rest = line.substring(prefix.length());
    int colon = rest.indexOf(": ");
    if (colon < 0) {
      all = true;
      return;
    }
    String operation = rest.substring(0, colon);
    String tuples = rest.substring(colon + 2);
    if (!operation.equals("INSERT") && !operation.equals("UPDATE") && !operation.equals("DELETE")) {
      all = true; // TRUNCATE, or something this reader does not know
      return;
    }
    List<String> parts = new ArrayList<>();
    int newTuple = tuples.indexOf(" new-tuple: ");
    if (tuples.startsWith("old-key: ") && newTuple > 0) {
      parts.add(tuples.substring("old-key: ".length(), newTuple));
      parts.add(tuples.substring(newTuple + " new-tuple: ".length()));
    } else {
      parts.add(tuples);
    }
    for (String tuple : parts) {
      String key = key(tuple);
      if (key == null) {
        all = true;
        return;
      }
      keys.add(key);
    }
  }

  /** The key of one tuple, or null when it cannot be read exactly. */
  private String key(String tuple) {
    Map<String, String> values = new HashMap<>();
    Map<String, String> types = new HashMap<>();
    int i = 0;
    int n = tuple.length();
    while (i < n) {
      while (i < n && tuple.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        break;
      }
      int open = tuple.indexOf('[', i);
      int close = open < 0 ? -1 : tuple.indexOf("]:", open);
      if (open < 0 || close < 0) {
        return null;
      }
      String column = unquoteIdentifier(tuple.substring(i, open));
      String type = tuple.substring(open + 1, close);
      i = close + 2;
      String value;
      if (i < n && tuple.charAt(i) == '\'') {
        StringBuilder text = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            return null;
          }
          char c = tuple.charAt(i);
          if (c == '\'') {
            if (i + 1 < n && tuple.charAt(i + 1) == '\'') {
              text.append('\'');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          text.append(c);
          i++;
        }
        value = text.toString();
      } else {
        int end = tuple.indexOf(' ', i);
        end = end < 0 ? n : end;
        value = tuple.substring(i, end);
        i = end;
        if (value.equals("null")) {
          value = null;
        }
      }
      values.put(column, value);
      types.put(column, type);
    }
    Map<String, Object> key = new LinkedHashMap<>();
    for (String column : keyColumns) {
      String value = values.get(column);
      if (value == null || !EXACT_TYPES.contains(types.get(column))) {
        return null;
      }
      key.put(column, value);
    }
    return Projection.defaultKey(key);
  }

  private static String unquoteIdentifier(String name) {
    return name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")
        ? name.substring(1, name.length() - 1).replace("\"\"", "\"")
        : name;
  }

  /** Whether every key must count as touched. */
  boolean all() {
    return all;
  }

  /** The keys touched (meaningless when {@link #all()}). */
  Set<String> keys() {
    return Set.copyOf(keys);
  }

  /** Whether {@code key} may have been touched. */
  boolean touched(String key) {
    return all || keys.contains(key);
  }
}
