package io.tidemark.source.postgres;

import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks the database before Debezium starts, so that a wrong setting fails with a message that
 * says what to change instead of a stack trace from deep inside Debezium, and prepares what the
 * source owns: the heartbeat table, the publication, the replica identity of captured tables (when
 * asked to), and a slot left over from an unfinished first start.
 */
final class Preflight {
  private static final System.Logger LOG = System.getLogger(Preflight.class.getName());
  static final Duration SLOT_RELEASE_WAIT = Duration.ofSeconds(15);

  private final PostgresSourceConfig config;

  Preflight(PostgresSourceConfig config) {
    this.config = config;
  }

  Connection connect() {
    try {
      return DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
    } catch (SQLException e) {
      throw new PostgresSourceException(
          config.name()
              + ": cannot connect to "
              + config.jdbcUrl()
              + " as "
              + config.user()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Runs every check and preparation.
   *
   * @param offsetsExist whether the offset file holds committed offsets from an earlier run
   */
  void run(boolean offsetsExist) {
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      checkWalLevel(c);
      checkReplicationRole(c);
      checkTables(c);
      createHeartbeatTable(c);
      ensurePublication(c);
      checkSlot(c, offsetsExist);
    } catch (SQLException e) {
      throw new PostgresSourceException(
          config.name() + ": preparing " + config.jdbcUrl() + " failed: " + e.getMessage(), e);
    }
  }

  private void checkWalLevel(Connection c) throws SQLException {
    String level = single(c, "SHOW wal_level");
    if (!"logical".equals(level)) {
      throw new PostgresSourceException(
          config.name()
              + ": wal_level is '"
              + level
              + "' on "
              + config.jdbcUrl()
              + "; change capture needs wal_level = logical. Run ALTER SYSTEM SET wal_level ="
              + " logical; then restart PostgreSQL");
    }
  }

  private void checkReplicationRole(Connection c) throws SQLException {
    String allowed =
        single(
            c,
            "SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user");
    if (!"true".equals(allowed)) {
      throw new PostgresSourceException(
          config.name()
              + ": user '"
              + config.user()
              + "' lacks the REPLICATION attribute needed for a replication slot. As a superuser"
              + " run: ALTER ROLE "
              + quote(config.user())
              + " WITH REPLICATION;");
    }
  }

  private void checkTables(Connection c) throws SQLException {
    List<String> missing = new ArrayList<>();
    List<String> withoutKey = new ArrayList<>();
    List<String> notFull = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.relreplident, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND"
                + " i.indisprimary) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
      for (String table : config.tables().keySet()) {
        ps.setString(1, schemaOf(table));
        ps.setString(2, nameOf(table));
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            missing.add(table);
            continue;
          }
          if (!rs.getBoolean(2)) {
            withoutKey.add(table);
          }
          if (!"f".equals(rs.getString(1))) {
            notFull.add(table);
          }
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new PostgresSourceException(
          config.name()
              + ": configured table(s) "
              + missing
              + " do not exist in database "
              + config.database()
              + "; tables there: "
              + existingTables(c, missing)
              + ". Create them or fix the source's tables setting");
    }
    if (!withoutKey.isEmpty()) {
      throw new PostgresSourceException(
          config.name()
              + ": table(s) "
              + withoutKey
              + " have no primary key; every change is keyed by the primary key. Add one (ALTER"
              + " TABLE ... ADD PRIMARY KEY (...)) or stop capturing the table");
    }
    if (notFull.isEmpty()) {
      return;
    }
    if (config.replicaIdentity() == ReplicaIdentity.REQUIRE_FULL) {
      StringBuilder statements = new StringBuilder();
      for (String table : notFull) {
        statements
            .append(" ALTER TABLE ")
            .append(qualified(table))
            .append(" REPLICA IDENTITY FULL;");
      }
      throw new PostgresSourceException(
          config.name()
              + ": table(s) "
              + notFull
              + " lack REPLICA IDENTITY FULL, so an update that leaves a large (TOASTed) column"
              + " unchanged would arrive without that column's value. Run:"
              + statements
              + " or build the source with replicaIdentity(SET_FULL)");
    }
    try (Statement s = c.createStatement()) {
      for (String table : notFull) {
        LOG.log(Level.INFO, config.name() + ": setting REPLICA IDENTITY FULL on " + table);
        s.execute("ALTER TABLE " + qualified(table) + " REPLICA IDENTITY FULL");
      }
    }
  }

  private String existingTables(Connection c, List<String> missing) throws SQLException {
    Set<String> schemas = new LinkedHashSet<>();
    missing.forEach(t -> schemas.add(schemaOf(t)));
    Set<String> names = new TreeSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid ="
                + " c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p')")) {
      for (String schema : schemas) {
        ps.setString(1, schema);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            names.add(rs.getString(1));
          }
        }
      }
    }
    if (names.isEmpty()) {
      return "none in schema(s) " + schemas;
    }
    List<String> shown = new ArrayList<>(names).subList(0, Math.min(names.size(), 20));
    return shown + (names.size() > shown.size() ? " and " + (names.size() - 20) + " more" : "");
  }

  private void createHeartbeatTable(Connection c) throws SQLException {
    String table = config.heartbeatTable();
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + qualified(table)
              + " (source text PRIMARY KEY, beat_at timestamptz NOT NULL)");
    } catch (SQLException e) {
      // Two sources creating it at the same moment: one wins, the other sees a duplicate type.
      if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
        throw e;
      }
    }
  }

  /** The upsert Debezium runs on every heartbeat: a captured transaction on an idle source. */
  String heartbeatQuery() {
    return "INSERT INTO "
        + qualified(config.heartbeatTable())
        + " (source, beat_at) VALUES ('"
        + config.name()
        + "', now()) ON CONFLICT (source) DO UPDATE SET beat_at = EXCLUDED.beat_at";
  }

  private void ensurePublication(Connection c) throws SQLException {
    Set<String> wanted = new TreeSet<>(config.tables().keySet());
    wanted.add(config.heartbeatTable());
    String tableList = String.join(", ", wanted.stream().map(Preflight::qualified).toList());
    Boolean allTables = null;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT puballtables FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, config.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          allTables = rs.getBoolean(1);
        }
      }
    }
    try (Statement s = c.createStatement()) {
      if (allTables == null) {
        s.execute(
            "CREATE PUBLICATION " + quote(config.publicationName()) + " FOR TABLE " + tableList);
        return;
      }
      if (allTables) {
        return; // FOR ALL TABLES covers ours; Debezium filters the rest
      }
      Set<String> present = new TreeSet<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname ="
                  + " ?")) {
        ps.setString(1, config.publicationName());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            present.add(rs.getString(1));
          }
        }
      }
      if (!present.equals(wanted)) {
        LOG.log(
            Level.INFO,
            config.name()
                + ": publication "
                + config.publicationName()
                + " holds "
                + present
                + "; setting it to "
                + wanted);
        s.execute(
            "ALTER PUBLICATION " + quote(config.publicationName()) + " SET TABLE " + tableList);
      }
    }
  }

  private void checkSlot(Connection c, boolean offsetsExist) throws SQLException {
    SlotState slot = slot(c);
    if (slot == null) {
      if (offsetsExist) {
        throw new PostgresSourceException(
            config.name()
                + ": the offset file "
                + config.offsetFile()
                + " holds a position in replication slot '"
                + config.slotName()
                + "', but that slot does not exist (dropped, or another database). The changes"
                + " since that position are gone from the slot; to start over with a new snapshot,"
                + " delete the offset file and start with snapshotMode INITIAL");
      }
      return;
    }
    if (!"pgoutput".equals(slot.plugin) || !config.database().equals(slot.database)) {
      throw new PostgresSourceException(
          config.name()
              + ": replication slot '"
              + config.slotName()
              + "' exists for plugin "
              + slot.plugin
              + " in database "
              + slot.database
              + "; this source needs a pgoutput slot in "
              + config.database()
              + ". Choose another slotName, or drop it: SELECT pg_drop_replication_slot('"
              + config.slotName()
              + "');");
    }
    if (slot.active) {
      slot = awaitInactive(c);
    }
    if (!offsetsExist && config.snapshotMode() == SnapshotMode.INITIAL) {
      // A first start that never got its snapshot acknowledged. The slot's exported snapshot is
      // gone with the session that created it, so a consistent snapshot needs a new slot.
      LOG.log(
          Level.INFO,
          config.name()
              + ": slot "
              + config.slotName()
              + " exists but no offset was ever committed (an earlier first start did not finish"
              + " its snapshot); recreating the slot for a consistent snapshot");
      dropSlot(c);
    }
  }

  private SlotState awaitInactive(Connection c) throws SQLException {
    long deadline = System.nanoTime() + SLOT_RELEASE_WAIT.toNanos();
    SlotState slot = slot(c);
    // A crashed engine's walsender lingers until PostgreSQL notices the closed connection.
    while (slot != null && slot.active && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PostgresSourceException(config.name() + ": interrupted while waiting for slot");
      }
      slot = slot(c);
    }
    if (slot != null && slot.active) {
      throw new PostgresSourceException(
          config.name()
              + ": replication slot '"
              + config.slotName()
              + "' is in use by process "
              + slot.activePid
              + " (another engine with the same slotName?) and was not released within "
              + SLOT_RELEASE_WAIT.toSeconds()
              + " s. Stop that engine, or give this source its own slotName");
    }
    return slot;
  }

  /** Drops the slot if it exists, waiting for its walsender to let go first. */
  void dropSlot() {
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      if (slot(c) != null) {
        awaitInactive(c);
        dropSlot(c);
      }
    } catch (SQLException e) {
      throw new PostgresSourceException(
          config.name() + ": cannot drop replication slot " + config.slotName() + ": " + e, e);
    }
  }

  private void dropSlot(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name"
                + " = ?")) {
      ps.setString(1, config.slotName());
      ps.execute();
    }
  }

  private record SlotState(String plugin, String database, boolean active, Integer activePid) {}

  private SlotState slot(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT plugin, database, active, active_pid FROM pg_replication_slots WHERE"
                + " slot_name = ?")) {
      ps.setString(1, config.slotName());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int pid = rs.getInt(4);
        return new SlotState(
            rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.wasNull() ? null : pid);
      }
    }
  }

  private static String single(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static String schemaOf(String qualifiedTable) {
    return qualifiedTable.substring(0, qualifiedTable.indexOf('.'));
  }

  static String nameOf(String qualifiedTable) {
    return qualifiedTable.substring(qualifiedTable.indexOf('.') + 1);
  }

  /** {@code schema.table} as a quoted SQL name. */
  static String qualified(String qualifiedTable) {
    return quote(schemaOf(qualifiedTable)) + "." + quote(nameOf(qualifiedTable));
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
