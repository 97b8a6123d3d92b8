package io.tidemark.coordinator;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStore;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A deployment on devstack's real stores for end-to-end tests: a source table, a configuration
 * naming all four stores, readers for each store, and a writer that records, for every committed
 * transaction, a bracket around its commit LSN so reads at a frontier can be checked exactly.
 */
final class EndToEnd implements AutoCloseable {

  final Devstack stack;
  final String suffix;
  final String collection;
  final String table;
  final String slot;
  final Path stateDir;
  final Map<String, StoreReader> readers = new LinkedHashMap<>();
  private final Connection admin;

  /** One committed transaction: its rows after it, and bounds on its commit LSN. */
  record Committed(long seq, Version lower, Version upper, Map<Long, Row> rows) {}

  /** A row's state after a transaction; {@code title == null} means deleted. */
  record Row(String title, Integer price) {}

  final List<Committed> history = java.util.Collections.synchronizedList(new ArrayList<>());

  EndToEnd(Devstack stack, Path stateDir) throws SQLException {
    this.stack = stack;
    this.stateDir = stateDir;
    this.suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    this.collection = "ads_" + suffix;
    this.table = "public.e2e_" + suffix;
    this.slot = "tm_e2e_" + suffix;
    this.admin = connect();
    try (Statement s = admin.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, title text NOT NULL, price_cents integer)");
      s.execute("CREATE SCHEMA IF NOT EXISTS readdb_" + suffix);
    }
    var pg = stack.postgres();
    readers.put(
        "readdb",
        PostgresStore.open(
            PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
                .withSchema("readdb_" + suffix)
                .withStoreName("readdb")));
    readers.put(
        "search",
        ElasticsearchStore.open(
            ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
                .withIndexPrefix("e2e" + suffix + "-")
                .withStoreName("search")));
    readers.put("cache", RedisStore.open(RedisStoreConfig.of("cache", redisAddress())));
    readers.put(
        "memo", MemcachedStore.open(MemcachedStoreConfig.of("memo", stack.memcached().address())));
  }

  private String redisAddress() {
    return stack.redis().host() + ":" + stack.redis().port();
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  String yaml(String extra) {
    var pg = stack.postgres();
    return """
        source:
          name: listings
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: %s
          dropSlotOnStop: true
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "e2e%s-"}
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
        sidecar: {port: 0}
        %s
        """
        .formatted(
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            slot,
            stack.elasticsearch().httpUrl(),
            suffix,
            redisAddress(),
            stack.memcached().address(),
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            suffix,
            collection,
            table,
            stateDir,
            extra);
  }

  TidemarkConfig config(String extra) {
    return ConfigLoader.parse(yaml(extra), "e2e", name -> null);
  }

  /**
   * Commits one transaction that upserts or deletes the given keys, recording the rows it left and
   * a bracket [lower, upper] around its commit LSN.
   */
  Committed commit(Connection c, long seq, Map<Long, Row> rows) throws SQLException {
    c.setAutoCommit(false);
    try (var upsert =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " (id, title, price_cents) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    + " title = excluded.title, price_cents = excluded.price_cents");
        var delete = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
      for (var e : rows.entrySet()) {
        if (e.getValue().title() == null) {
          delete.setLong(1, e.getKey());
          delete.executeUpdate();
        } else {
          upsert.setLong(1, e.getKey());
          upsert.setString(2, e.getValue().title());
          upsert.setObject(3, e.getValue().price());
          upsert.executeUpdate();
        }
      }
      Version lower = walInsertLsn(c);
      c.commit();
      Version upper = walInsertLsn(c);
      c.commit();
      Committed committed = new Committed(seq, lower, upper, Map.copyOf(rows));
      history.add(committed);
      return committed;
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

  /**
   * The expected row of {@code id} at version {@code at}: empty when absent, null when the history
   * cannot say (a transaction touching it committed within its LSN bracket around {@code at}).
   */
  java.util.Optional<Row> expectedAt(long id, Version at) {
    Row row = null;
    synchronized (history) {
      for (Committed c : history) {
        if (!c.rows().containsKey(id)) {
          continue;
        }
        if (!c.upper().isAfter(at)) {
          row = c.rows().get(id);
        } else if (!c.lower().isAfter(at)) {
          return null; // ambiguous
        }
      }
    }
    return row == null || row.title() == null
        ? java.util.Optional.empty()
        : java.util.Optional.of(row);
  }

  /** The source's rows now. */
  Map<Long, Row> sourceRows() throws SQLException {
    Map<Long, Row> rows = new HashMap<>();
    try (Statement s = admin.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, title, price_cents FROM " + table)) {
      while (rs.next()) {
        rows.put(rs.getLong(1), new Row(rs.getString(2), (Integer) rs.getObject(3)));
      }
    }
    return rows;
  }

  /** Checks a store's answer for {@code id} against the expected row; null when it is right. */
  static String mismatch(
      String store, Lookup lookup, long id, java.util.Optional<Row> expected, boolean cache) {
    if (cache && lookup.isMiss()) {
      return null;
    }
    if (expected.isEmpty()) {
      return lookup.isFound() ? store + " id " + id + ": expected absent, got " + lookup : null;
    }
    if (!lookup.isFound()) {
      return store + " id " + id + ": expected " + expected.get() + ", got " + lookup;
    }
    Map<String, Object> doc = lookup.document().orElseThrow();
    Row want = expected.get();
    boolean same =
        Objects.equals(doc.get("title"), want.title())
            && Objects.equals(number(doc.get("price_cents")), number(want.price()))
            && Objects.equals(number(doc.get("id")), number(id));
    return same ? null : store + " id " + id + ": expected " + want + ", got " + doc;
  }

  private static Long number(Object value) {
    return value == null ? null : ((Number) value).longValue();
  }

  /**
   * Reads random keys from every store at each published frontier while it runs, and keeps every
   * answer that disagrees with the recorded history.
   */
  final class Checker implements AutoCloseable {
    final List<String> mismatches = new java.util.concurrent.CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicLong checks =
        new java.util.concurrent.atomic.AtomicLong();
    final Map<String, Long> readNanos = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicLong unavailable =
        new java.util.concurrent.atomic.AtomicLong();
    final List<io.tidemark.protocol.Stamp> frontiers =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean running =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    private final Thread thread;

    Checker(java.util.function.Supplier<io.tidemark.protocol.Stamp> frontier, int keys) {
      thread =
          new Thread(
              () -> {
                java.util.Random r = new java.util.Random(7);
                while (running.get()) {
                  io.tidemark.protocol.Stamp f = frontier.get();
                  java.util.Optional<Version> at = f.get("listings");
                  if (at.isEmpty()) {
                    Thread.onSpinWait();
                    continue;
                  }
                  if (frontiers.isEmpty() || !frontiers.get(frontiers.size() - 1).equals(f)) {
                    frontiers.add(f);
                  }
                  for (int i = 0; i < 10; i++) {
                    long id = 1 + r.nextInt(keys);
                    var expected = expectedAt(id, at.get());
                    if (expected == null) {
                      continue; // committed within its LSN bracket around the frontier
                    }
                    for (var store : readers.entrySet()) {
                      StoreReader reader = store.getValue();
                      try {
                        long start = System.nanoTime();
                        var lookup = reader.get(collection, Long.toString(id), at.get());
                        readNanos.merge(store.getKey(), System.nanoTime() - start, Long::sum);
                        String problem =
                            mismatch(
                                store.getKey() + "@" + at.get(),
                                lookup,
                                id,
                                expected,
                                !reader.authoritative());
                        if (problem != null) {
                          mismatches.add(problem);
                        }
                        checks.incrementAndGet();
                      } catch (io.tidemark.protocol.store.StoreUnavailableException e) {
                        unavailable.incrementAndGet(); // a store under a fault: no answer
                      } catch (RuntimeException e) {
                        mismatches.add(store.getKey() + " id " + id + ": read failed: " + e);
                      }
                    }
                  }
                }
              },
              "checker");
      thread.start();
    }

    /** Whether the frontiers seen only ever moved forward. */
    boolean frontierMonotone() {
      for (int i = 1; i < frontiers.size(); i++) {
        if (!frontiers.get(i).covers(frontiers.get(i - 1))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return checks
          + " reads checked, "
          + unavailable
          + " unavailable, "
          + frontiers.size()
          + " frontiers, "
          + mismatches.size()
          + " mismatches; read time ms per store "
          + readNanos.entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue() / 1_000_000)
              .toList();
    }
  }

  /** Checks every key 1..keys in every store at {@code at} against the source's rows now. */
  List<String> compareWithSource(Version at, int keys) throws SQLException {
    Map<Long, Row> source = sourceRows();
    List<String> problems = new ArrayList<>();
    for (long id = 1; id <= keys; id++) {
      java.util.Optional<Row> expected = java.util.Optional.ofNullable(source.get(id));
      for (var store : readers.entrySet()) {
        String problem =
            mismatch(
                store.getKey(),
                store.getValue().get(collection, Long.toString(id), at),
                id,
                expected,
                !store.getValue().authoritative());
        if (problem != null) {
          problems.add(problem);
        }
      }
    }
    return problems;
  }

  @Override
  public void close() throws SQLException {
    readers.values().forEach(StoreReader::close);
    try (Statement s = admin.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute("DROP SCHEMA IF EXISTS readdb_" + suffix + " CASCADE");
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
              + slot
              + "' AND NOT active");
    }
    admin.close();
  }
}
