package io.tidemark.benchmarks;

import io.tidemark.protocol.Version;
import io.tidemark.source.postgres.PostgresSource;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The source load: a pool of writers, each on its own connection, committing transactions that
 * upsert 1-4 rows of one table (and, one transaction in 20, also delete a row), either as fast as
 * they can or paced to a total rate. Rows look like small classified ads (a title, a price, a
 * description of about 150 characters) and carry a revision, {@code rev}, from a sequence taken
 * under the row's lock, so a row's revisions grow in commit order: a reader compares two copies of
 * a row by it (stale detail).
 */
final class Workload {

  /** Probe rows (one fresh row per probe) live above the workload's key range. */
  static final long PROBE_BASE = 1_000_000_000L;

  /** How a transaction picks its keys. */
  enum Keys {
    /** Every key equally likely. */
    UNIFORM,
    /** 90% of the rows written are among the first 1% of keys. */
    HOT,
    /**
     * Every row written is a new one (ids above the initial rows), and the deletes withdraw one of
     * the 1,000 newest rows: new ads, some withdrawn soon after.
     */
    INSERT
  }

  /** One committed probe: its row, when its commit returned, and an upper bound of its LSN. */
  record Probe(long id, String title, long committedNanos, Version upperLsn) {}

  /** What a run committed. */
  record Run(
      long transactions,
      long changes,
      long aborted,
      long startNanos,
      long endNanos,
      Version upTo,
      long writerCpuNanos) {
    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }

  private static final String[] WORDS = {
    "bike",
    "sofa",
    "red",
    "vintage",
    "lamp",
    "garden",
    "table",
    "oak",
    "used",
    "new",
    "chair",
    "phone",
    "blue",
    "kids",
    "winter",
    "jacket",
    "books",
    "camera",
    "lens",
    "guitar",
    "desk",
    "city",
    "pickup",
    "only",
    "great",
    "condition",
    "cheap",
    "boxed",
    "rare",
    "tools",
    "drill"
  };

  private final Db db;
  private final String table;
  private final int keys;
  private final String[] descriptions = new String[64];
  private final AtomicLong probeSeq = new AtomicLong();
  private final AtomicLong nextInsert;
  private final java.util.concurrent.atomic.AtomicLongArray recent =
      new java.util.concurrent.atomic.AtomicLongArray(RECENT);
  private final AtomicLong recentCount = new AtomicLong();

  /** How many of the last committed row ids {@link #recentId} picks from. */
  static final int RECENT = 4096;

  /** Opens connections to the source database. */
  interface Db {
    Connection connect() throws SQLException;
  }

