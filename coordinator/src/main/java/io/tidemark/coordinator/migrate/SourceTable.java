package io.tidemark.coordinator.migrate;

import io.tidemark.coordinator.JsonValues;
import io.tidemark.protocol.Projection;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A captured table read straight from the source with JDBC, its values turned into the same Java
 * types the Debezium source delivers (see the postgres-source package comment) and then into
 * JSON-shaped values like the coordinator does, so that a row read here projects to exactly the
 * document a store holds.
 */
final class SourceTable {

  private final String table;
  private final List<String> keyColumns;

  private SourceTable(String table, List<String> keyColumns) {
    this.table = table;
    this.keyColumns = List.copyOf(keyColumns);
  }

  /** The table ({@code schema.table}) and its primary key columns, read from the catalog. */
  static SourceTable of(Connection c, String table) throws SQLException {
    List<String> keys = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname FROM pg_index i"
                + " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY k.ord")) {
      ps.setString(1, quoted(table));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys.add(rs.getString(1));
        }
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(
          "table " + table + " has no primary key; Tidemark captures only tables that have one");
    }
    return new SourceTable(table, keys);
  }

  String table() {
    return table;
  }

  List<String> keyColumns() {
    return keyColumns;
  }

  /**
   * Calls {@code each(key, row)} for every row, in the transaction {@code c} is in (the caller
   * picks the snapshot), with JSON-shaped values.
   */
  void read(Connection c, BiConsumer<String, Map<String, Object>> each) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + quoted(table))) {
      ps.setFetchSize(5_000);
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData meta = rs.getMetaData();
        int columns = meta.getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>(columns * 2);
          for (int i = 1; i <= columns; i++) {
            row.put(meta.getColumnName(i), value(rs, i, meta.getColumnTypeName(i)));
          }
          Map<String, Object> key = new LinkedHashMap<>();
          for (String column : keyColumns) {
            key.put(column, row.get(column));
          }
          each.accept(Projection.defaultKey(key), JsonValues.row(row));
        }
      }
    }
  }

  /** One column's value as the Debezium source gives it. */
  private static Object value(ResultSet rs, int i, String type) throws SQLException {
    Object raw = rs.getObject(i);
    if (raw == null) {
      return null;
    }
    switch (type.toLowerCase(Locale.ROOT)) {
      case "int2":
      case "int4":
        return rs.getInt(i);
      case "int8":
        return rs.getLong(i);
      case "numeric":
      case "money":
        return rs.getBigDecimal(i);
      case "float4":
      case "float8":
        return rs.getDouble(i);
      case "bool":
        return rs.getBoolean(i);
      case "bytea":
        return rs.getBytes(i);
      case "date":
        return rs.getObject(i, LocalDate.class);
      case "time":
        return rs.getObject(i, LocalTime.class);
      case "timestamp":
        return rs.getObject(i, LocalDateTime.class);
      case "timestamptz":
        return rs.getObject(i, OffsetDateTime.class).toInstant();
      case "timetz":
        return rs.getObject(i, OffsetTime.class);
      default:
        if (type.startsWith("_")) {
          Array array = rs.getArray(i);
          return array == null ? null : Arrays.asList((Object[]) array.getArray());
        }
        return rs.getString(i);
    }
  }

  /** {@code schema.table} with each part quoted. */
  static String quoted(String table) {
    int dot = table.indexOf('.');
    return quote(table.substring(0, dot)) + "." + quote(table.substring(dot + 1));
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
