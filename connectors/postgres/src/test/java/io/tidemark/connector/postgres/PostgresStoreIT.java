package io.tidemark.connector.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the contract suite cannot see: transactions, rejected documents, outages, the layout. */
class PostgresStoreIT {

  private static final String SOURCE = "listings";
  private static final Version V1 = Version.parse("0/1000");
  private static final Version V2 = Version.parse("0/2000");
  private static final Version V3 = Version.parse("0/3000");

  private static Epoch epoch(Version version, Write... writes) {
    return new Epoch(SOURCE, version, List.of(writes), writes.length);
  }

  private static Map<String, Object> doc(String title) {
    return Map.of("title", title);
  }

  @Test
  void watermarkAndDataCommitTogetherSoAConnectionKilledMidApplyLeavesNeither() throws Exception {
    PostgresInfo info = TestDatabase.info();
    PostgresStoreConfig config = TestDatabase.config(TestDatabase.freshName("killed"));
    try (PostgresStore store = PostgresStore.open(config);
        Connection admin = TestDatabase.connect(info)) {
      assertThat(store.apply(epoch(V1, Write.upsert("ads", "a", doc("one")))).succeeded()).isTrue();
      String table = "\"" + config.schema() + "\".\"" + store.tableName("ads") + "\"";

      // Hold the table so the epoch's transaction stops after advancing the watermark row.
      admin.setAutoCommit(false);
      try (Statement st = admin.createStatement()) {
        st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
      }
      Epoch second =
          epoch(V2, Write.upsert("ads", "a", doc("two")), Write.upsert("ads", "b", doc("new")));
      CompletableFuture<ApplyResult> applying =
          CompletableFuture.supplyAsync(() -> store.apply(second));
      int backend = waitForBlockedBackend(info, "tidemark-" + config.storeName());
      try (Connection killer = TestDatabase.connect(info);
          PreparedStatement ps = killer.prepareStatement("SELECT pg_terminate_backend(?)")) {
        ps.setInt(1, backend);
        ps.executeQuery().close();
      }
      admin.rollback();
      admin.setAutoCommit(true);

      ApplyResult killed = applying.get(60, TimeUnit.SECONDS);
      assertThat(killed.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.RETRYABLE);
      assertThat(killed.results().get(0).reason()).contains(config.storeName());
      // Neither the watermark nor any entry of the killed epoch.
      assertThat(watermarkRow(admin, config.schema())).isEqualTo(V1.toString());
      assertThat(count(admin, "SELECT count(*) FROM " + table + " WHERE _tm_from = '" + V2 + "'"))
          .isZero();
      assertThat(store.latest("ads", "a").document()).contains(doc("one"));
      assertThat(store.get("ads", "b", V2).kind()).isEqualTo(Lookup.Kind.ABSENT);

      // The writer reconnects; the same epoch now applies as a whole: both.
      ApplyResult again = store.apply(second);
      assertThat(again.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.APPLIED);
      assertThat(watermarkRow(admin, config.schema())).isEqualTo(V2.toString());
      assertThat(count(admin, "SELECT count(*) FROM " + table + " WHERE _tm_from = '" + V2 + "'"))
          .isEqualTo(2);
      assertThat(store.get("ads", "a", V1).document()).contains(doc("one"));
      assertThat(store.get("ads", "a", V2).document()).contains(doc("two"));
    }
  }

