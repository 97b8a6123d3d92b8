package io.tidemark.coordinator.migrate;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code tidemark migrate backfill}: builds a pending store's collections from a consistent
 * snapshot of the source, then catches it up from the live stream, with a pipeline of its own
 * beside the running coordinator.
 *
 * <p>The pipeline is a {@link Coordinator} on a derived configuration: the same source name (so
 * versions and watermarks are comparable), a replication slot and state folder of its own
 * (resumable), the target store only, and one epoch per source transaction ({@code maxChanges: 1}),
 * so that the target's epoch boundaries include every boundary the main coordinator cuts: the
 * target is exact at every main snapshot from its snapshot's version P on.
 *
 * <p>Resume: a run that finds the pipeline's committed source offsets resumes streaming from them
 * (the target skips what it has). A run that finds none (a first run, or one interrupted during its
 * snapshot) clears the target collection and its watermark first, then snapshots again: the entries
 * of an abandoned snapshot would otherwise stay (docs/decisions.md, known gaps).
 */
final class Backfiller {

  /**
   * @param store the pending store to build
   * @param rate at most this many rows (store writes) per second; 0: no limit
   * @param follow keep streaming after catching up, until interrupted
   * @param progressEvery how often a progress line is printed
   */
  record Options(String store, long rate, boolean follow, Duration progressEvery) {}

  /** What a finished backfill reached. */
  record Result(Version snapshotVersion, Version watermark, long rowsWritten) {}

  private final TidemarkConfig main;
  private final Options options;
  private final Consumer<String> progress;

  /** {@code progress} takes each progress line (the command prints them to stderr). */
  Backfiller(TidemarkConfig main, Options options, Consumer<String> progress) {
    this.main = main;
    this.options = options;
    this.progress = progress;
  }

  /** The state folder of a store's backfill pipeline. */
  static Path stateDir(TidemarkConfig main, String store) {
    return main.stateDir().resolve("migrations").resolve(store);
  }

  /** Where the version of a store's backfill snapshot is recorded (read by switch). */
  static Path snapshotVersionFile(TidemarkConfig main, String store) {
    return main.stateDir().resolve("migrations").resolve(store + ".snapshot");
  }

