package io.tidemark.coordinator.sidecar;

import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real deployment on devstack for the sidecar's end-to-end tests: a captured source table, a YAML
 * configuration naming all four stores, and writers that commit rows and learn their commit LSN the
 * way a service would ({@code pg_current_wal_insert_lsn()} right after the commit, design §6).
 */
final class Deployment implements AutoCloseable {

  static final String TOKEN = "e2e-secret";

  final Devstack stack = Devstack.shared();
  final String suffix =
      String.format(Locale.ROOT, "%08x", ThreadLocalRandom.current().nextInt() & 0x7fffffff);
  final String collection = "ads_" + suffix;
  final String table = "public.sc_" + suffix;
  final String slot = "tm_sc_" + suffix;
  final Path folder;
  final TidemarkConfig config;

  Deployment() throws IOException, SQLException {
    folder = Files.createTempDirectory("tidemark-sidecar-it");
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE " + table + " (id bigint PRIMARY KEY, title text NOT NULL, n integer)");
      s.execute("CREATE SCHEMA IF NOT EXISTS readdb_" + suffix);
    }
    var pg = stack.postgres();
    String redis = stack.redis().host() + ":" + stack.redis().port();
    String yaml =
        """
        source:
          name: listings
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: %s
          dropSlotOnStop: true
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "sc%s-"}
          cache: {kind: redis, address: "%s"}
          memo: {kind: memcached, address: "%s"}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: readdb_%s}
        collections:
          %s:
            table: %s
            stores: {search: {}, cache: {}, memo: {}, readdb: {}}
        epochs: {maxDuration: 20ms, maxChanges: 2000}
        lanes: {retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms}
        stateDir: "%s"
        sidecar: {host: 127.0.0.1, port: 0, token: %s}
        """
            .formatted(
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                slot,
                stack.elasticsearch().httpUrl(),
                suffix,
                redis,
                stack.memcached().address(),
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                suffix,
                collection,
                table,
                folder.resolve("state"),
                TOKEN);
    Path file = folder.resolve("tidemark.yaml");
    Files.writeString(file, yaml);
    config = ConfigLoader.load(file);
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  /**
   * Upserts a row (or deletes it, with a null title) in its own transaction and returns bounds
   * {lower, upper} on the commit LSN: the insert LSN before and after the commit.
   */
  Version[] commit(Connection c, long id, String title, int n) throws SQLException {
    c.setAutoCommit(false);
    try (var upsert =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " (id, title, n) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    + " title = excluded.title, n = excluded.n");
        var delete = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
      if (title == null) {
        delete.setLong(1, id);
        delete.executeUpdate();
      } else {
        upsert.setLong(1, id);
        upsert.setString(2, title);
        upsert.setInt(3, n);
        upsert.executeUpdate();
      }
      Version lower = walInsertLsn(c);
      c.commit();
      Version upper = walInsertLsn(c); // at or above the commit LSN: the read-your-writes token
      c.commit();
      return new Version[] {lower, upper};
    } catch (SQLException e) {
      c.rollback();
      throw e;
    }
  }

  static Version walInsertLsn(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  @Override
  public void close() throws SQLException, IOException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute("DROP SCHEMA IF EXISTS readdb_" + suffix + " CASCADE");
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
              + slot
              + "' AND NOT active");
    }
    try (var files = Files.walk(folder)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
