package io.tidemark.source.postgres;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Captures a PostgreSQL database's committed transactions with the Debezium embedded engine and
 * hands them on whole, in commit order, each with its version (commit LSN).
 *
 * <pre>{@code
 * PostgresSource source = PostgresSource.builder()
 *     .name("listings").jdbcUrl("jdbc:postgresql://db:5432/app").user("tidemark").password(pw)
 *     .tables(List.of("public.ads"))
 *     .offsetFile(Path.of("state/listings.offsets"))
 *     .build();
 * CompletableFuture<Void> stopped = source.start(tx -> lanes.put(tx));   // may block
 * ...
 * source.acknowledge(frontier);   // offsets move only up to what every store holds durably
 * source.close();
 * }</pre>
 *
 * <p>The consumer is called on the engine's thread, one transaction at a time, in commit order;
 * blocking in it holds the engine (backpressure). Versions strictly increase, except that the
 * chunks of an initial snapshot share one version, closed by a progress event at that version (see
 * the package documentation). A transaction without changes is a progress event: nothing at or
 * below its version is still to come.
 *
 * <p>Debezium's offsets are committed only up to the version given to {@link #acknowledge}, and
 * only at transaction boundaries. After a crash the source delivers again everything above the last
 * committed offset; a transaction delivered again is identical (same version, id and changes).
 */
