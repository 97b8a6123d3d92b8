package io.tidemark.coordinator.migrate;

import io.tidemark.coordinator.JsonValues;
import io.tidemark.coordinator.Projections;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.protocol.Projection;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * {@code tidemark verify}: compares a collection in its stores against the source at one snapshot.
 *
 * <p>How a comparison is made exact (docs/migration.md has the reasoning):
 *
 * <ol>
 *   <li>A logical replication slot is created ({@code test_decoding}); its consistent point C
 *       splits the WAL: every transaction committing before it is decoded by no one, every later
 *       one is decoded by the slot.
 *   <li>Every transaction running then is waited out, and the table is read in a REPEATABLE READ
 *       snapshot Σ. Σ holds every transaction with version ≤ C, and perhaps some later ones.
 *   <li>The snapshot S is taken once the frontier covers C (and every compared store holds S).
 *   <li>The slot is read up to now (past S): the keys any transaction after C touched. For every
 *       other key, the source's value at S is its value in Σ, exactly. Touched keys are compared
 *       again in a later round, with a new slot, until none is left or the rounds run out (then
 *       they are reported unverified, which fails the run like a difference).
 * </ol>
 *
 * Search indices and read databases are listed whole at S, so rows a store has and the source lacks
 * are found. Caches are asked key by key (the source's keys and the keys the listed stores hold); a
 * miss is counted, not a difference.
 */
final class Verifier {

  /** How a verification runs. */
  record Options(
      List<String> collections,
      List<String> stores,
      int maxDifferences,
      Duration patience,
      int rounds) {
    Options {
      collections = List.copyOf(collections);
      stores = List.copyOf(stores);
    }

    static Options defaults() {
      return new Options(List.of(), List.of(), 10, Duration.ofSeconds(60), 5);
    }
  }

  /** One key whose store entry differs from the source. */
  record Difference(
      String collection,
      String store,
      String key,
      String kind,
      Version version,
      Map<String, Object> storeValue,
      Map<String, Object> sourceValue) {

    @Override
    public String toString() {
      return store
          + " "
          + collection
          + "/"
          + key
          + ": "
          + kind
          + (version == null ? "" : " (store entry from " + version + ")")
          + "; store "
          + (storeValue == null ? "absent" : storeValue)
          + ", source "
          + (sourceValue == null ? "absent" : sourceValue);
    }
  }

  /** Counts for one collection in one store. */
  static final class Counts {
    long compared;
    long matching;
    long missing;
    long extra;
    long different;
    long cacheMisses;

    long differences() {
      return missing + extra + different;
    }

    @Override
    public String toString() {
      return compared
          + " keys compared, "
          + matching
          + " match, "
          + missing
          + " missing, "
          + extra
          + " extra, "
          + different
          + " different"
          + (cacheMisses > 0 ? ", " + cacheMisses + " not cached (a miss is allowed)" : "");
    }
  }

  /** The outcome: the stamp, per collection and store the counts, the first differences. */
  record Report(
      Stamp stamp,
      int rounds,
      Map<String, Map<String, Counts>> counts,
      List<Difference> differences,
      long differenceCount,
      Map<String, Set<String>> unverified) {

    boolean clean() {
      return differenceCount == 0 && unverified.values().stream().allMatch(Set::isEmpty);
    }

    List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add(
          "verified at "
              + stamp.token()
              + " ("
              + rounds
              + " round"
              + (rounds == 1 ? "" : "s")
              + ")");
      counts.forEach(
          (collection, byStore) ->
              byStore.forEach(
                  (store, c) -> out.add("  " + collection + " in " + store + ": " + c)));
      unverified.forEach(
          (collection, keys) -> {
            if (!keys.isEmpty()) {
              out.add(
                  "  "
                      + collection
                      + ": "
                      + keys.size()
                      + " keys changed during every round and were not compared, e.g. "
                      + keys.stream().limit(5).toList()
                      + " (run verify again at a quieter moment)");
            }
          });
      if (differenceCount == 0) {
        out.add(clean() ? "zero differences" : "no differences among the keys compared");
      } else {
        out.add(
            differenceCount
                + " difference"
                + (differenceCount == 1 ? "" : "s")
                + (differences.size() < differenceCount
                    ? "; the first " + differences.size() + ":"
                    : ":"));
        differences.forEach(d -> out.add("  " + d));
      }
      return out;
    }
  }

  private final TidemarkConfig config;
  private final Options options;
  private final Supplier<Stamp> frontier;

  Verifier(TidemarkConfig config, Options options, Supplier<Stamp> frontier) {
    this.config = config;
    this.options = options;
    this.frontier = frontier;
  }

  /** The frontier the coordinator of {@code config} persisted (it is written before published). */
  static Supplier<Stamp> persistedFrontier(TidemarkConfig config) {
    Path file = config.stateDir().resolve(config.source().name()).resolve("frontier");
    return () -> {
      try {
        if (!Files.exists(file)) {
          return Stamp.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        return text.isEmpty() ? Stamp.empty() : SnapshotToken.parse(text);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the frontier " + file, e);
      }
    };
  }

  Report run() throws SQLException, InterruptedException {
    String source = config.source().name();
    Map<String, TidemarkConfig.Collection> collections = collections();
    Map<String, AutoCloseable> connectors = new LinkedHashMap<>();
    try (Connection c = connectSource()) {
      Map<String, SourceTable> tables = new LinkedHashMap<>();
      for (TidemarkConfig.Collection collection : collections.values()) {
        tables.put(collection.name(), SourceTable.of(c, collection.table()));
        for (String store : storesOf(collection)) {
          connectors.computeIfAbsent(store, s -> Stores.open(config.stores().get(s)));
        }
      }
      Map<String, Map<String, Counts>> counts = new LinkedHashMap<>();
      List<Difference> differences = new ArrayList<>();
      long[] differenceCount = {0};
      Map<String, Set<String>> pending = new LinkedHashMap<>(); // null value: every key
      collections.keySet().forEach(name -> pending.put(name, null));
      Stamp stamp = Stamp.empty();
      int round = 0;
      while (round < options.rounds()
          && pending.values().stream().anyMatch(p -> p == null || !p.isEmpty())) {
        round++;
        stamp =
            round(
                c,
                source,
                collections,
                tables,
                connectors,
                pending,
                counts,
                differences,
                differenceCount);
      }
      Map<String, Set<String>> unverified = new LinkedHashMap<>();
      pending.forEach((name, keys) -> unverified.put(name, keys == null ? Set.of("*") : keys));
      return new Report(stamp, round, counts, differences, differenceCount[0], unverified);
    } finally {
      for (AutoCloseable connector : connectors.values()) {
        try {
          connector.close();
        } catch (Exception e) {
          // closing only releases connections
        }
      }
    }
  }

  private Map<String, TidemarkConfig.Collection> collections() {
    Map<String, TidemarkConfig.Collection> out = new TreeMap<>();
    List<String> wanted =
        options.collections().isEmpty()
            ? new ArrayList<>(config.collections().keySet())
            : options.collections();
    for (String name : wanted) {
      TidemarkConfig.Collection collection = config.collections().get(name);
      if (collection == null) {
        throw new IllegalArgumentException(
            "unknown collection '"
                + name
                + "'; collections: "
                + new TreeMap<>(config.collections()).keySet());
      }
      if (storesOf(collection).isEmpty()) {
        throw new IllegalArgumentException(
            "collection '"
                + name
                + "' is in none of the stores "
                + options.stores()
                + "; it is in "
                + new TreeMap<>(collection.stores()).keySet());
      }
      out.put(name, collection);
    }
    for (String store : options.stores()) {
      if (!config.stores().containsKey(store)) {
        throw new IllegalArgumentException(
            "unknown store '" + store + "'; stores: " + new TreeMap<>(config.stores()).keySet());
      }
    }
    return out;
  }

  private List<String> storesOf(TidemarkConfig.Collection collection) {
    List<String> out = new ArrayList<>(new TreeMap<>(collection.stores()).keySet());
    if (!options.stores().isEmpty()) {
      out.retainAll(options.stores());
    }
    return out;
  }

  private Connection connectSource() throws SQLException {
    TidemarkConfig.Source s = config.source();
    return DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password().value());
  }

  /** One round; returns its stamp. Decided keys leave {@code pending}. */
  private Stamp round(
      Connection c,
      String source,
      Map<String, TidemarkConfig.Collection> collections,
      Map<String, SourceTable> tables,
      Map<String, AutoCloseable> connectors,
      Map<String, Set<String>> pending,
      Map<String, Map<String, Counts>> counts,
      List<Difference> differences,
      long[] differenceCount)
      throws SQLException, InterruptedException {
    dropAbandonedSlots(c);
    String slot =
        "tm_verify_"
            + Long.toString(System.currentTimeMillis() / 1000, 36)
            + "_"
            + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
    c.setAutoCommit(true);
    Version consistentPoint;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'test_decoding')")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        consistentPoint = Version.parse(rs.getString(1));
      }
    }
    try {
      awaitRunningTransactions(c);
      // Σ: every transaction up to the consistent point, perhaps a few later ones.
      Map<String, Map<String, Map<String, Object>>> rows = new LinkedHashMap<>();
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        for (var e : tables.entrySet()) {
          Set<String> wanted = pending.get(e.getKey());
          Map<String, Map<String, Object>> byKey = new HashMap<>();
          e.getValue()
              .read(
                  c,
                  (key, row) -> {
                    if (wanted == null || wanted.contains(key)) {
                      byKey.put(key, row);
                    }
                  });
          rows.put(e.getKey(), byKey);
        }
        c.commit();
      } finally {
        c.setReadOnly(false);
        c.setAutoCommit(true);
      }
      Version at = awaitSnapshot(source, consistentPoint, collections, connectors);
      Stamp stamp = Stamp.of(Map.of(source, at));
      // Every key a transaction after the consistent point touched, up to now (past S).
      Map<String, TouchedKeys> touched = new LinkedHashMap<>();
      tables.forEach((name, t) -> touched.put(name, new TouchedKeys(t.table(), t.keyColumns())));
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT data FROM pg_logical_slot_peek_changes(?, NULL, NULL, 'skip-empty-xacts', '1')")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String line = rs.getString(1);
            touched.values().forEach(t -> t.accept(line));
          }
        }
      }
      for (var e : collections.entrySet()) {
        String name = e.getKey();
        compare(
            e.getValue(),
            at,
            rows.get(name),
            pending,
            touched.get(name),
            connectors,
            counts.computeIfAbsent(name, n -> new LinkedHashMap<>()),
            differences,
            differenceCount);
      }
      return stamp;
    } finally {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
      }
    }
  }

  /**
   * Drops the slots of verify runs that died more than an hour ago (a slot pins WAL). A slot's name
   * carries its creation time in seconds, base 36.
   */
  private static void dropAbandonedSlots(Connection c) throws SQLException {
    long hourAgo = System.currentTimeMillis() / 1000 - 3600;
    List<String> abandoned = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT slot_name FROM pg_replication_slots WHERE NOT active"
                    + " AND slot_name LIKE 'tm\\_verify\\_%'")) {
      while (rs.next()) {
        String[] parts = rs.getString(1).split("_");
        try {
          if (parts.length == 4 && Long.parseLong(parts[2], 36) < hourAgo) {
            abandoned.add(rs.getString(1));
          }
        } catch (NumberFormatException e) {
          // not one of ours
        }
      }
    }
    for (String slot : abandoned) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
      }
    }
  }

  /** Waits until every transaction running now has ended, so a new snapshot sees all commits. */
  private void awaitRunningTransactions(Connection c) throws SQLException, InterruptedException {
    List<String> running = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x")) {
      while (rs.next()) {
        running.add(rs.getString(1));
      }
    }
    long deadline = System.nanoTime() + options.patience().toNanos();
    for (String xid : running) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_xact_status(?::xid8)")) {
        ps.setString(1, xid);
        while (true) {
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!"in progress".equals(rs.getString(1))) {
              break;
            }
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "source transaction "
                    + xid
                    + " is still running after "
                    + options.patience()
                    + "; verify reads the source once every transaction running at its start has ended");
          }
          Thread.sleep(10);
        }
      }
    }
  }

  /** The frontier once it covers {@code point}, and once every compared store holds it. */
  private Version awaitSnapshot(
      String source,
      Version point,
      Map<String, TidemarkConfig.Collection> collections,
      Map<String, AutoCloseable> connectors)
      throws InterruptedException {
    long deadline = System.nanoTime() + options.patience().toNanos();
    Version at;
    while (true) {
      at = frontier.get().get(source).orElse(null);
      if (at != null && !at.isBefore(point)) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the frontier "
                + (at == null ? "(none)" : at)
                + " did not reach the source's position "
                + point
                + " within "
                + options.patience()
                + "; is the coordinator running (stateDir "
                + config.stateDir()
                + ")?");
      }
      Thread.sleep(20);
    }
    for (String store : connectors.keySet()) {
      TidemarkConfig.Store spec = config.stores().get(store);
      if (spec.migration() != TidemarkConfig.Migration.PENDING) {
        continue; // in the frontier: it holds S
      }
      while (true) {
        Version w;
        // A new connection each time: a connector may read its recorded watermark only once.
        try (AutoCloseable connector = Stores.open(spec)) {
          w = ((StoreWriter) connector).watermark().get(source).orElse(null);
        } catch (Exception ex) {
          throw ex instanceof RuntimeException r ? r : new IllegalStateException(ex);
        }
        if (w != null && !w.isBefore(at)) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "store '"
                  + store
                  + "' has watermark "
                  + (w == null ? "(none)" : w)
                  + ", below the snapshot "
                  + at
                  + ", after "
                  + options.patience()
                  + "; a pending store is verified while its backfill runs (with --follow), or once attached");
        }
        Thread.sleep(20);
      }
    }
    return at;
  }

  private void compare(
      TidemarkConfig.Collection collection,
      Version at,
      Map<String, Map<String, Object>> sourceRows,
      Map<String, Set<String>> pending,
      TouchedKeys touched,
      Map<String, AutoCloseable> connectors,
      Map<String, Counts> counts,
      List<Difference> differences,
      long[] differenceCount) {
    String name = collection.name();
    Set<String> wanted = pending.get(name);
    Set<String> unstable = new HashSet<>();
    Set<String> decided = new HashSet<>();
    // The listed stores first: every key they hold is also asked of the caches.
    Map<String, Map<String, Entry>> listed = new LinkedHashMap<>();
    Set<String> keys = new HashSet<>(sourceRows.keySet());
    for (String store : storesOf(collection)) {
      Object connector = connectors.get(store);
      if (Stores.scannable(connector)) {
        Map<String, Entry> held = new HashMap<>();
        Stores.scan(
            connector,
            name,
            at,
            entry -> {
              if (wanted == null || wanted.contains(entry.key())) {
                held.put(entry.key(), entry);
              }
            });
        listed.put(store, held);
        keys.addAll(held.keySet());
      }
    }
    if (wanted != null) {
      keys.addAll(wanted);
      keys.retainAll(wanted);
    }
    for (String store : storesOf(collection)) {
      Object connector = connectors.get(store);
      Projection projection = Projections.of(collection.stores().get(store));
      Counts count = counts.computeIfAbsent(store, s -> new Counts());
      Map<String, Entry> held = listed.get(store);
      for (String key : keys) {
        if (touched.touched(key)) {
          unstable.add(key);
          continue;
        }
        decided.add(key);
        Map<String, Object> row = sourceRows.get(key);
        Map<String, Object> expected =
            row == null ? null : JsonValues.row(projection.document(row));
        Entry entry;
        if (held != null) {
          entry = held.get(key);
        } else {
          Lookup lookup = ((StoreReader) connector).get(name, key, at);
          if (lookup.isMiss()) {
            count.compared++;
            count.cacheMisses++;
            continue;
          }
          entry = lookup.entry().orElse(null);
        }
        count.compared++;
        String kind;
        if (entry == null && expected == null) {
          kind = null;
        } else if (entry == null) {
          kind = "missing";
          count.missing++;
        } else if (expected == null) {
          kind = "extra";
          count.extra++;
        } else if (!normalize(entry.document()).equals(normalize(expected))) {
          kind = "different";
          count.different++;
        } else {
          kind = null;
        }
        if (kind == null) {
          count.matching++;
        } else {
          differenceCount[0]++;
          if (differences.size() < options.maxDifferences()) {
            differences.add(
                new Difference(
                    name,
                    store,
                    key,
                    kind,
                    entry == null ? null : entry.range().from(),
                    entry == null ? null : entry.document(),
                    expected));
          }
        }
      }
    }
    if (touched.all()) {
      // Nothing could be decided exactly: compare the whole collection again.
      pending.put(name, wanted);
    } else {
      unstable.removeAll(decided);
      pending.put(name, unstable);
    }
  }

  /** A JSON-shaped value in a form where equal JSON compares equal (numbers by value). */
  static Object normalize(Object value) {
    if (value instanceof Number n) {
      if (n instanceof Double d && (d.isNaN() || d.isInfinite())) {
        return d;
      }
      BigDecimal decimal = n instanceof BigDecimal b ? b : new BigDecimal(n.toString());
      return decimal.signum() == 0 ? BigDecimal.ZERO : decimal.stripTrailingZeros();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new TreeMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), normalize(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(v -> out.add(normalize(v)));
      return out;
    }
    return value;
  }
}
