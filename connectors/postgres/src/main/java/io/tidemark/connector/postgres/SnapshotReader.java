package io.tidemark.connector.postgres;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.VersionRange;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads on the shared connection pool; safe from any number of threads. A table that does not exist
 * yet holds nothing: reads answer absent, purge removes nothing.
 */
final class SnapshotReader implements AutoCloseable {

  private static final String UNDEFINED_TABLE = "42P01";

  private final PostgresStoreConfig config;
  private final Layout layout;
  private final JsonCodec codec;
  private final ConnectionPool pool;

  SnapshotReader(PostgresStoreConfig config, Layout layout, JsonCodec codec) {
    this.config = config;
    this.layout = layout;
    this.codec = codec;
    this.pool = new ConnectionPool(config, config.poolSize());
  }

  Lookup get(String collection, String key, Version at) {
    String sql = layout.readAt(collection);
    String version = at.toString();
    return lookup(
        collection,
        key,
        sql,
        ps -> {
          ps.setString(1, version);
          ps.setString(2, key);
        });
  }

  Lookup latest(String collection, String key) {
    return lookup(collection, key, layout.readLatest(collection), ps -> ps.setString(1, key));
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private Lookup lookup(String collection, String key, String sql, Binder binder) {
    if (key.indexOf('\0') >= 0) {
      // PostgreSQL text cannot hold NUL, so no stored row has this key; the server would reject
      // the parameter, which is not an outage.
      return Lookup.absent();
    }
    try {
      return pool.call(
          c -> {
            // Kept per connection: a read is then one bind and execute, no statement to create.
            PreparedStatement ps = pool.prepared(c, sql);
            try {
              binder.bind(ps);
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                  return Lookup.absent();
                }
                VersionRange range =
                    new VersionRange(
                        Version.parse(rs.getString(1)), Version.parse(rs.getString(2)));
                return Lookup.found(new Entry(key, range, codec.read(rs.getString(3))));
              }
            } catch (SQLException e) {
              pool.forget(c, sql);
              if (UNDEFINED_TABLE.equals(e.getSQLState())) {
                return Lookup.absent();
              }
              throw e;
            }
          });
    } catch (SQLException e) {
      throw unavailable("read of '" + key + "' in collection '" + collection + "'", e);
    }
  }

  Stamp watermark() {
    try {
      return pool.call(
          c -> {
            try (PreparedStatement ps = c.prepareStatement(layout.readWatermarks());
                ResultSet rs = ps.executeQuery()) {
              Map<String, Version> versions = new LinkedHashMap<>();
              while (rs.next()) {
                versions.put(rs.getString(1), Version.parse(rs.getString(2)));
              }
              return Stamp.of(versions);
            } catch (SQLException e) {
              if (UNDEFINED_TABLE.equals(e.getSQLState())) {
                return Stamp.empty();
              }
              throw e;
            }
          });
    } catch (SQLException e) {
      throw unavailable("read of the watermarks", e);
    }
  }

  long purge(String collection, Version horizon) {
    try {
      return pool.call(
          c -> {
            try (PreparedStatement ps = c.prepareStatement(layout.purge(collection))) {
              ps.setString(1, horizon.toString());
              return ps.executeLargeUpdate();
            } catch (SQLException e) {
              if (UNDEFINED_TABLE.equals(e.getSQLState())) {
                return 0L;
              }
              throw e;
            }
          });
    } catch (SQLException e) {
      throw unavailable("purge of collection '" + collection + "' at horizon " + horizon, e);
    }
  }

  /** Every entry visible at {@code at}, in key order (byte order), read with a cursor. */
  void scan(String collection, Version at, java.util.function.Consumer<Entry> each) {
    String sql =
        "SELECT key, _tm_from::text AS from_text, _tm_to::text AS to_text, doc::text AS doc_text"
            + " FROM "
            + layout.names().qualified(collection)
            + " WHERE _tm_from <= ?::pg_lsn AND _tm_to > ?::pg_lsn ORDER BY key";
    try {
      pool.call(
          c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // a cursor (fetch size) needs a transaction
            try (PreparedStatement ps = c.prepareStatement(sql)) {
              ps.setFetchSize(5_000);
              ps.setString(1, at.toString());
              ps.setString(2, at.toString());
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  VersionRange range =
                      new VersionRange(
                          Version.parse(rs.getString(2)), Version.parse(rs.getString(3)));
                  each.accept(new Entry(rs.getString(1), range, codec.read(rs.getString(4))));
                }
              }
              c.commit();
            } catch (SQLException e) {
              c.rollback();
              if (!UNDEFINED_TABLE.equals(e.getSQLState())) {
                throw e;
              }
            } finally {
              c.setAutoCommit(autoCommit);
            }
            return null;
          });
    } catch (SQLException e) {
      throw unavailable("scan of collection '" + collection + "' at " + at, e);
    }
  }

  /** Drops the collection's table and deletes every watermark (a store rebuilt from scratch). */
  void clear(String collection) {
    try {
      pool.call(
          c -> {
            try (java.sql.Statement st = c.createStatement()) {
              st.execute("DROP TABLE IF EXISTS " + layout.names().qualified(collection));
              st.execute(
                  "DO $$ BEGIN IF to_regclass('"
                      + layout.names().qualifiedWatermarks().replace("'", "''")
                      + "') IS NOT NULL THEN DELETE FROM "
                      + layout.names().qualifiedWatermarks()
                      + "; END IF; END $$");
            }
            return null;
          });
    } catch (SQLException e) {
      throw unavailable("clearing collection '" + collection + "'", e);
    }
  }

  private StoreUnavailableException unavailable(String what, SQLException e) {
    return new StoreUnavailableException(
        config.storeName(), what + " failed: " + SqlErrors.describe(e), e);
  }

  @Override
  public void close() {
    pool.close();
  }
}
