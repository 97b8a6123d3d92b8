package io.tidemark.source.postgres;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The shared devstack PostgreSQL, with small JDBC helpers for the tests. */
final class Pg {
  private static final AtomicInteger NAMES = new AtomicInteger();

  private Pg() {}

  static PostgresInfo info() {
    return Devstack.shared(StoreKind.POSTGRES).postgres();
  }

  static Connection connect() throws SQLException {
    PostgresInfo pg = info();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  static void exec(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  static List<List<Object>> query(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<List<Object>> rows = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getObject(i));
        }
        rows.add(row);
      }
      return rows;
    }
  }

  /** A name no other test in this JVM uses: slots, publications, tables. */
  static String unique(String prefix) {
    return prefix + "_" + ProcessHandle.current().pid() + "_" + NAMES.incrementAndGet();
  }

  /** Slot names of this JVM's tests still present (a leftover pins WAL forever). */
  static List<String> leftoverSlots() throws SQLException {
    List<String> slots = new ArrayList<>();
    for (List<Object> row : query("SELECT slot_name FROM pg_replication_slots")) {
      slots.add((String) row.get(0));
    }
    return slots;
  }

  /** Drops a slot (waiting for its walsender) and a publication, if present. */
  static void dropSlotAndPublication(String slot, String publication) throws SQLException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      try {
        exec(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                + slot
                + "'");
        break;
      } catch (SQLException e) {
        // 55006: the slot is still active; its walsender has not noticed the engine is gone.
        if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    exec("DROP PUBLICATION IF EXISTS " + publication);
  }
}