public final class PostgresSource implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PostgresSource.class.getName());

  /** How often acknowledged offsets are written (and the slot's flush position moved). */
  static final Duration OFFSET_FLUSH_INTERVAL = Duration.ofMillis(100);

  static final Duration START_TIMEOUT = Duration.ofMinutes(2);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final PostgresSourceConfig config;
  private final Preflight preflight;
  private final AtomicReference<Version> acknowledged = new AtomicReference<>(Version.ZERO);
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
  private volatile boolean closing;
  private volatile Throwable consumerFailure;
  private boolean started;
  private boolean closed;

  private PostgresSource(PostgresSourceConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.preflight = new Preflight(config);
  }

  /** A source for this configuration; nothing happens until {@link #start}. */
  public static PostgresSource of(PostgresSourceConfig config) {
    return new PostgresSource(config);
  }

  public static Builder builder() {
    return new Builder();
  }

  public PostgresSourceConfig config() {
    return config;
  }

  /**
   * Checks and prepares the database (see {@link PostgresSourceConfig}), starts capturing, and
   * returns once the replication slot exists: every transaction that commits after this returns is
   * delivered (and, with {@link SnapshotMode#INITIAL} on a first start, every row that existed
   * before is in the snapshot).
   *
   * @param consumer receives transactions and progress events in commit order on the engine's
   *     thread; an exception from it stops the source (nothing after it is acknowledged)
   * @return completes when the source stops: normally after {@link #close()}, exceptionally with a
   *     {@link PostgresSourceException} when capture failed
   * @throws PostgresSourceException when the database is not ready for capture (the message says
   *     what to change), or the engine did not start
   */
  public synchronized CompletableFuture<Void> start(Consumer<SourceTransaction> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    if (closed) {
      throw new IllegalStateException(config.name() + ": source is closed");
    }
    if (started) {
      throw new IllegalStateException(config.name() + ": source is already started");
    }
    preflight.run(offsetsExist()); // may throw; the caller can fix the database and call again
    started = true;
    try {
      Files.createDirectories(config.offsetFile().toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TransactionAssembler assembler =
        new TransactionAssembler(
            config.name(),
            config.tables(),
            config.heartbeatTable(),
            config.snapshotChunkSize(),
            consumer);
    CountDownLatch taskStarted = new CountDownLatch(1);
    engine =
        DebeziumEngine.create(Connect.class)
            .using(debeziumProperties(config, preflight.heartbeatQuery()))
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void taskStarted() {
                    taskStarted.countDown();
                  }
                })
            .using(this::engineStopped)
            .notifying(new Handler(assembler))
            .build();
    Thread engineThread = new Thread(engine, "tidemark-source-" + config.name());
    engineThread.setDaemon(true);
    engineThread.start();
    awaitStart(taskStarted);
    return stopped;
  }

  private void awaitStart(CountDownLatch taskStarted) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try {
      while (!taskStarted.await(20, TimeUnit.MILLISECONDS)) {
        if (stopped.isDone()) {
          stopped.join(); // throws the failure
          throw new PostgresSourceException(config.name() + ": engine stopped while starting");
        }
        if (System.nanoTime() > deadline) {
          throw new PostgresSourceException(
              config.name() + ": engine did not start within " + START_TIMEOUT.toSeconds() + " s");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresSourceException(config.name() + ": interrupted while starting", e);
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof PostgresSourceException p ? p : e;
    }
  }

  private void engineStopped(boolean success, String message, Throwable error) {
    Throwable cause = consumerFailure != null ? consumerFailure : error;
    if ((closing && consumerFailure == null) || (success && cause == null)) {
      stopped.complete(null);
    } else {
      stopped.completeExceptionally(
          cause instanceof PostgresSourceException p && cause == consumerFailure
              ? p
              : new PostgresSourceException(
                  config.name() + ": change capture stopped: " + message + describe(cause), cause));
    }
  }

  private static String describe(Throwable cause) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = cause; t != null; t = t.getCause()) {
      text.append(": ").append(t.getMessage() == null ? t.getClass().getName() : t.getMessage());
      if (t.getCause() == t) {
        break;
      }
    }
    return text.toString();
  }

  /**
   * Everything at or below {@code upTo} is durable downstream: Debezium's offset may move up to the
   * last transaction at or below it. Thread-safe; a lower version than before is ignored. Offsets
   * are written by the engine's thread within {@link #OFFSET_FLUSH_INTERVAL} plus one heartbeat
   * interval.
   */
  public void acknowledge(Version upTo) {
    Objects.requireNonNull(upTo, "upTo");
    acknowledged.accumulateAndGet(upTo, Version::max);
  }

  /** The highest version acknowledged so far in this run. */
  public Version acknowledged() {
    return acknowledged.get();
  }

  /**
   * Stops capturing (waiting for the engine to finish its current batch), commits the acknowledged
   * offset, and with {@code dropSlotOnStop} drops the replication slot and deletes the offset file.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    try {
      if (engine != null) {
        stopEngine();
      }
    } finally {
      if (config.dropSlotOnStop()) {
        preflight.dropSlot();
        try {
          Files.deleteIfExists(config.offsetFile());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private void stopEngine() {
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    while (!stopped.isDone()) {
      try {
        engine.close();
        break;
      } catch (IllegalStateException e) {
        // "tasks are starting" (retry shortly) or "already shut down" (done).
        if (stopped.isDone() || System.nanoTime() > deadline) {
          break;
        }
        sleep(20);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    try {
      stopped.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      LOG.log(Level.DEBUG, config.name() + ": source had failed before close", e.getCause());
    } catch (TimeoutException e) {
      LOG.log(Level.WARNING, config.name() + ": engine did not stop within " + STOP_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresSourceException("interrupted", e);
    }
  }

  private boolean offsetsExist() {
    try {
      return Files.isRegularFile(config.offsetFile()) && Files.size(config.offsetFile()) > 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The read-your-writes stamp of the transaction just committed on {@code connection}: call it
   * right after {@code commit()}, on the same connection. The result is at or above that
   * transaction's version, so a snapshot at least this version contains the write. ({@code
   * pg_current_wal_lsn()} is not safe here with {@code synchronous_commit = off}.) In manual-commit
   * mode the query opens a transaction that the caller ends as usual.
   */
  public static Version currentWalInsertLsn(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  /** Debezium's configuration for this source (package-private: the benchmark's bare engine). */
  static Properties debeziumProperties(PostgresSourceConfig config, String heartbeatQuery) {
    Properties p = new Properties();
    p.setProperty("name", config.name());
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("offset.storage", AtomicFileOffsetStore.class.getName());
    p.setProperty("offset.storage.file.filename", config.offsetFile().toAbsolutePath().toString());
    p.setProperty("offset.flush.interval.ms", Long.toString(OFFSET_FLUSH_INTERVAL.toMillis()));
    p.setProperty("database.hostname", config.host());
    p.setProperty("database.port", Integer.toString(config.port()));
    p.setProperty("database.user", config.user());
    p.setProperty("database.password", config.password());
    p.setProperty("database.dbname", config.database());
    p.setProperty("topic.prefix", config.name());
    // Debezium's MBeans are named by topic.prefix, the source's name; two engines of one source
    // in one JVM (a backfill beside the coordinator) would wait a minute for a free name.
    p.setProperty("custom.metric.tags", "slot=" + config.slotName());
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", config.slotName());
    p.setProperty("slot.drop.on.stop", "false"); // close() drops it, after the engine let go
    p.setProperty("publication.name", config.publicationName());
    p.setProperty("publication.autocreate.mode", "disabled"); // Preflight keeps it exact
    List<String> captured = new ArrayList<>(config.tables().keySet());
    p.setProperty("table.include.list", regexList(captured, config.heartbeatTable()));
    p.setProperty(
        "snapshot.mode", config.snapshotMode() == SnapshotMode.INITIAL ? "initial" : "no_data");
    p.setProperty("snapshot.include.collection.list", regexList(captured, null));
    p.setProperty("provide.transaction.metadata", "true");
    p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeatInterval().toMillis()));
    p.setProperty("heartbeat.action.query", heartbeatQuery);
    p.setProperty("poll.interval.ms", "10");
    p.setProperty("tombstones.on.delete", "false");
    p.setProperty("skipped.operations", "none"); // a TRUNCATE must stop the source, not vanish
    p.setProperty("decimal.handling.mode", "precise");
    p.setProperty("time.precision.mode", "adaptive_time_microseconds");
    p.setProperty("interval.handling.mode", "string");
    p.setProperty("hstore.handling.mode", "map");
    p.setProperty("include.unknown.datatypes", "true");
    // Detects an offset that points into a slot that was dropped and recreated.
    p.setProperty("offset.mismatch.strategy", "trust_offset");
    return p;
  }

  private static String regexList(List<String> tables, String extra) {
    List<String> all = new ArrayList<>(tables);
    if (extra != null) {
      all.add(extra);
    }
    return String.join(",", all.stream().map(Pattern::quote).toList());
  }

  /**
   * Feeds Debezium's batches to the assembler and commits offsets: only the offsets of records that
   * complete a version (END records, the last snapshot row), and only once that version is
   * acknowledged. Debezium's committer is not thread-safe, so marking happens here, on the engine's
   * thread, at every batch; heartbeats make sure batches keep coming on an idle source.
   */
  private final class Handler
      implements DebeziumEngine.ChangeConsumer<ChangeEvent<SourceRecord, SourceRecord>> {
    private final TransactionAssembler assembler;
    private final ArrayDeque<Completed> unacknowledged = new ArrayDeque<>();

    Handler(TransactionAssembler assembler) {
      this.assembler = assembler;
    }

    @Override
    public void handleBatch(
        List<ChangeEvent<SourceRecord, SourceRecord>> records,
        DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
        throws InterruptedException {
      try {
        for (ChangeEvent<SourceRecord, SourceRecord> record : records) {
          Version completes = assembler.accept(record.value());
          if (completes != null) {
            unacknowledged.addLast(new Completed(completes, record));
            if (unacknowledged.size() > MAX_UNACKNOWLEDGED) {
              thin(unacknowledged);
            }
          }
        }
      } catch (RuntimeException e) {
        consumerFailure =
            e instanceof PostgresSourceException
                ? e
                : new PostgresSourceException(
                    config.name() + ": the transaction consumer failed: " + e, e);
        throw (RuntimeException) consumerFailure;
      }
      Version upTo = acknowledged.get();
      Completed last = null;
      while (!unacknowledged.isEmpty() && !unacknowledged.peekFirst().version.isAfter(upTo)) {
        last = unacknowledged.pollFirst();
      }
      if (last != null) {
        // The committed offset is the last marked record's: one mark covers everything before.
        committer.markProcessed(last.record, resumeOffset(last.record.value(), committer));
      }
      committer.markBatchFinished();
    }

    @Override
    public boolean supportsTombstoneEvents() {
      return false;
    }
  }

  private record Completed(Version version, ChangeEvent<SourceRecord, SourceRecord> record) {}

  /** More records than this waiting for acknowledgement are thinned out (see {@link #thin}). */
  static final int MAX_UNACKNOWLEDGED = 10_000;

  /**
   * Drops every other waiting record, keeping the newest: when acknowledgements stall (a store is
   * down and holds the frontier) memory stays bounded. Committing an older offset than possible is
   * always safe; it only means more is delivered again after a crash.
   */
  static <T> void thin(ArrayDeque<T> waiting) {
    int size = waiting.size();
    ArrayDeque<T> kept = new ArrayDeque<>(size / 2 + 1);
    int i = 0;
    for (T t : waiting) {
      if (i % 2 == 1 || i == size - 1) {
        kept.addLast(t);
      }
      i++;
    }
    waiting.clear();
    waiting.addAll(kept);
  }

  /**
   * The offset to commit for a record that completes a version: its own, without {@code lsn_proc}
   * and the open-transaction keys. Without {@code lsn_proc} Debezium restarts streaming exactly at
   * the commit LSN ({@code lsn}), where PostgreSQL sends every transaction that committed after it,
   * whole. With it, Debezium first searches the stream for the stored position by LSN
   * (WalPositionLocator), and a transaction that began before the stored commit and has a change at
   * exactly that commit's end LSN loses the changes up to there (reproduced in {@code
   * PostgresSourceIT}).
   */
  static DebeziumEngine.Offsets resumeOffset(
      SourceRecord record, DebeziumEngine.RecordCommitter<?> committer) {
    DebeziumEngine.Offsets offsets = committer.buildOffsets();
    record
        .sourceOffset()
        .forEach(
            (key, value) -> {
              if (!key.equals("lsn_proc") && !key.startsWith("transaction_")) {
                offsets.set(key, value);
              }
            });
    return offsets;
  }

  /** Builds a {@link PostgresSource}; see {@link PostgresSourceConfig} for each setting. */
  public static final class Builder {
    private String name;
    private String jdbcUrl;
    private String user;
    private String password;
    private Map<String, String> tables = new LinkedHashMap<>();
    private String slotName;
    private String publicationName;
    private Path offsetFile;
    private Duration heartbeatInterval;
    private String heartbeatTable;
    private SnapshotMode snapshotMode;
    private int snapshotChunkSize = PostgresSourceConfig.DEFAULT_SNAPSHOT_CHUNK_SIZE;
    private ReplicaIdentity replicaIdentity;
    private boolean dropSlotOnStop;

    private Builder() {}

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    public Builder user(String user) {
      this.user = user;
      return this;
    }

    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * Captures these tables ({@code schema.table}), each as the collection named like the table.
     */
    public Builder tables(List<String> tables) {
      this.tables = PostgresSourceConfig.defaultCollections(tables);
      return this;
    }

    /** Captures these tables ({@code schema.table} → collection). */
    public Builder tables(Map<String, String> tableToCollection) {
      this.tables = new LinkedHashMap<>(tableToCollection);
      return this;
    }

    /** Adds one captured table with its collection name. */
    public Builder table(String table, String collection) {
      this.tables.put(table, collection);
      return this;
    }

    /** Default {@code tidemark_<name>}. */
    public Builder slotName(String slotName) {
      this.slotName = slotName;
      return this;
    }

    /** Default: the slot name. */
    public Builder publicationName(String publicationName) {
      this.publicationName = publicationName;
      return this;
    }

    /** Required: Debezium's offset file for this source (one file per source). */
    public Builder offsetFile(Path offsetFile) {
      this.offsetFile = offsetFile;
      return this;
    }

    /** Default 100 ms. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    /** Default {@code public.tidemark_heartbeat}; created when missing. */
    public Builder heartbeatTable(String heartbeatTable) {
      this.heartbeatTable = heartbeatTable;
      return this;
    }

    /** Default {@link SnapshotMode#INITIAL}. */
    public Builder snapshotMode(SnapshotMode snapshotMode) {
      this.snapshotMode = snapshotMode;
      return this;
    }

    /** Default 1024 rows. */
    public Builder snapshotChunkSize(int snapshotChunkSize) {
      this.snapshotChunkSize = snapshotChunkSize;
      return this;
    }

    /** Default {@link ReplicaIdentity#REQUIRE_FULL}. */
    public Builder replicaIdentity(ReplicaIdentity replicaIdentity) {
      this.replicaIdentity = replicaIdentity;
      return this;
    }

    /** Default false. */
    public Builder dropSlotOnStop(boolean dropSlotOnStop) {
      this.dropSlotOnStop = dropSlotOnStop;
      return this;
    }

    /** The validated configuration. */
    public PostgresSourceConfig config() {
      return new PostgresSourceConfig(
          name,
          jdbcUrl,
          user,
          password,
          tables,
          slotName,
          publicationName,
          offsetFile,
          heartbeatInterval,
          heartbeatTable,
          snapshotMode,
          snapshotChunkSize,
          replicaIdentity,
          dropSlotOnStop);
    }

    public PostgresSource build() {
      return new PostgresSource(config());
    }
  }
}