  /** The snapshot version a backfill of {@code store} recorded, if it got that far. */
  static Optional<Version> snapshotVersion(TidemarkConfig main, String store) {
    Path file = snapshotVersionFile(main, store);
    try {
      return Files.exists(file)
          ? Optional.of(Version.parse(Files.readString(file, StandardCharsets.UTF_8).trim()))
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The backfill pipeline's slot: the main slot's name with the store's, within 63 characters. */
  static String slot(TidemarkConfig main, String store) {
    String suffix = "_bf_" + store.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String base = main.source().slot();
    if (base.length() + suffix.length() > 63) {
      base = base.substring(0, 63 - suffix.length());
    }
    return base + suffix;
  }

  /** The target store, checked: pending, with collections, and stored apart from every other. */
  static TidemarkConfig.Store target(TidemarkConfig main, String name) {
    TidemarkConfig.Store store = main.stores().get(name);
    if (store == null) {
      throw new IllegalArgumentException(
          "unknown store '"
              + name
              + "'; stores: "
              + new java.util.TreeSet<>(main.stores().keySet()));
    }
    if (store.migration() != TidemarkConfig.Migration.PENDING) {
      throw new IllegalArgumentException(
          "store '"
              + name
              + "' is not pending (stores."
              + name
              + ".migration is "
              + store.migration().name().toLowerCase(Locale.ROOT)
              + "); a backfill clears and rebuilds its target, so mark it `migration: pending` and"
              + " restart the coordinator first");
    }
    if (store.kind() != TidemarkConfig.StoreKind.ELASTICSEARCH
        && store.kind() != TidemarkConfig.StoreKind.POSTGRES) {
      throw new IllegalArgumentException(
          "store '"
              + name
              + "' is a "
              + store.kind().name().toLowerCase(Locale.ROOT)
              + " cache; backfill builds a search index or a read database (caches fill"
              + " themselves: attach them as they are)");
    }
    if (main.collectionsIn(name).isEmpty()) {
      throw new IllegalArgumentException(
          "store '" + name + "' holds no collection; add it under collections.<name>.stores");
    }
    String location = Stores.location(store);
    for (TidemarkConfig.Store other : main.stores().values()) {
      if (!other.name().equals(name) && Stores.location(other).equals(location)) {
        throw new IllegalArgumentException(
            "store '"
                + name
                + "' keeps its data where store '"
                + other.name()
                + "' does ("
                + location
                + "); give it another indexPrefix or schema");
      }
    }
    return store;
  }

  /** The configuration of the backfill pipeline. */
  static TidemarkConfig pipeline(TidemarkConfig main, String name) {
    TidemarkConfig.Store store = target(main, name);
    TidemarkConfig.Source s = main.source();
    String slot = slot(main, name);
    TidemarkConfig.Source source =
        new TidemarkConfig.Source(
            s.name(),
            s.jdbcUrl(),
            s.user(),
            s.password(),
            slot,
            slot,
            s.heartbeat(),
            TidemarkConfig.SnapshotMode.INITIAL,
            false,
            s.setReplicaIdentityFull());
    Map<String, TidemarkConfig.Collection> collections = new LinkedHashMap<>();
    main.collectionsIn(name)
        .forEach(
            (collection, spec) ->
                collections.put(
                    collection,
                    new TidemarkConfig.Collection(
                        collection,
                        main.collections().get(collection).table(),
                        Map.of(name, spec))));
    TidemarkConfig.Store asWritten =
        new TidemarkConfig.Store(
            store.name(),
            store.kind(),
            store.settings(),
            store.password(),
            Duration.ZERO,
            TidemarkConfig.Migration.NONE);
    return new TidemarkConfig(
        source,
        Map.of(name, asWritten),
        collections,
        // One epoch per transaction: the target's boundaries include the main coordinator's.
        new TidemarkConfig.Epochs(main.epochs().maxDuration(), 1),
        main.lanes(),
        main.retention(),
        stateDir(main, name),
        main.sidecar());
  }

  Result run() throws SQLException, InterruptedException {
    TidemarkConfig pipeline = pipeline(main, options.store());
    String source = main.source().name();
    awaitCoordinatorOffsets(source);
    Path state = stateDir(main, options.store());
    Path offsets = Coordinator.offsetsFile(state, source);
    boolean resume = hasOffsets(offsets);
    if (resume) {
      say("resuming the backfill of '" + options.store() + "' from its committed position");
    } else {
      say(
          "backfill of '"
              + options.store()
              + "': clearing "
              + pipeline.collections().keySet()
              + " there and taking a new snapshot");
      clearTarget(pipeline);
      deleteRecursively(state);
      deleteIfExists(snapshotVersionFile(main, options.store()));
    }
    long total = countRows(pipeline);
    AtomicLong written = new AtomicLong();
    Throttle throttle = new Throttle(options.rate());
    Coordinator coordinator =
        Coordinator.start(pipeline, writer -> new CountingWriter(writer, written, throttle));
    Result result;
    try {
      result = follow(coordinator, source, total, written);
    } finally {
      coordinator.close();
    }
    if (!options.follow()) {
      dropSlot();
    }
    return result;
  }

  /**
   * Waits until the coordinator has committed source offsets (its first snapshot acknowledged).
   * Before that it does not hold its acknowledgements back for pending stores (a restart would take
   * its snapshot again otherwise), so a backfill snapshot taken earlier could fall below them.
   */
  private void awaitCoordinatorOffsets(String source) throws InterruptedException {
    Path offsets = Coordinator.offsetsFile(main.stateDir(), source);
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    boolean said = false;
    while (!hasOffsets(offsets)) {
      if (!said) {
        say("waiting for the coordinator to acknowledge its first snapshot (" + offsets + ")");
        said = true;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the coordinator has committed no source offsets in "
                + offsets
                + " after 2 minutes; start it (with stores."
                + options.store()
                + ".migration: pending) and let it finish its first snapshot, then run the"
                + " backfill");
      }
      Thread.sleep(100);
    }
  }

  private Result follow(Coordinator coordinator, String source, long total, AtomicLong written)
      throws SQLException, InterruptedException {
    long started = System.nanoTime();
    long lastPrint = 0;
    Version snapshot = snapshotVersion(main, options.store()).orElse(null);
    Version target = null;
    long writtenAtSnapshot = 0;
    long snapshotDoneNanos = 0;
    while (true) {
      if (!coordinator.healthy()) {
        throw new IllegalStateException(
            "the backfill pipeline stopped: "
                + (coordinator.sourceError().isEmpty()
                    ? coordinator.stores().values().stream()
                        .map(s -> s.store() + ": " + s.lastError())
                        .toList()
                    : coordinator.sourceError())
                + "; run the backfill again to resume");
      }
      Version watermark = coordinator.frontier().get(source).orElse(null);
      if (watermark != null && snapshot == null) {
        snapshot = watermark; // the first watermark is the snapshot's version
        write(snapshotVersionFile(main, options.store()), snapshot.toString());
      }
      if (watermark != null && target == null) {
        say(
            Progress.snapshotLine(
                options.store(),
                written.get(),
                Math.max(total, written.get()),
                System.nanoTime() - started));
        target = currentLsn();
        writtenAtSnapshot = written.get();
        snapshotDoneNanos = System.nanoTime();
        say("snapshot complete at " + snapshot + "; catching up to " + target);
      }
      long now = System.nanoTime();
      boolean caughtUp = target != null && !watermark.isBefore(target);
      if (now - lastPrint >= options.progressEvery().toNanos() || caughtUp) {
        lastPrint = now;
        if (target == null) {
          say(Progress.snapshotLine(options.store(), written.get(), total, now - started));
        } else {
          say(
              Progress.catchUpLine(
                  options.store(),
                  watermark,
                  target,
                  written.get() - writtenAtSnapshot,
                  now - snapshotDoneNanos));
        }
      }
      if (caughtUp && !options.follow()) {
        say(
            "backfill of '"
                + options.store()
                + "' caught up: watermark "
                + watermark
                + ", snapshot "
                + snapshot
                + ". Next: set stores."
                + options.store()
                + ".migration: attached and restart the coordinator");
        return new Result(snapshot, watermark, written.get());
      }
      Thread.sleep(50);
    }
  }

  private void say(String line) {
    progress.accept(line);
  }

  private static boolean hasOffsets(Path offsets) {
    try {
      return Coordinator.hasCommittedOffsets(offsets);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void clearTarget(TidemarkConfig pipeline) {
    TidemarkConfig.Store store = pipeline.stores().get(options.store());
    try (AutoCloseable connector = Stores.open(store)) {
      for (String collection : pipeline.collections().keySet()) {
        if (connector instanceof ElasticsearchStore es) {
          es.clear(collection);
        } else if (connector instanceof PostgresStore pg) {
          pg.clear(collection);
        }
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private long countRows(TidemarkConfig pipeline) throws SQLException {
    long total = 0;
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      for (TidemarkConfig.Collection collection : pipeline.collections().values()) {
        try (ResultSet rs =
            st.executeQuery("SELECT count(*) FROM " + SourceTable.quoted(collection.table()))) {
          rs.next();
          total += rs.getLong(1);
        }
      }
    }
    return total;
  }

  private Version currentLsn() throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  /** The backfill is done: its slot would only pin WAL. The next run starts from scratch. */
  private void dropSlot() throws SQLException {
    String slot = slot(main, options.store());
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active")) {
      ps.setString(1, slot);
      ps.execute();
      try (Statement st = c.createStatement()) {
        st.execute("DROP PUBLICATION IF EXISTS \"" + slot + "\"");
      }
    }
    deleteRecursively(stateDir(main, options.store()));
  }

  private Connection connect() throws SQLException {
    TidemarkConfig.Source s = main.source();
    return DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password().value());
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, text + "\n", StandardCharsets.UTF_8);
      Files.move(
          temp,
          file,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void deleteIfExists(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + file, e);
    }
  }

  private static void deleteRecursively(Path folder) {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + folder, e);
    }
  }

  /** Counts the rows the pipeline writes, and holds it to the rate limit. */
  private static final class CountingWriter implements StoreWriter {
    private final StoreWriter delegate;
    private final AtomicLong written;
    private final Throttle throttle;

    CountingWriter(StoreWriter delegate, AtomicLong written, Throttle throttle) {
      this.delegate = delegate;
      this.written = written;
      this.throttle = throttle;
    }

    @Override
    public ApplyResult apply(Epoch epoch) {
      try {
        throttle.acquire(epoch.writes().size());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return ApplyResult.all(
            epoch, io.tidemark.protocol.store.WriteOutcome.RETRYABLE, "interrupted");
      }
      ApplyResult result = delegate.apply(epoch);
      written.addAndGet(
          result.results().stream()
              .filter(r -> r.outcome() == io.tidemark.protocol.store.WriteOutcome.APPLIED)
              .count());
      return result;
    }

    @Override
    public Stamp makeVisible() {
      return delegate.makeVisible();
    }

    @Override
    public Stamp watermark() {
      return delegate.watermark();
    }

    @Override
    public long purge(String collection, Version horizon) {
      return delegate.purge(collection, horizon);
    }

    @Override
    public void clear(String collection) {
      delegate.clear(collection);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