  Workload(Db db, String table, int keys) {
    this.db = db;
    this.table = table;
    this.keys = keys;
    this.nextInsert = new AtomicLong(keys);
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < descriptions.length; i++) {
      StringBuilder text = new StringBuilder();
      while (text.length() < 150) {
        text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
      }
      descriptions[i] = text.toString().trim();
    }
  }

  /** Creates the table with rows 1..keys, before capture starts (the initial snapshot has them). */
  void create() throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE SEQUENCE " + revisions());
      s.execute(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, title text NOT NULL, price_cents integer,"
              + " description text, rev bigint NOT NULL DEFAULT nextval('"
              + revisions()
              + "'))");
      s.execute(
          "INSERT INTO "
              + table
              + " SELECT g, 'ad ' || g, g % 100000, '"
              + descriptions[0]
              + "' FROM generate_series(1, "
              + keys
              + ") g");
      s.execute("ANALYZE " + table);
    }
  }

  /**
   * A row as the table holds it after creation ({@code rev} 1), as a document: the same shape the
   * pipelines copy, for writing the stores directly.
   */
  java.util.Map<String, Object> row(long id) {
    return java.util.Map.of(
        "id",
        id,
        "title",
        "ad " + id,
        "price_cents",
        (int) (id % 100_000),
        "description",
        descriptions[0],
        "rev",
        1L);
  }

  /**
   * One of the rows the writers committed last (written or deleted), or a random initial row before
   * any commit: what a reader looking for fresh ads asks for.
   */
  long recentId(SplittableRandom random) {
    long n = recentCount.get();
    if (n == 0) {
      return 1 + random.nextInt(keys);
    }
    int back = random.nextInt((int) Math.min(n, RECENT));
    return recent.get((int) Math.floorMod(n - 1 - back, (long) RECENT));
  }

  private void committed(long id) {
    recent.set((int) Math.floorMod(recentCount.getAndIncrement(), (long) RECENT), id);
  }

  /** The sequence that numbers the rows' revisions. */
  String revisions() {
    return table + "_rev";
  }

  /** The table's name. */
  String table() {
    return table;
  }

  /** Ids of the rows the workload created or may have inserted so far (1..this). */
  long maxId() {
    return nextInsert.get();
  }

  /** Commits one row change and returns an upper bound of its commit LSN. */
  Version commitMarker() throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE " + table + " SET price_cents = price_cents + 1 WHERE id = 1");
      return PostgresSource.currentWalInsertLsn(c);
    }
  }

  /**
   * Runs {@code writers} writers for {@code duration}.
   *
   * @param txPerSecond total pace of the writers; 0 for as fast as they can
   * @param probes receives probe commits ({@code probesPerSecond} of them), or null for none
   */
  Run run(
      Keys pick,
      int writers,
      Duration duration,
      double txPerSecond,
      Consumer<Probe> probes,
      double probesPerSecond)
      throws Exception {
    AtomicLong transactions = new AtomicLong();
    AtomicLong changes = new AtomicLong();
    AtomicLong aborted = new AtomicLong();
    AtomicLong cpu = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      long seed = 1000L * w + System.nanoTime();
      long intervalNanos = txPerSecond > 0 ? (long) (writers * 1e9 / txPerSecond) : 0;
      long firstAt = start + (intervalNanos * w) / writers;
      Thread t =
          new Thread(
              () -> {
                try {
                  write(pick, seed, firstAt, intervalNanos, end, transactions, changes, aborted);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  cpu.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                }
              },
              "bench-writer-" + w);
      threads.add(t);
    }
    if (probes != null && probesPerSecond > 0) {
      long intervalNanos = (long) (1e9 / probesPerSecond);
      threads.add(
          new Thread(
              () -> {
                try {
                  probe(probes, start, intervalNanos, end, transactions, changes);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  cpu.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                }
              },
              "bench-prober"));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    long stopped = System.nanoTime();
    if (failure.get() != null) {
      throw new IllegalStateException("a writer failed: " + failure.get(), failure.get());
    }
    Version upTo;
    try (Connection c = db.connect()) {
      upTo = PostgresSource.currentWalInsertLsn(c);
    }
    return new Run(
        transactions.get(), changes.get(), aborted.get(), start, stopped, upTo, cpu.get());
  }

  private void write(
      Keys pick,
      long seed,
      long firstAt,
      long intervalNanos,
      long end,
      AtomicLong transactions,
      AtomicLong changes,
      AtomicLong aborted)
      throws SQLException {
    SplittableRandom random = new SplittableRandom(seed);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      PreparedStatement[] upserts = new PreparedStatement[5];
      for (int n = 1; n <= 4; n++) {
        StringBuilder sql =
            new StringBuilder(
                "INSERT INTO " + table + " (id, title, price_cents, description, rev)");
        for (int i = 0; i < n; i++) {
          sql.append(i == 0 ? " VALUES " : ", ")
              .append("(?, ?, ?, ?, nextval('")
              .append(revisions())
              .append("'))");
        }
        // The update takes its revision under the row's lock: revisions grow in commit order.
        sql.append(
            " ON CONFLICT (id) DO UPDATE SET title = excluded.title, price_cents ="
                + " excluded.price_cents, description = excluded.description, rev = nextval('"
                + revisions()
                + "')");
        upserts[n] = c.prepareStatement(sql.toString());
      }
      PreparedStatement delete = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?");
      long[] ids = new long[4];
      long next = firstAt;
      long seq = 0;
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        if (intervalNanos > 0) {
          if (next > now) {
            LockSupport.parkNanos(next - now);
          } else if (now - next > 1_000_000_000L) {
            next = now; // far behind: do not burst to catch up
          }
          next += intervalNanos;
        }
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
          ids[i] = key(pick, random);
        }
        Arrays.sort(ids, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
          if (distinct == 0 || ids[distinct - 1] != ids[i]) {
            ids[distinct++] = ids[i];
          }
        }
        PreparedStatement upsert = upserts[distinct];
        seq++;
        for (int i = 0; i < distinct; i++) {
          upsert.setLong(4 * i + 1, ids[i]);
          upsert.setString(4 * i + 2, "ad " + ids[i] + " v" + seq + " " + WORDS[i]);
          upsert.setInt(4 * i + 3, random.nextInt(100_000));
          upsert.setString(4 * i + 4, descriptions[random.nextInt(descriptions.length)]);
        }
        try {
          long changed = upsert.executeUpdate();
          long deleted = -1;
          if (random.nextInt(20) == 0) {
            deleted =
                pick == Keys.INSERT
                    ? Math.max(1, nextInsert.get() - random.nextInt(1000))
                    : 1 + random.nextInt(keys);
            delete.setLong(1, deleted);
            changed += delete.executeUpdate();
          }
          c.commit();
          for (int i = 0; i < distinct; i++) {
            committed(ids[i]);
          }
          if (deleted > 0) {
            committed(deleted);
          }
          transactions.incrementAndGet();
          changes.addAndGet(changed);
        } catch (SQLException e) {
          c.rollback();
          // Deadlock or serialization failure between writers: give up this transaction.
          if (!"40P01".equals(e.getSQLState()) && !"40001".equals(e.getSQLState())) {
            throw e;
          }
          aborted.incrementAndGet();
        }
      }
    }
  }

  private long key(Keys pick, SplittableRandom random) {
    int hot = Math.max(1, keys / 100);
    return switch (pick) {
      case UNIFORM -> 1 + random.nextInt(keys);
      case HOT ->
          random.nextInt(10) < 9 ? 1 + random.nextInt(hot) : hot + 1 + random.nextInt(keys - hot);
      case INSERT -> nextInsert.incrementAndGet();
    };
  }

  private void probe(
      Consumer<Probe> probes,
      long start,
      long intervalNanos,
      long end,
      AtomicLong transactions,
      AtomicLong changes)
      throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " (id, title, price_cents, description) VALUES (?, ?, 0, 'probe')")) {
      c.setAutoCommit(true);
      long next = start + intervalNanos / 2;
      while (true) {
        long now = System.nanoTime();
        if (next >= end) {
          return;
        }
        if (next > now) {
          LockSupport.parkNanos(next - now);
        }
        next += intervalNanos;
        long id = PROBE_BASE + probeSeq.incrementAndGet();
        String title = "probe " + id;
        insert.setLong(1, id);
        insert.setString(2, title);
        insert.executeUpdate(); // autocommit: returns once committed
        long committed = System.nanoTime();
        Version upper = PostgresSource.currentWalInsertLsn(c);
        transactions.incrementAndGet();
        changes.incrementAndGet();
        probes.accept(new Probe(id, title, committed, upper));
      }
    }
  }
}
