package io.tidemark.connector.postgres;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach the read database and where to put the versioned tables.
 *
 * @param jdbcUrl {@code jdbc:postgresql://HOST:PORT/DATABASE}
 * @param user the role that owns the tables (needs CREATE on the schema the first time)
 * @param password its password; may be empty (trust or peer authentication); never logged
 * @param schema the schema holding the collection tables and {@code tidemark_watermark}; created
 *     when missing
 * @param storeName the store's name in the deployment (e.g. {@code readdb}), used in error messages
 *     and as the connections' {@code application_name}
 * @param poolSize how many connections readers share (1 to 64); the writer has one more of its own
 * @param tables table names chosen per collection; a collection not listed gets {@code
 *     tm_<collection>}, sanitized (see {@link PostgresStore})
 */
public record PostgresStoreConfig(
    String jdbcUrl,
    String user,
    String password,
    String schema,
    String storeName,
    int poolSize,
    Map<String, String> tables) {

  /** The most connections a reader pool may hold. */
  public static final int MAX_POOL_SIZE = 64;

  /** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
  static final int MAX_IDENTIFIER_BYTES = 63;

  public PostgresStoreConfig {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "jdbcUrl '"
              + jdbcUrl
              + "' is not a PostgreSQL JDBC URL; expected jdbc:postgresql://HOST:PORT/DATABASE");
    }
    requireText("user", user);
    Objects.requireNonNull(password, "password (use \"\" when the server needs none)");
    requireIdentifier("schema", schema);
    requireText("storeName", storeName);
    if (poolSize < 1 || poolSize > MAX_POOL_SIZE) {
      throw new IllegalArgumentException(
          "poolSize " + poolSize + " is out of range; expected 1 to " + MAX_POOL_SIZE);
    }
    Objects.requireNonNull(tables, "tables (use Map.of() for the default names)");
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : tables.entrySet()) {
      requireText("tables key (a collection)", e.getKey());
      requireIdentifier("tables['" + e.getKey() + "']", e.getValue());
      copy.put(e.getKey(), e.getValue());
    }
    tables = java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * Schema {@code public}, store name {@code readdb}, 4 reader connections, default table names.
   */
  public static PostgresStoreConfig of(String jdbcUrl, String user, String password) {
    return new PostgresStoreConfig(jdbcUrl, user, password, "public", "readdb", 4, Map.of());
  }

  public PostgresStoreConfig withSchema(String schema) {
    return new PostgresStoreConfig(jdbcUrl, user, password, schema, storeName, poolSize, tables);
  }

  public PostgresStoreConfig withStoreName(String storeName) {
    return new PostgresStoreConfig(jdbcUrl, user, password, schema, storeName, poolSize, tables);
  }

  public PostgresStoreConfig withPoolSize(int poolSize) {
    return new PostgresStoreConfig(jdbcUrl, user, password, schema, storeName, poolSize, tables);
  }

  /** This configuration with {@code collection} stored in table {@code table}. */
  public PostgresStoreConfig withTable(String collection, String table) {
    Map<String, String> more = new LinkedHashMap<>(tables);
    more.put(collection, table);
    return new PostgresStoreConfig(jdbcUrl, user, password, schema, storeName, poolSize, more);
  }

  /** Never shows the password. */
  @Override
  public String toString() {
    return "PostgresStoreConfig[jdbcUrl="
        + jdbcUrl
        + ", user="
        + user
        + ", password=***, schema="
        + schema
        + ", storeName="
        + storeName
        + ", poolSize="
        + poolSize
        + ", tables="
        + tables
        + "]";
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          name + " is " + (value == null ? "null" : "blank") + "; expected a non-blank name");
    }
  }

  private static void requireIdentifier(String name, String value) {
    requireText(name, value);
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_IDENTIFIER_BYTES || value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          name
              + " '"
              + value
              + "' is not a valid PostgreSQL identifier; expected at most "
              + MAX_IDENTIFIER_BYTES
              + " bytes without NUL characters");
    }
  }
}