  @Test
  void aDocumentTheDatabaseRejectsIsFatalNamingTheKeyAndNothingOfTheEpochIsWritten() {
    try (PostgresStore store = PostgresStore.open(TestDatabase.config("readdb"))) {
      assertThat(store.apply(epoch(V1, Write.upsert("ads", "fine", doc("one")))).succeeded())
          .isTrue();
      Epoch poisoned =
          epoch(
              V2,
              Write.upsert("ads", "fine", doc("two")),
              Write.upsert("ads", "poison-42", Map.of("title", "nul \u0000 inside")));
      ApplyResult result = store.apply(poisoned);

      WriteResult fine = result.results().get(0);
      WriteResult poison = result.results().get(1);
      assertThat(poison.outcome()).isEqualTo(WriteOutcome.FATAL);
      assertThat(poison.reason()).contains("poison-42").contains("ads").contains("0/2000");
      assertThat(fine.outcome()).isEqualTo(WriteOutcome.RETRYABLE);
      assertThat(fine.reason()).contains("poison-42");
      assertThat(result.firstFatal()).contains(poison);
      assertThat(store.watermark().get(SOURCE)).contains(V1);
      assertThat(store.latest("ads", "fine").document()).contains(doc("one"));
      assertThat(store.latest("ads", "poison-42").kind()).isEqualTo(Lookup.Kind.ABSENT);

      // A key the database cannot hold (text has no NUL) is named too.
      ApplyResult badKey = store.apply(epoch(V2, Write.upsert("ads", "key\u0000nul", doc("x"))));
      assertThat(badKey.results().get(0).outcome()).isEqualTo(WriteOutcome.FATAL);
      assertThat(badKey.results().get(0).reason()).contains("key");

      // Without the poison the epoch applies.
      assertThat(store.apply(epoch(V2, Write.upsert("ads", "fine", doc("two")))).succeeded())
          .isTrue();
      assertThat(store.latest("ads", "fine").document()).contains(doc("two"));
    }
  }

