package io.tidemark.connector.postgres;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.Write;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Versioned layout against the plain one on the same PostgreSQL, in one run: write throughput
 * (epochs of upserts: close + insert + watermark row, against a plain upsert of the latest value)
 * and single-key read latency (a snapshot read at a random recent S, against a primary-key read).
 * Not a test: run it by hand (see the module README). Timings are printed, never asserted.
 *
 * <p>System properties: {@code bench.keys} (20000), {@code bench.batch} writes per epoch (1000),
 * {@code bench.epochs} measured update epochs (60), {@code bench.reads} measured reads per kind
 * (20000), {@code bench.seed}.
 */
public final class PostgresStoreBenchmark {

  private static final int KEYS = Integer.getInteger("bench.keys", 20_000);
  private static final int BATCH = Integer.getInteger("bench.batch", 1_000);
  private static final int EPOCHS = Integer.getInteger("bench.epochs", 60);
  private static final int READS = Integer.getInteger("bench.reads", 20_000);
  private static final String SOURCE = "bench";
  private static final String COLLECTION = "ads";

  private final Random random = new Random(Long.getLong("bench.seed", 42));
  private final ObjectMapper json =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private long lsn = 0x1_0000_0000L;
  private final List<Version> epochs = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    PostgresInfo info = Devstack.shared(StoreKind.POSTGRES).postgres();
    new PostgresStoreBenchmark().run(info);
    System.exit(0);
  }

  private void run(PostgresInfo info) throws Exception {
    String schema = TestDatabase.freshName("bench");
    PostgresStoreConfig config =
        PostgresStoreConfig.of(info.jdbcUrl(), info.user(), info.password())
            .withSchema(schema)
            .withStoreName("bench");
    System.out.printf(
        Locale.ROOT,
        "PostgreSQL %s, schema %s: %d keys, epochs of %d writes, %d measured epochs, %d reads%n",
        info.jdbcUrl(),
        schema,
        KEYS,
        BATCH,
        EPOCHS,
        READS);
    try (PostgresStore store = PostgresStore.open(config);
        Connection plain = TestDatabase.connect(info)) {
      String plainTable = "\"" + schema + "\".plain_ads";
      try (Statement st = plain.createStatement()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
        st.execute(
            "CREATE TABLE "
                + plainTable
                + " (key text COLLATE \"C\" PRIMARY KEY, doc jsonb NOT NULL)");
      }
      plain.setAutoCommit(false);
      PreparedStatement upsert =
          plain.prepareStatement(
              "INSERT INTO "
                  + plainTable
                  + " (key, doc) SELECT k, d::jsonb FROM unnest(?::text[], ?::text[]) AS u(k, d)"
                  + " ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc");

      // Load every key once in both layouts (not measured), then measure updates, alternating.
      for (int first = 0; first < KEYS; first += BATCH) {
        List<Integer> keys = new ArrayList<>();
        for (int k = first; k < Math.min(KEYS, first + BATCH); k++) {
          keys.add(k);
        }
        applyVersioned(store, keys);
        applyPlain(plain, upsert, keys);
      }
      long versionedNanos = 0;
      long plainNanos = 0;
      long writes = 0;
      for (int e = 0; e < EPOCHS; e++) {
        List<Integer> keys = randomKeys();
        long t0 = System.nanoTime();
        applyVersioned(store, keys);
        long t1 = System.nanoTime();
        applyPlain(plain, upsert, keys);
        long t2 = System.nanoTime();
        versionedNanos += t1 - t0;
        plainNanos += t2 - t1;
        writes += keys.size();
      }
      plain.setAutoCommit(true);
      double versionedRate = writes / (versionedNanos / 1e9);
      double plainRate = writes / (plainNanos / 1e9);

      try (Statement st = plain.createStatement()) {
        st.execute("VACUUM ANALYZE " + plainTable);
        st.execute("VACUUM ANALYZE \"" + schema + "\"." + store.tableName(COLLECTION));
      }
      // Reads: the plain primary-key read and the same-connection snapshot query (the store's own
      // SQL) parse the JSON like the store does, so the two differ only in the layout;
      // PostgresStore.get adds the pool.
      PreparedStatement plainRead =
          plain.prepareStatement("SELECT doc FROM " + plainTable + " WHERE key = ?");
      PreparedStatement snapshotRead =
          plain.prepareStatement(
              new Layout(new TableNames(schema, config.tables())).readAt(COLLECTION));
      long[] plainTimes = new long[READS];
      long[] snapshotTimes = new long[READS];
      long[] storeTimes = new long[READS];
      int warmup = Math.max(1_000, READS / 5);
      for (int i = -warmup; i < READS; i++) {
        String key = key(random.nextInt(KEYS));
        Version at = epochs.get(epochs.size() - 1 - random.nextInt(Math.min(20, epochs.size())));
        // Rotate the order, so no kind always runs first (or right after another).
        for (int j = 0; j < 3; j++) {
          int kind = Math.floorMod(i + j, 3);
          long t0 = System.nanoTime();
          switch (kind) {
            case 0 -> {
              plainRead.setString(1, key);
              try (ResultSet rs = plainRead.executeQuery()) {
                rs.next();
                json.readValue(rs.getString(1), Map.class);
              }
            }
            case 1 -> {
              snapshotRead.setString(1, at.toString());
              snapshotRead.setString(2, key);
              try (ResultSet rs = snapshotRead.executeQuery()) {
                if (rs.next()) {
                  Version.parse(rs.getString(1));
                  Version.parse(rs.getString(2));
                  json.readValue(rs.getString(3), Map.class);
                }
              }
            }
            default -> {
              Lookup found = store.get(COLLECTION, key, at);
              if (!found.isFound()) {
                throw new IllegalStateException("benchmark key " + key + " not found at " + at);
              }
            }
          }
          long took = System.nanoTime() - t0;
          if (i >= 0) {
            (kind == 0 ? plainTimes : kind == 1 ? snapshotTimes : storeTimes)[i] = took;
          }
        }
      }
      double plainP50 = median(plainTimes) / 1e3;
      double snapshotP50 = median(snapshotTimes) / 1e3;
      double storeP50 = median(storeTimes) / 1e3;

      System.out.printf(Locale.ROOT, "%n%-46s %14s %10s%n", "measure", "value", "ratio");
      System.out.printf(
          Locale.ROOT, "%-46s %10.0f w/s %10s%n", "plain upsert (latest only)", plainRate, "1.00");
      System.out.printf(
          Locale.ROOT,
          "%-46s %10.0f w/s %10.2f%n",
          "versioned apply (close + insert + watermark)",
          versionedRate,
          versionedRate / plainRate);
      System.out.printf(
          Locale.ROOT, "%-46s %10.1f µs %10s%n", "plain primary-key read p50", plainP50, "1.00");
      System.out.printf(
          Locale.ROOT,
          "%-46s %10.1f µs %10.2f%n",
          "snapshot read p50 (same SQL path)",
          snapshotP50,
          snapshotP50 / plainP50);
      System.out.printf(
          Locale.ROOT,
          "%-46s %10.1f µs %10.2f%n",
          "snapshot read p50 via PostgresStore.get",
          storeP50,
          storeP50 / plainP50);
      try (Statement st = plain.createStatement()) {
        st.execute("DROP SCHEMA \"" + schema + "\" CASCADE");
      }
    }
  }

  private List<Integer> randomKeys() {
    // Distinct keys: an epoch holds at most one write per key.
    java.util.Set<Integer> keys = new java.util.LinkedHashSet<>();
    while (keys.size() < Math.min(BATCH, KEYS)) {
      keys.add(random.nextInt(KEYS));
    }
    return new ArrayList<>(keys);
  }

  private void applyVersioned(PostgresStore store, List<Integer> keys) {
    Epoch.Builder builder = Epoch.builder(SOURCE);
    for (int k : keys) {
      builder.add(Write.upsert(COLLECTION, key(k), document(k)));
    }
    lsn += 0x100 + random.nextInt(0x100);
    Version version = Version.of(lsn);
    ApplyResult result = store.apply(builder.build(version));
    if (!result.succeeded()) {
      throw new IllegalStateException("apply failed: " + result.failures().get(0));
    }
    epochs.add(version);
  }

  private void applyPlain(Connection c, PreparedStatement upsert, List<Integer> keys)
      throws Exception {
    String[] names = new String[keys.size()];
    String[] docs = new String[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      names[i] = key(keys.get(i));
      docs[i] = json.writeValueAsString(document(keys.get(i)));
    }
    upsert.setArray(1, c.createArrayOf("text", names));
    upsert.setArray(2, c.createArrayOf("text", docs));
    upsert.executeUpdate();
    c.commit();
  }

  private static String key(int k) {
    return "ad-" + k;
  }

  private Map<String, Object> document(int k) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", "ad number " + k + " in good condition");
    doc.put("price", random.nextInt(100_000) / 100.0);
    doc.put("seller", "seller-" + (k % 997));
    doc.put("tags", List.of("used", "city-" + (k % 50)));
    doc.put("active", random.nextBoolean());
    doc.put("revision", random.nextInt(1_000));
    return doc;
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
