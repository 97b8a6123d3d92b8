package io.tidemark.source.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a {@link PostgresSource} needs, validated once when built. Build it with {@link
 * PostgresSource#builder()}; a bad value is rejected with its key, the value and what would be
 * valid.
 *
 * @param name the source's name in versions and tokens, e.g. {@code listings}; letters, digits and
 *     {@code _}
 * @param jdbcUrl {@code jdbc:postgresql://host[:port]/database}
 * @param user a role with the REPLICATION attribute (or a superuser)
 * @param password its password; masked in {@link #toString()}
 * @param tables captured table ({@code schema.table}) → collection name, in capture order
 * @param slotName the logical replication slot, one per source
 * @param publicationName the publication holding the captured tables and the heartbeat table
 * @param offsetFile where Debezium's offsets are kept across restarts, one file per source; only
 *     offsets at or below an acknowledged version are ever written there
 * @param heartbeatInterval how often an idle source emits a progress event
 * @param heartbeatTable the captured table ({@code schema.table}) that heartbeats upsert into
 * @param snapshotMode what happens to rows that exist before the first start
 * @param snapshotChunkSize rows per delivered chunk of the initial snapshot
 * @param replicaIdentity what to do with a captured table whose replica identity is not FULL
 * @param dropSlotOnStop drop the slot (and the offset file, which means nothing without it) on
 *     {@link PostgresSource#close()}
 */
public record PostgresSourceConfig(
    String name,
    String jdbcUrl,
    String user,
    String password,
    Map<String, String> tables,
    String slotName,
    String publicationName,
    Path offsetFile,
    Duration heartbeatInterval,
    String heartbeatTable,
    SnapshotMode snapshotMode,
    int snapshotChunkSize,
    ReplicaIdentity replicaIdentity,
    boolean dropSlotOnStop) {

  /** What to do with the rows a table holds before the source's first start. */
  public enum SnapshotMode {
    /**
     * Deliver every existing row once, all at one version (the slot's consistent point), in chunks,
     * then the live stream from just after that point.
     */
    INITIAL,
    /** Existing rows are not delivered; only changes committed after the slot was created. */
    NO_DATA
  }

  /**
   * A captured table must have {@code REPLICA IDENTITY FULL}: otherwise an update that leaves a
   * large (TOASTed) column unchanged carries a placeholder instead of the column's value.
   */
  public enum ReplicaIdentity {
    /** Run {@code ALTER TABLE ... REPLICA IDENTITY FULL} on start where needed. */
    SET_FULL,
    /** Refuse to start, naming the tables and the statement to run. */
    REQUIRE_FULL
  }

  static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(100);
  static final String DEFAULT_HEARTBEAT_TABLE = "public.tidemark_heartbeat";
  static final int DEFAULT_SNAPSHOT_CHUNK_SIZE = 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
  private static final Pattern JDBC_URL =
      Pattern.compile("jdbc:postgresql://([^/:?,\\[\\]]+)(?::(\\d{1,5}))?/([^/?]+)(\\?.*)?");

  public PostgresSourceConfig {
    name = require("name", name);
    if (!NAME.matcher(name).matches()) {
      throw bad("name", name, "letters, digits and _ (1-63), starting with a letter or _");
    }
    jdbcUrl = require("jdbcUrl", jdbcUrl);
    if (!JDBC_URL.matcher(jdbcUrl).matches()) {
      throw bad("jdbcUrl", jdbcUrl, "jdbc:postgresql://host[:port]/database (one host)");
    }
    user = require("user", user);
    password = password == null ? "" : password;
    Objects.requireNonNull(tables, "tables");
    if (tables.isEmpty()) {
      throw bad("tables", tables, "at least one table, e.g. public.ads");
    }
    Map<String, String> qualified = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : tables.entrySet()) {
      String table = qualify("tables", e.getKey());
      String collection = e.getValue();
      if (collection == null || collection.isBlank()) {
        throw bad("tables", e, "a non-blank collection name for " + table);
      }
      if (qualified.containsValue(collection)) {
        throw bad("tables", tables, "one table per collection; '" + collection + "' is repeated");
      }
      if (qualified.put(table, collection) != null) {
        throw bad("tables", tables, "each table once; " + table + " is repeated");
      }
    }
    tables = java.util.Collections.unmodifiableMap(qualified);
    slotName = slotName == null ? "tidemark_" + name.toLowerCase(java.util.Locale.ROOT) : slotName;
    if (!Pattern.matches("[a-z0-9_]{1,63}", slotName)) {
      throw bad(
          "slotName", slotName, "lower-case letters, digits and _ (1-63), as PostgreSQL requires");
    }
    publicationName = publicationName == null ? slotName : publicationName;
    if (!IDENTIFIER.matcher(publicationName).matches()) {
      throw bad("publicationName", publicationName, "letters, digits, _ and $ (1-63)");
    }
    Objects.requireNonNull(offsetFile, "offsetFile");
    heartbeatInterval = heartbeatInterval == null ? DEFAULT_HEARTBEAT_INTERVAL : heartbeatInterval;
    if (heartbeatInterval.toMillis() < 1 || heartbeatInterval.compareTo(Duration.ofHours(1)) > 0) {
      throw bad(
          "heartbeatInterval",
          heartbeatInterval,
          "1 ms to 1 h; heartbeats cannot be off: they move an idle source's version forward");
    }
    heartbeatTable =
        qualify(
            "heartbeatTable", heartbeatTable == null ? DEFAULT_HEARTBEAT_TABLE : heartbeatTable);
    if (tables.containsKey(heartbeatTable)) {
      throw bad("heartbeatTable", heartbeatTable, "a table that is not also a captured table");
    }
    snapshotMode = snapshotMode == null ? SnapshotMode.INITIAL : snapshotMode;
    if (snapshotChunkSize < 1 || snapshotChunkSize > 1_000_000) {
      throw bad("snapshotChunkSize", snapshotChunkSize, "1 to 1000000 rows");
    }
    replicaIdentity = replicaIdentity == null ? ReplicaIdentity.REQUIRE_FULL : replicaIdentity;
  }

  /** Host, port and database of {@link #jdbcUrl}. */
  String host() {
    return urlPart(1);
  }

  int port() {
    String port = urlPart(2);
    return port == null ? 5432 : Integer.parseInt(port);
  }

  String database() {
    return urlPart(3);
  }

  private String urlPart(int group) {
    var m = JDBC_URL.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalStateException("validated jdbcUrl no longer matches: " + jdbcUrl);
    }
    return m.group(group);
  }

  @Override
  public String toString() {
    return "PostgresSourceConfig[name="
        + name
        + ", jdbcUrl="
        + jdbcUrl
        + ", user="
        + user
        + ", password=***, tables="
        + tables
        + ", slotName="
        + slotName
        + ", publicationName="
        + publicationName
        + ", offsetFile="
        + offsetFile
        + ", heartbeatInterval="
        + heartbeatInterval
        + ", heartbeatTable="
        + heartbeatTable
        + ", snapshotMode="
        + snapshotMode
        + ", snapshotChunkSize="
        + snapshotChunkSize
        + ", replicaIdentity="
        + replicaIdentity
        + ", dropSlotOnStop="
        + dropSlotOnStop
        + "]";
  }

  /** {@code table} → {@code public.table}; {@code schema.table} stays. Identifiers only. */
  static String qualify(String key, String table) {
    if (table == null) {
      throw bad(key, null, "schema.table or table (then in schema public)");
    }
    String[] parts = table.split("\\.", -1);
    if (parts.length > 2) {
      throw bad(key, table, "schema.table or table, each part letters, digits, _ and $");
    }
    for (String part : parts) {
      if (!IDENTIFIER.matcher(part).matches()) {
        throw bad(key, table, "schema.table or table, each part letters, digits, _ and $");
      }
    }
    return parts.length == 1 ? "public." + table : table;
  }

  /** The default collection of a table: its name without the schema. */
  static String defaultCollection(String table) {
    String qualified = qualify("tables", table);
    return qualified.substring(qualified.indexOf('.') + 1);
  }

  static Map<String, String> defaultCollections(List<String> tables) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String table : tables) {
      String qualified = qualify("tables", table);
      if (map.put(qualified, defaultCollection(qualified)) != null) {
        throw bad("tables", tables, "each table once; " + qualified + " is repeated");
      }
    }
    return map;
  }

  private static String require(String key, String value) {
    if (value == null || value.isBlank()) {
      throw bad(key, value, "a non-blank value");
    }
    return value;
  }

  private static IllegalArgumentException bad(String key, Object value, String valid) {
    return new IllegalArgumentException("invalid " + key + " '" + value + "': expected " + valid);
  }
}