  @Test
  void anUnreachableDatabaseGivesRetryableResultsAndUnavailableReads() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    PostgresStoreConfig config =
        PostgresStoreConfig.of("jdbc:postgresql://127.0.0.1:" + port + "/none", "u", "secret-pw")
            .withStoreName("readdb-down");
    try (PostgresStore store = PostgresStore.open(config)) {
      ApplyResult result = store.apply(epoch(V1, Write.upsert("ads", "a", doc("one"))));
      assertThat(result.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.RETRYABLE);
      assertThat(result.results().get(0).reason())
          .contains("readdb-down")
          .doesNotContain("secret-pw");
      assertThatThrownBy(() -> store.get("ads", "a", V1))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("readdb-down")
          .hasMessageNotContaining("secret-pw");
      assertThatThrownBy(store::watermark).isInstanceOf(StoreUnavailableException.class);
      assertThatThrownBy(store::makeVisible).isInstanceOf(StoreUnavailableException.class);
      assertThatThrownBy(() -> store.purge("ads", V1))
          .isInstanceOf(StoreUnavailableException.class);
    }
  }

  @Test
  void aRestartedDatabaseIsUsedAgainWithoutReopeningTheStore() {
    try (Devstack own = Devstack.builder().stores(StoreKind.POSTGRES).start();
        PostgresStore store = PostgresStore.open(TestDatabase.config(own.postgres(), "readdb"))) {
      assertThat(store.apply(epoch(V1, Write.upsert("ads", "a", doc("one")))).succeeded()).isTrue();
      assertThat(store.latest("ads", "a").document()).contains(doc("one"));

      own.store(StoreKind.POSTGRES).restart();

      // Reads retry a stale pooled connection once, on a new one.
      assertThat(store.get("ads", "a", V1).document()).contains(doc("one"));
      // The writer's stale connection fails one epoch as RETRYABLE at most, then reconnects.
      Epoch next = epoch(V2, Write.upsert("ads", "a", doc("two")));
      ApplyResult first = store.apply(next);
      if (!first.succeeded()) {
        assertThat(first.results())
            .extracting(WriteResult::outcome)
            .containsOnly(WriteOutcome.RETRYABLE);
        first = store.apply(next);
      }
      assertThat(first.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.APPLIED);
      assertThat(store.watermark().get(SOURCE)).contains(V2);
    }
  }

  @Test
  void theTableHasTheDesignedLayoutAndSnapshotReadsUseAnIndex() throws Exception {
    PostgresInfo info = TestDatabase.info();
    PostgresStoreConfig config = TestDatabase.config("readdb").withTable("users", "people_v");
    try (PostgresStore store = PostgresStore.open(config);
        Connection admin = TestDatabase.connect(info)) {
      store.apply(
          epoch(V1, Write.upsert("ads", "a", doc("one")), Write.upsert("users", "u", doc("x"))));
      assertThat(store.tableName("ads")).isEqualTo("tm_ads");
      assertThat(store.tableName("users")).isEqualTo("people_v");
      List<String> columns = new ArrayList<>();
      try (PreparedStatement ps =
          admin.prepareStatement(
              "SELECT column_name || ' ' || udt_name FROM information_schema.columns"
                  + " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
        ps.setString(1, config.schema());
        ps.setString(2, "tm_ads");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(rs.getString(1));
          }
        }
      }
      assertThat(columns)
          .containsExactly("key text", "_tm_from pg_lsn", "_tm_to pg_lsn", "doc jsonb");
      assertThat(
              count(
                  admin,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = '"
                      + config.schema()
                      + "' AND tablename IN ('people_v', 'tidemark_watermark')"))
          .isEqualTo(2);

      // The store's own queries: a snapshot read walks the primary key backwards from S and stops
      // at the first entry (no sort); the latest read uses the partial index of open entries.
      Layout layout = new Layout(new TableNames(config.schema(), config.tables()));
      try (Statement st = admin.createStatement()) {
        st.execute("SET enable_seqscan = off");
      }
      String snapshot = plan(admin, layout.readAt("ads"), "0/1500", "a");
      assertThat(snapshot)
          .contains("Index Scan Backward")
          .contains("tm_ads_pkey")
          .doesNotContain("Sort");
      assertThat(plan(admin, layout.readLatest("ads"), "a")).contains("tm_ads_open");
      try (Statement st = admin.createStatement()) {
        st.execute("RESET enable_seqscan");
      }
    }
  }

  @Test
  void purgeDeletesExactlyTheEntriesClosedAtOrBeforeTheHorizon() throws Exception {
    try (PostgresStore store = PostgresStore.open(TestDatabase.config("readdb"))) {
      store.apply(
          epoch(V1, Write.upsert("ads", "a", doc("1")), Write.upsert("ads", "b", doc("1"))));
      store.apply(epoch(V2, Write.upsert("ads", "a", doc("2")), Write.delete("ads", "b")));
      store.apply(epoch(V3, Write.upsert("ads", "a", doc("3"))));
      // a@V1 and b@V1 end at V2; a@V2 ends at V3.
      assertThat(store.purge("ads", Version.parse("0/1FFF"))).isZero();
      assertThat(store.purge("ads", V2)).isEqualTo(2);
      assertThat(store.purge("ads", V2)).isZero();
      assertThat(store.get("ads", "a", V2).document()).contains(doc("2"));
      assertThat(store.purge("ads", V3)).isEqualTo(1);
      assertThat(store.get("ads", "a", V3).document()).contains(doc("3"));
      assertThat(store.get("ads", "b", V3).kind()).isEqualTo(Lookup.Kind.ABSENT);
    }
  }

  private static int waitForBlockedBackend(PostgresInfo info, String application)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Connection c = TestDatabase.connect(info);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE application_name = ?"
                    + " AND wait_event_type = 'Lock'")) {
      ps.setString(1, application);
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return rs.getInt(1);
          }
        }
        Thread.sleep(10); // polling interval, not a guess at how long the apply takes
      }
    }
    throw new AssertionError("no backend of " + application + " waited on the table lock in 30 s");
  }

  private static String watermarkRow(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT version::text FROM \"" + schema + "\".tidemark_watermark WHERE source = ?")) {
      ps.setString(1, SOURCE);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String plan(Connection c, String sql, String... parameters) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
      for (int i = 0; i < parameters.length; i++) {
        ps.setString(i + 1, parameters[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('\n');
        }
      }
    }
    return out.toString();
  }
}
