package io.tidemark.connector.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * Names of the tables and indexes of one store: {@code tm_<collection>} when the collection name is
 * already a plain lowercase identifier, otherwise a sanitized form with a hash of the original (so
 * that {@code Ads} and {@code ads} or {@code a-b} and {@code a_b} never share a table).
 */
final class TableNames {

  /** Room left for the index suffixes ({@code _open}, {@code _closed}) under 63 bytes. */
  static final int MAX_TABLE_BYTES = 55;

  private final String schema;
  private final Map<String, String> configured;

  TableNames(String schema, Map<String, String> configured) {
    this.schema = schema;
    this.configured = configured;
  }

  /** The unquoted table name for a collection. */
  String table(String collection) {
    String name = configured.get(collection);
    return name != null ? name : sanitized(collection);
  }

  /** {@code "schema"."table"}. */
  String qualified(String collection) {
    return quote(schema) + "." + quote(table(collection));
  }

  String qualifiedWatermarks() {
    return quote(schema) + "." + quote("tidemark_watermark");
  }

  String quotedSchema() {
    return quote(schema);
  }

  /** An index name derived from a table name, at most 63 bytes. */
  static String indexName(String table, String suffix) {
    String name = table + "_" + suffix;
    if (name.getBytes(StandardCharsets.UTF_8).length <= PostgresStoreConfig.MAX_IDENTIFIER_BYTES) {
      return name;
    }
    return "tm_" + hash(table) + "_" + suffix;
  }

  static String sanitized(String collection) {
    if (collection.matches("[a-z_][a-z0-9_]*")
        && ("tm_" + collection).length() <= MAX_TABLE_BYTES) {
      return "tm_" + collection;
    }
    String plain = collection.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String suffix = "_" + hash(collection);
    int room = MAX_TABLE_BYTES - "tm_".length() - suffix.length();
    if (plain.length() > room) {
      plain = plain.substring(0, room);
    }
    return "tm_" + plain + suffix;
  }

  /** A PostgreSQL quoted identifier. */
  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }
}
