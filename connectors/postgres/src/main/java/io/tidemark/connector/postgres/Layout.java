package io.tidemark.connector.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The versioned table layout (design §4) and the SQL that reads and writes it.
 *
 * <pre>
 * CREATE TABLE "schema"."tm_ads" (
 *   key      text COLLATE "C" NOT NULL,
 *   _tm_from pg_lsn NOT NULL,                              -- the epoch that wrote this entry
 *   _tm_to   pg_lsn NOT NULL DEFAULT 'FFFFFFFF/FFFFFFFF',  -- the epoch that replaced it; open
 *   doc      jsonb NOT NULL,
 *   PRIMARY KEY (key, _tm_from));                          -- snapshot reads: key = ? AND _tm_from &lt;= S
 * CREATE UNIQUE INDEX tm_ads_open ON tm_ads (key) WHERE _tm_to = 'FFFFFFFF/FFFFFFFF';  -- latest, closing
 * CREATE INDEX tm_ads_closed ON tm_ads (_tm_to) WHERE _tm_to &lt;&gt; 'FFFFFFFF/FFFFFFFF'; -- purge
 * CREATE TABLE "schema"."tidemark_watermark" (source text PRIMARY KEY, version pg_lsn NOT NULL);
 * </pre>
 *
 * Deletions only close the key's open entry; a read at S finds no entry then, which the read
 * database (authoritative) answers as absent. The key column uses the C collation: keys compare
 * byte-wise, which is cheaper and the same on every server.
 */
final class Layout {

  static final String OPEN = "'FFFFFFFF/FFFFFFFF'";

  private final TableNames names;
  private final Set<String> readyTables = ConcurrentHashMap.newKeySet();
  private final Map<String, String> readAt = new ConcurrentHashMap<>();
  private final Map<String, String> readLatest = new ConcurrentHashMap<>();
  private volatile boolean baseReady;

  Layout(TableNames names) {
    this.names = names;
  }

  TableNames names() {
    return names;
  }

  /** Creates the schema and the watermark table once; {@code connection} in autocommit mode. */
  void ensureBase(Connection connection) throws SQLException {
    if (baseReady) {
      return;
    }
    ddl(
        connection,
        "CREATE SCHEMA IF NOT EXISTS " + names.quotedSchema(),
        "CREATE TABLE IF NOT EXISTS "
            + names.qualifiedWatermarks()
            + " (source text PRIMARY KEY, version pg_lsn NOT NULL)");
    baseReady = true;
  }

  /** Creates a collection's table and indexes once; {@code connection} in autocommit mode. */
  void ensureTable(Connection connection, String collection) throws SQLException {
    if (readyTables.contains(collection)) {
      return;
    }
    ensureBase(connection);
    String table = names.table(collection);
    String qualified = names.qualified(collection);
    ddl(
        connection,
        "CREATE TABLE IF NOT EXISTS "
            + qualified
            + " (key text COLLATE \"C\" NOT NULL, _tm_from pg_lsn NOT NULL,"
            + " _tm_to pg_lsn NOT NULL DEFAULT "
            + OPEN
            + ", doc jsonb NOT NULL, PRIMARY KEY (key, _tm_from))",
        "CREATE UNIQUE INDEX IF NOT EXISTS "
            + TableNames.quote(TableNames.indexName(table, "open"))
            + " ON "
            + qualified
            + " (key) WHERE _tm_to = "
            + OPEN,
        "CREATE INDEX IF NOT EXISTS "
            + TableNames.quote(TableNames.indexName(table, "closed"))
            + " ON "
            + qualified
            + " (_tm_to) WHERE _tm_to <> "
            + OPEN);
    readyTables.add(collection);
  }

  /**
   * Runs DDL statements; a concurrent creator of the same objects (another process) can make {@code
   * IF NOT EXISTS} fail with a duplicate error, so that is tried once more.
   */
  private static void ddl(Connection connection, String... statements) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(true);
    try (Statement st = connection.createStatement()) {
      for (String sql : statements) {
        try {
          st.execute(sql);
        } catch (SQLException e) {
          String state = SqlErrors.sqlState(e);
          if (!"23505".equals(state) && !"42P07".equals(state) && !"42P06".equals(state)) {
            throw e;
          }
          st.execute(sql);
        }
      }
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** Parameters: version, keys (text[]), version. */
  String closeOpenEntries(String collection) {
    return "UPDATE "
        + names.qualified(collection)
        + " SET _tm_to = ?::pg_lsn WHERE key = ANY(?::text[]) AND _tm_to = "
        + OPEN
        + " AND _tm_from < ?::pg_lsn";
  }

  /** Parameters: version, keys (text[]), documents (text[] of JSON). */
  String insertEntries(String collection) {
    return "INSERT INTO "
        + names.qualified(collection)
        + " (key, _tm_from, _tm_to, doc) SELECT k, ?::pg_lsn, "
        + OPEN
        + ", d::jsonb FROM unnest(?::text[], ?::text[]) AS u(k, d)"
        + " ON CONFLICT (key, _tm_from) DO NOTHING";
  }

  /**
   * Parameters: source, version. Returns a row only when the watermark moved up: no row means the
   * epoch is at or below it (already applied). Locks the source's row until the transaction ends,
   * so two writers of one source serialize.
   */
  String advanceWatermark() {
    String table = names.qualifiedWatermarks();
    return "INSERT INTO "
        + table
        + " AS w (source, version) VALUES (?, ?::pg_lsn) ON CONFLICT (source) DO UPDATE"
        + " SET version = EXCLUDED.version WHERE w.version < EXCLUDED.version RETURNING 1";
  }

  /** Parameters: source, version. A row when the watermark is at or above the version. */
  String watermarkAtOrAbove() {
    return "SELECT 1 FROM "
        + names.qualifiedWatermarks()
        + " WHERE source = ? AND version >= ?::pg_lsn";
  }

  String readWatermarks() {
    return "SELECT source, version::text FROM " + names.qualifiedWatermarks();
  }

  /**
   * Parameters: at, key. S is bound once and the output columns are the stored types, not text
   * casts: measured on the benchmark's table, both shave a few microseconds off a 25-50 µs read
   * (pgjdbc reads a pg_lsn or jsonb column as its text form anyway). The output columns have names
   * of their own, so {@code ORDER BY _tm_from} is the table's column and the backward index scan
   * stops at the first match. Built once per collection.
   */
  String readAt(String collection) {
    return readAt.computeIfAbsent(
        collection,
        c ->
            "SELECT t._tm_from AS from_lsn, t._tm_to AS to_lsn, t.doc AS doc_json FROM "
                + names.qualified(c)
                + " t, (SELECT ?::pg_lsn AS at) s"
                + " WHERE t.key = ? AND t._tm_from <= s.at AND t._tm_to > s.at"
                + " ORDER BY t._tm_from DESC LIMIT 1");
  }

  /** Parameters: key. Built once per collection. */
  String readLatest(String collection) {
    return readLatest.computeIfAbsent(
        collection,
        c ->
            "SELECT _tm_from AS from_lsn, _tm_to AS to_lsn, doc AS doc_json FROM "
                + names.qualified(c)
                + " WHERE key = ? AND _tm_to = "
                + OPEN);
  }

  /** Parameters: horizon. */
  String purge(String collection) {
    // The redundant "<> open" lets the planner use the partial index of closed entries.
    return "DELETE FROM "
        + names.qualified(collection)
        + " WHERE _tm_to <= ?::pg_lsn AND _tm_to <> "
        + OPEN;
  }
}
