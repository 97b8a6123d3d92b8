package io.tidemark.source.postgres;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.SourceTransaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Events per second delivered live into (a) a bare Debezium consumer that only counts row changes
 * and marks the last record of each batch, and (b) this source's consumer (whole, typed, versioned
 * transactions), in the same run, on the same PostgreSQL, with the same Debezium settings. Rows are
 * inserted while the engine runs, in transactions of 1,000 rows; the rate is measured from the
 * first row change delivered to the last.
 *
 * <p>Run: {@code ./mvnw -q -pl connectors/postgres-source test-compile exec:java [-Dexec.args="ROWS
 * ROUNDS"]} (defaults 200000 rows, 7 rounds of each, alternating, after a warm-up of each with a
 * quarter of the rows).
 */
public final class SourceThroughputBenchmark {
  private SourceThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path dir = Files.createTempDirectory("tidemark-source-bench");
    try (Devstack stack = Devstack.start(StoreKind.POSTGRES)) {
      PostgresInfo pg = stack.postgres();
      // Warm-up (JIT, PostgreSQL caches), not counted.
      run(pg, dir, "warmup_bare", rows / 4, true);
      run(pg, dir, "warmup_source", rows / 4, false);
      List<Double> bare = new ArrayList<>();
      List<Double> source = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      List<Double> bareCpu = new ArrayList<>();
      List<Double> sourceCpu = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        Result b = run(pg, dir, "bare_" + round, rows, true);
        Result s = run(pg, dir, "source_" + round, rows, false);
        bare.add(b.eventsPerSecond);
        source.add(s.eventsPerSecond);
        bareCpu.add(b.cpuMicrosPerEvent);
        sourceCpu.add(s.cpuMicrosPerEvent);
        System.out.printf(
            "round %d: bare Debezium %,.0f events/s (%.2f µs JVM CPU/event), PostgresSource %,.0f"
                + " events/s (%.2f µs JVM CPU/event), ratio %.2f%n",
            round + 1,
            b.eventsPerSecond,
            b.cpuMicrosPerEvent,
            s.eventsPerSecond,
            s.cpuMicrosPerEvent,
            s.eventsPerSecond / b.eventsPerSecond);
        ratios.add(s.eventsPerSecond / b.eventsPerSecond);
      }
      System.out.printf(
          "JVM CPU per event (median): bare %.2f µs, PostgresSource %.2f µs (%.2fx)%n",
          median(bareCpu), median(sourceCpu), median(sourceCpu) / median(bareCpu));
      double bareMedian = median(bare);
      double sourceMedian = median(source);
      System.out.printf(
          "median over %d rounds of %,d rows: bare Debezium %,.0f events/s, PostgresSource"
              + " %,.0f events/s, ratio of medians %.2f, median of per-round ratios %.2f (goal ≥"
              + " 0.85)%n",
          rounds, rows, bareMedian, sourceMedian, sourceMedian / bareMedian, median(ratios));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private record Result(double eventsPerSecond, double cpuMicrosPerEvent) {}

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static Result run(PostgresInfo pg, Path dir, String name, int rows, boolean bare)
      throws Exception {
    String table = "bench_" + name;
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, title text, price numeric(10,2), created timestamptz,"
              + " body text)");
      s.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
    }
    PostgresSourceConfig config =
        PostgresSource.builder()
            .name(name)
            .jdbcUrl(pg.jdbcUrl())
            .user(pg.user())
            .password(pg.password())
            .tables(List.of(table))
            .offsetFile(dir.resolve(name + ".offsets"))
            .snapshotMode(PostgresSourceConfig.SnapshotMode.NO_DATA)
            .dropSlotOnStop(true)
            .config();
    AtomicLong count = new AtomicLong();
    AtomicLong firstNanos = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    AutoCloseable engine;
    if (bare) {
      Preflight preflight = new Preflight(config);
      preflight.run(false);
      CountDownLatch started = new CountDownLatch(1);
      DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> debezium =
          DebeziumEngine.create(Connect.class)
              .using(PostgresSource.debeziumProperties(config, preflight.heartbeatQuery()))
              .using(
                  new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                      started.countDown();
                    }
                  })
              .notifying(
                  (records, committer) -> {
                    int changes = 0;
                    for (ChangeEvent<SourceRecord, SourceRecord> r : records) {
                      if (r.value().value() instanceof Struct v && v.schema().field("op") != null) {
                        changes++;
                      }
                    }
                    count(count, firstNanos, done, rows, changes);
                    // The cheapest correct commit: the last record's offset covers the batch.
                    committer.markProcessed(records.get(records.size() - 1));
                    committer.markBatchFinished();
                  })
              .build();
      Thread thread = new Thread(debezium, "bare-debezium");
      thread.start();
      started.await(2, TimeUnit.MINUTES);
      engine =
          () -> {
            debezium.close();
            thread.join(60_000);
            preflight.dropSlot();
          };
    } else {
      PostgresSource source = PostgresSource.of(config);
      source.start(
          (SourceTransaction tx) -> {
            if (!tx.isProgress()) {
              count(count, firstNanos, done, rows, tx.changes().size());
            }
            source.acknowledge(tx.version());
          });
      engine = source;
    }
    try {
      long cpuBefore = processCpuNanos();
      load(pg, table, rows);
      if (!done.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException(name + ": only " + count.get() + " of " + rows + " events");
      }
      long nanos = System.nanoTime() - firstNanos.get();
      // JVM CPU while loading and capturing (the loader's share is the same in both variants).
      double cpuMicros = (processCpuNanos() - cpuBefore) / 1e3 / count.get();
      return new Result(count.get() / (nanos / 1e9), cpuMicros);
    } finally {
      engine.close();
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("DROP PUBLICATION IF EXISTS " + config.publicationName());
        s.execute("DROP TABLE " + table);
      }
    }
  }

  private static void count(
      AtomicLong count, AtomicLong firstNanos, CountDownLatch done, int rows, int n) {
    firstNanos.compareAndSet(0, System.nanoTime());
    if (count.addAndGet(n) >= rows) {
      done.countDown();
    }
  }

  /** Inserts the rows in transactions of 1,000 (multi-row inserts from generate_series). */
  private static void load(PostgresInfo pg, String table, int rows) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      for (int from = 1; from <= rows; from += 1000) {
        int to = Math.min(rows, from + 999);
        s.execute(
            "INSERT INTO "
                + table
                + " SELECT g, 'title ' || g, g * 0.01, now(), repeat('body text ', 10) FROM"
                + " generate_series("
                + from
                + ", "
                + to
                + ") g");
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
