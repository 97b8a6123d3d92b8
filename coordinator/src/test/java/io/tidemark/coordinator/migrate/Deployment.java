package io.tidemark.coordinator.migrate;

import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * A deployment on devstack's real stores for the migration tests: a source table of ads, a
 * configuration whose stores and collection entries each test chooses, a writer that keeps changing
 * rows, and clean-up of the table, schemas, indices and replication slots.
 */
final class Deployment implements AutoCloseable {

  final Devstack stack = Devstack.shared();
  final String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  final String collection = "ads_" + suffix;
  final String table = "public.mig_" + suffix;
  final String slot = "tm_mig_" + suffix;
  final Path stateDir;

  /** store name → its YAML settings (without the braces). */
  final Map<String, String> stores = new LinkedHashMap<>();

  /** store name → the collection's projection in it (YAML, with braces). */
  final Map<String, String> projections = new LinkedHashMap<>();

  String extra = "";
  String lanes = "{retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms}";

  Deployment(Path stateDir) throws SQLException {
    this.stateDir = stateDir;
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, title text NOT NULL, price_cents integer, category"
              + " text)");
    }
  }

  /** Elasticsearch settings for an index prefix unique to this deployment. */
  String elasticsearch(String tag) {
    return "kind: elasticsearch, url: \""
        + stack.elasticsearch().httpUrl()
        + "\", indexPrefix: \"m"
        + suffix
        + tag
        + "-\"";
  }

  /** Read-database settings for a schema unique to this deployment. */
  String postgres(String tag) {
    var pg = stack.postgres();
    return "kind: postgres, jdbcUrl: \""
        + pg.jdbcUrl()
        + "\", user: "
        + pg.user()
        + ", password: \""
        + pg.password()
        + "\", schema: mread"
        + tag
        + "_"
        + suffix;
  }

  String redis() {
    return "kind: redis, address: \"" + stack.redis().host() + ":" + stack.redis().port() + "\"";
  }

  String yaml() {
    var pg = stack.postgres();
    StringBuilder out = new StringBuilder();
    out.append("source:\n")
        .append("  name: listings\n")
        .append("  jdbcUrl: \"")
        .append(pg.jdbcUrl())
        .append("\"\n")
        .append("  user: ")
        .append(pg.user())
        .append("\n  password: \"")
        .append(pg.password())
        .append("\"\n  slot: ")
        .append(slot)
        .append("\n  heartbeat: 50ms\nstores:\n");
    stores.forEach(
        (name, settings) ->
            out.append("  ").append(name).append(": {").append(settings).append("}\n"));
    out.append("collections:\n  ")
        .append(collection)
        .append(":\n    table: ")
        .append(table)
        .append("\n    stores:\n");
    projections.forEach(
        (name, projection) ->
            out.append("      ").append(name).append(": ").append(projection).append("\n"));
    out.append("epochs: {maxDuration: 20ms, maxChanges: 2000}\n")
        .append("lanes: ")
        .append(lanes)
        .append("\n")
        .append("stateDir: \"")
        .append(stateDir)
        .append("\"\n")
        .append(extra);
    return out.toString();
  }

  TidemarkConfig config() {
    try {
      return ConfigLoader.load(configFile());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  Path configFile() throws IOException {
    Path file = stateDir.resolve("tidemark-" + System.nanoTime() + ".yaml");
    Files.writeString(file, yaml());
    return file;
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  /** Inserts rows 1..n in one statement. */
  void fill(int n) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + table
              + " SELECT g, 'ad ' || g, (g * 7) % 100000, 'cat' || (g % 10)"
              + " FROM generate_series(1, "
              + n
              + ") g");
    }
  }

  /** A row as the writer left it; {@code title == null}: deleted. */
  record Row(String title, Integer price, String category) {
    /** The row {@link #fill} wrote for {@code id}. */
    static Row filled(long id) {
      return new Row("ad " + id, (int) ((id * 7) % 100_000), "cat" + (id % 10));
    }
  }

  /** One committed transaction: the rows it left, and bounds on its commit LSN. */
  record Committed(Version lower, Version upper, Map<Long, Row> rows) {}

  /** A writer that commits small random transactions (upserts, some deletes) until stopped. */
  final class Writer implements AutoCloseable {
    /** Every committed transaction, in commit order (one writer thread). */
    final java.util.List<Committed> history =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong commits = new AtomicLong();
    volatile Throwable failure;
    private final Thread thread;

    Writer(int keys, int perSecond, long seed) {
      thread =
          new Thread(
              () -> {
                Random random = new Random(seed);
                long pauseNanos = 1_000_000_000L / perSecond;
                try (Connection c = connect()) {
                  c.setAutoCommit(false);
                  try (PreparedStatement upsert =
                          c.prepareStatement(
                              "INSERT INTO "
                                  + table
                                  + " (id, title, price_cents, category) VALUES (?, ?, ?, ?)"
                                  + " ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
                                  + " price_cents = excluded.price_cents, category ="
                                  + " excluded.category");
                      PreparedStatement delete =
                          c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
                    long seq = 0;
                    while (running.get()) {
                      long next = System.nanoTime() + pauseNanos;
                      Map<Long, Row> rows = new LinkedHashMap<>();
                      for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                        long id = 1 + random.nextInt(keys);
                        if (random.nextInt(10) == 0) {
                          delete.setLong(1, id);
                          delete.executeUpdate();
                          rows.put(id, new Row(null, null, null));
                        } else {
                          Row row =
                              new Row(
                                  "ad " + id + " v" + seq,
                                  random.nextInt(100_000),
                                  "cat" + random.nextInt(10));
                          upsert.setLong(1, id);
                          upsert.setString(2, row.title());
                          upsert.setInt(3, row.price());
                          upsert.setString(4, row.category());
                          upsert.executeUpdate();
                          rows.put(id, row);
                        }
                      }
                      Version lower = walInsertLsn(c);
                      c.commit();
                      Version upper = walInsertLsn(c);
                      c.commit();
                      history.add(new Committed(lower, upper, Map.copyOf(rows)));
                      seq++;
                      commits.incrementAndGet();
                      long wait = next - System.nanoTime();
                      if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                      }
                    }
                  }
                } catch (Throwable t) {
                  failure = t;
                }
              },
              "migration-test-writer");
      thread.setDaemon(true);
      thread.start();
    }

    /**
     * The row {@code id} held at version {@code at}: empty when absent, null when the history
     * cannot say (a transaction touching it committed within its LSN bracket around {@code at}).
     */
    java.util.Optional<Row> expectedAt(long id, Version at) {
      Row row = Row.filled(id);
      synchronized (history) {
        for (Committed c : history) {
          Row changed = c.rows().get(id);
          if (changed == null) {
            continue;
          }
          if (!c.upper().isAfter(at)) {
            row = changed;
          } else if (!c.lower().isAfter(at)) {
            return null; // committed somewhere around `at`
          } else {
            break;
          }
        }
      }
      return row.title() == null ? java.util.Optional.empty() : java.util.Optional.of(row);
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
      if (failure != null) {
        throw new AssertionError("the writer failed", failure);
      }
    }
  }

  static Version walInsertLsn(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  Version currentLsn() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  static void awaitCovers(Supplier<Stamp> frontier, Version version, Duration timeout)
      throws InterruptedException {
    await(
        () -> frontier.get().get("listings").map(v -> !v.isBefore(version)).orElse(false),
        timeout,
        "the frontier covers " + version);
  }

  /** Runs a command line; returns exit code, standard output and standard error. */
  record Run(int exit, String out, String err) {}

  static Run run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = new CommandLine(command);
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int exit = line.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name"
              + " LIKE 'tm_mig_"
              + suffix
              + "%' AND NOT active");
      s.execute("DROP TABLE IF EXISTS " + table);
      java.util.List<String> publications = new java.util.ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT pubname FROM pg_publication WHERE pubname LIKE 'tm_mig_" + suffix + "%'")) {
        while (rs.next()) {
          publications.add(rs.getString(1));
        }
      }
      for (String publication : publications) {
        s.execute("DROP PUBLICATION IF EXISTS \"" + publication + "\"");
      }
      for (String tag : new String[] {"", "2", "3"}) {
        s.execute("DROP SCHEMA IF EXISTS mread" + tag + "_" + suffix + " CASCADE");
      }
    }
    try {
      var http = java.net.http.HttpClient.newHttpClient();
      String base = stack.elasticsearch().httpUrl();
      String names =
          http.send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(base + "/_cat/indices/m" + suffix + "*?h=index"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      for (String index : names.split("\\s+")) {
        if (!index.isBlank()) {
          http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/" + index))
                  .DELETE()
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.discarding());
        }
      }
    } catch (IOException | InterruptedException e) {
      // best effort: indices of a finished test
    }
  }
}
