package io.tidemark.coordinator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Projection;
import io.tidemark.protocol.RetentionHorizon;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.StoreWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine (design §2): takes the source's ordered transactions, cuts them into epochs, hands
 * each epoch to one lane per store, turns the lanes' watermarks into the frontier, persists it, and
 * acknowledges the source only up to it. Retention gives the horizon; stores are purged below it.
 *
 * <p>Start one with {@link #start(TidemarkConfig)}; {@link #close()} finishes the epoch in flight,
 * makes it visible, acknowledges it and stops.
 */
public final class Coordinator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final TidemarkConfig config;
  private final String sourceName;
  private final Clock clock;
  private final PrometheusMeterRegistry metrics =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final StateDirectory state;
  private final EpochLog epochLog;
  private final FrontierFile frontierFile;
  private final FrontierFile horizonFile;
  private final FrontierFile firstSnapshotFile;
  private Version firstSnapshotMarked; // source thread only
  private final FrontierTracker tracker;
  private final RetentionHorizon horizon;
  private final Map<String, Lane> lanes = new LinkedHashMap<>();
  private final Map<String, TidemarkConfig.Store> pending = new LinkedHashMap<>();
  private final Function<TidemarkConfig.Store, StoreWriter> writers;
  // The lowest watermark of the pending stores: the source is acknowledged no further. Null while
  // one of them has none (nothing may be acknowledged yet).
  private volatile Version pendingWatermark;
  private final Set<String> detached;
  private final ChangeSource source;
  private final EpochCutter cutter;
  private final ScheduledExecutorService scheduler;

  private volatile boolean intakeOpen = true;
  private volatile String sourceError = "";
  private volatile Version acknowledged;
  private volatile Version compactBelowNext;
  private volatile boolean closed;

  private Coordinator(
      TidemarkConfig config,
      Function<TidemarkConfig.Store, StoreWriter> writers,
      Function<StateDirectory, ChangeSource> sources,
      Clock clock) {
    this.config = config;
    this.writers = writers;
    this.sourceName = config.source().name();
    this.clock = clock;
    this.state = new StateDirectory(config.stateDir(), sourceName);
    this.epochLog = state.epochLog();
    this.frontierFile = state.frontier();
    this.horizonFile = state.horizon();
    this.detached = Collections.synchronizedSet(new TreeSet<>(state.detachedStores()));

    List<String> attached = new ArrayList<>();
    for (String store : new TreeSet<>(config.stores().keySet())) {
      TidemarkConfig.Store spec = config.stores().get(store);
      if (spec.migration() == TidemarkConfig.Migration.PENDING) {
        // Built by `tidemark migrate backfill`: not written here, but the source is acknowledged
        // only up to its watermark, so attaching it later replays every change it lacks.
        pending.put(store, spec);
      } else if (!detached.contains(store)) {
        attached.add(store);
      }
    }
    Stamp seed = frontierFile.read();
    this.firstSnapshotFile = state.firstSnapshot();
    Version abandoned = firstSnapshotFile.read().getOrElse(sourceName, null);
    // A first snapshot that no frontier came to cover was interrupted: the source takes it again at
    // a new version, and rows of the old one deleted in between would stay readable. No reader can
    // use the stores yet, so each lane clears its collections before writing anything.
    boolean clearFirst = abandoned != null && seed.get(sourceName).isEmpty();
    if (clearFirst) {
      log.warn(
          "source={} the first snapshot at {} was interrupted: the stores' collections are cleared"
              + " before it is taken again",
          sourceName,
          abandoned);
    }
    // Persisted before published: a reader never sees a frontier a restart could lose.
    this.tracker = new FrontierTracker(attached, seed, frontierFile::write);
    this.horizon = new RetentionHorizon(config.retention(), clock, horizonFile.read());
    this.source = sources.apply(state);
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "tidemark-scheduler");
              t.setDaemon(true);
              return t;
            });

    TidemarkConfig.Lanes laneConfig = config.lanes();
    RetryPolicy retry = new RetryPolicy(laneConfig.retryInitial(), laneConfig.retryMax());
    for (String store : attached) {
      Map<String, Projection> projections = new LinkedHashMap<>();
      config.collectionsIn(store).forEach((c, spec) -> projections.put(c, Projections.of(spec)));
      lanes.put(
          store,
          new Lane(
              store,
              writers.apply(config.stores().get(store)),
              projections,
              laneConfig.queueEpochs(),
              retry,
              laneConfig.visibilityInterval(),
              config.stores().get(store).lag(),
              tracker::report,
              new LaneMetrics(metrics, store, clock)));
      if (clearFirst) {
        lanes.get(store).clearBeforeWriting();
      }
    }
    this.cutter =
        new EpochCutter(
            sourceName,
            config.epochs().maxChanges(),
            config.epochs().maxDuration(),
            System::nanoTime,
            this::lanesBusy,
            epochLog,
            this::dispatch);
    registerGauges();
  }

  /**
   * The file where a coordinator keeps {@code source}'s committed offsets under {@code stateDir}.
   */
  public static Path offsetsFile(Path stateDir, String source) {
    return StateDirectory.offsets(stateDir, source);
  }

  /** Whether {@code offsetsFile} holds committed offsets (the source acknowledged something). */
  public static boolean hasCommittedOffsets(Path offsetsFile) throws IOException {
    return StateDirectory.hasOffsets(offsetsFile);
  }

  /** Starts a coordinator for this configuration: stores, lanes, then the source. */
  public static Coordinator start(TidemarkConfig config) {
    return start(config, UnaryOperator.identity());
  }

  /**
   * Starts a coordinator whose store connections are wrapped by {@code decorate} (the migration
   * tool throttles and counts a backfill's writes this way).
   */
  public static Coordinator start(TidemarkConfig config, UnaryOperator<StoreWriter> decorate) {
    Coordinator[] self = new Coordinator[1];
    Coordinator coordinator =
        new Coordinator(
            config,
            store -> decorate.apply(StoreConnections.writer(store)),
            state -> Sources.postgres(config, state, error -> self[0].sourceFailed(error)),
            Clock.systemUTC());
    self[0] = coordinator;
    coordinator.run();
    return coordinator;
  }

  private void sourceFailed(String error) {
    if (!closed) {
      sourceError = "capture stopped: " + error;
      log.error("source={} {}", sourceName, sourceError);
    }
  }

  static Coordinator start(
      TidemarkConfig config,
      Function<TidemarkConfig.Store, StoreWriter> writers,
      Function<StateDirectory, ChangeSource> sources,
      Clock clock) {
    Coordinator coordinator = new Coordinator(config, writers, sources, clock);
    coordinator.run();
    return coordinator;
  }

  private void run() {
    tracker.addListener(this::frontierMoved);
    lanes.values().forEach(lane -> lane.start(sourceName));
    long tickNanos = Math.max(1_000_000L, config.epochs().maxDuration().toNanos() / 2);
    scheduler.scheduleWithFixedDelay(this::tick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    long purgeMillis = Math.max(1000L, config.retention().toMillis() / 10);
    scheduler.scheduleWithFixedDelay(this::purge, purgeMillis, purgeMillis, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(this::compactEpochLog, 60, 60, TimeUnit.SECONDS);
    if (!pending.isEmpty()) {
      readPendingWatermarks();
      scheduler.scheduleWithFixedDelay(this::readPendingWatermarks, 1, 1, TimeUnit.SECONDS);
      log.info(
          "stores {} are pending (being backfilled): the source is acknowledged only up to their"
              + " watermark",
          pending.keySet());
    }
    if (config.lanes().detachAfter() != null) {
      scheduler.scheduleWithFixedDelay(this::detachStuckStores, 1, 1, TimeUnit.SECONDS);
    }
    config.stores().values().stream()
        .filter(s -> !s.lag().isZero())
        .forEach(
            s ->
                log.warn(
                    "store={} lag={}: an artificial delay from the configuration; its lane applies"
                        + " each epoch no earlier than that after its commit",
                    s.name(),
                    s.lag()));
    source.start(this::accept);
    log.info(
        "started source={} stores={} frontier={} stateDir={}",
        sourceName,
        lanes.keySet(),
        tracker.frontier(),
        state.root());
  }

  private void accept(SourceTransaction tx) {
    if (!intakeOpen) {
      return; // not acknowledged, so the source delivers it again after a restart
    }
    try {
      cutter.accept(tx);
    } catch (RuntimeException e) {
      sourceError =
          "transaction " + tx.transactionId() + " at " + tx.version() + ": " + e.getMessage();
      log.error("source={} cannot take {}", sourceName, sourceError, e);
      throw e;
    }
  }

  private void dispatch(CutEpoch epoch) {
    Version version = epoch.epoch().version();
    if (epoch.epoch().partial()
        && !version.equals(firstSnapshotMarked)
        && tracker.frontier().get(sourceName).isEmpty()) {
      firstSnapshotFile.write(Stamp.of(sourceName, version)); // before any store gets a row of it
      firstSnapshotMarked = version;
    }
    for (Lane lane : lanes.values()) {
      try {
        lane.offer(epoch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while handing an epoch to " + lane.store(), e);
      }
    }
  }

  /**
   * Some lane has epochs waiting: it is behind, so the cutter lets the open epoch grow. Lanes held
   * on purpose (a configured lag), failed or detached ones do not count: they are not going to
   * catch up by themselves.
   */
  private boolean lanesBusy() {
    for (Lane lane : lanes.values()) {
      if (lane.backlog() > 0 && !lane.holdsOnPurpose()) {
        return true;
      }
    }
    return false;
  }

  private void tick() {
    try {
      if (intakeOpen) {
        cutter.tick();
      }
    } catch (RuntimeException e) {
      log.error("epoch tick failed", e);
    }
  }

  /** The frontier moved (and is persisted): let the horizon and the source know. */
  private void frontierMoved(Stamp frontier) {
    horizon.record(frontier);
    frontier.get(sourceName).ifPresent(this::acknowledge);
  }

  /** Acknowledges the source up to {@code version}, or less while a store is pending. */
  private void acknowledge(Version version) {
    Version ackable = version;
    // Until the source has committed offsets once (its first snapshot acknowledged), nothing is
    // held back: without them a restart would take the whole snapshot again at a new version, and
    // a store attached then would keep rows deleted in between. A backfill starts only once they
    // exist (Backfiller waits for them), so its snapshot comes after anything acknowledged here.
    if (!pending.isEmpty() && sourceHasOffsets()) {
      Version cap = pendingWatermark;
      if (cap == null) {
        return;
      }
      ackable = Version.min(version, cap);
    }
    Version before = acknowledged;
    if (before == null || ackable.isAfter(before)) {
      source.acknowledge(ackable);
      acknowledged = ackable;
    }
  }

  private volatile boolean offsetsCommitted;

  private boolean sourceHasOffsets() {
    if (!offsetsCommitted) {
      try {
        offsetsCommitted = StateDirectory.hasOffsets(state.offsets());
      } catch (IOException e) {
        return true; // cannot tell: hold back, the safe side
      }
    }
    return offsetsCommitted;
  }

  private void readPendingWatermarks() {
    Version lowest = null;
    try {
      for (TidemarkConfig.Store store : pending.values()) {
        Version w;
        // A new connection each time: a connector may read its recorded watermark only once.
        try (StoreWriter writer = writers.apply(store)) {
          w = writer.watermark().get(sourceName).orElse(null);
        }
        if (w == null) {
          pendingWatermark = null;
          return;
        }
        lowest = lowest == null ? w : Version.min(lowest, w);
      }
    } catch (RuntimeException e) {
      log.warn("cannot read the watermark of a pending store (retrying): {}", e.getMessage());
      return;
    }
    Version before = pendingWatermark;
    pendingWatermark = before == null ? lowest : Version.max(before, lowest);
    tracker.frontier().get(sourceName).ifPresent(this::acknowledge);
  }

  private void purge() {
    Stamp h = horizon.horizon();
    Version at = h.get(sourceName).orElse(null);
    if (at == null) {
      return;
    }
    // Record first: after a restart, tokens below what may already be purged stay expired.
    horizonFile.write(h);
    for (Lane lane : lanes.values()) {
      if (lane.state() == Lane.State.DETACHED) {
        continue;
      }
      for (String collection : config.collectionsIn(lane.store()).keySet()) {
        try {
          long removed = lane.writer().purge(collection, at);
          if (removed > 0) {
            metrics.counter("tidemark.purged", "store", lane.store()).increment(removed);
          }
        } catch (RuntimeException e) {
          log.warn(
              "store={} collection={} purge below {} failed: {}",
              lane.store(),
              collection,
              at,
              e.getMessage());
        }
      }
    }
  }

  /**
   * Forgets epoch boundaries the source cannot replay any more. The source commits offsets some
   * time after they are acknowledged, so compaction trails by one round: it uses the version
   * acknowledged a round ago.
   */
  private void compactEpochLog() {
    Version below = compactBelowNext;
    compactBelowNext = acknowledged;
    if (below != null) {
      epochLog.compactBelow(below);
    }
  }

  private void detachStuckStores() {
    Duration limit = config.lanes().detachAfter();
    for (Lane lane : lanes.values()) {
      if (lane.state() == Lane.State.RETRYING && lane.retryingFor().compareTo(limit) > 0) {
        log.error(
            "store={} has failed for more than {}: detaching it; the frontier stops waiting for"
                + " it and its reads are refused until it is rebuilt with `tidemark migrate"
                + " backfill` and attached again",
            lane.store(),
            limit);
        detached.add(lane.store());
        state.writeDetachedStores(detached);
        tracker.detach(lane.store());
        lane.detach();
      }
    }
  }

  private void registerGauges() {
    Gauge.builder("tidemark.frontier", () -> version(tracker.frontier()))
        .tag("source", sourceName)
        .register(metrics);
    Gauge.builder("tidemark.horizon", () -> version(horizon.horizon()))
        .tag("source", sourceName)
        .register(metrics);
    for (Lane lane : lanes.values()) {
      Gauge.builder("tidemark.store.watermark", () -> version(lane.watermark()))
          .tag("store", lane.store())
          .register(metrics);
      Gauge.builder("tidemark.store.lag.versions", () -> lane.lagVersions())
          .tag("store", lane.store())
          .register(metrics);
      Gauge.builder("tidemark.store.lag.millis", () -> lane.lagMillis(clock))
          .tag("store", lane.store())
          .register(metrics);
      Gauge.builder("tidemark.store.backlog.epochs", lane::backlog)
          .tag("store", lane.store())
          .register(metrics);
      Gauge.builder("tidemark.store.up", () -> lane.state() == Lane.State.RUNNING ? 1 : 0)
          .tag("store", lane.store())
          .register(metrics);
    }
  }

  private double version(Stamp stamp) {
    return stamp.get(sourceName).map(v -> (double) v.asLong()).orElse(0.0);
  }

  // ---- read side of the engine, for the sidecar and in-process clients ----------------------

  public String sourceName() {
    return sourceName;
  }

  public TidemarkConfig config() {
    return config;
  }

  /** The published frontier. */
  public Stamp frontier() {
    return tracker.frontier();
  }

  public Stamp horizon() {
    return horizon.horizon();
  }

  public FrontierTracker tracker() {
    return tracker;
  }

  /** The stores the frontier no longer waits for; their reads are refused. */
  public Set<String> detachedStores() {
    synchronized (detached) {
      return Set.copyOf(detached);
    }
  }

  /** Per store: state, watermark, lag, backlog and the last error. */
  public Map<String, StoreStatus> stores() {
    Map<String, StoreStatus> out = new LinkedHashMap<>();
    for (Lane lane : lanes.values()) {
      out.put(
          lane.store(),
          new StoreStatus(
              lane.store(),
              lane.state().name().toLowerCase(java.util.Locale.ROOT),
              lane.watermark(),
              lane.lagMillis(clock),
              lane.backlog(),
              lane.retries(),
              lane.lastError()));
    }
    for (String store : detachedStores()) {
      out.putIfAbsent(
          store, new StoreStatus(store, "detached", Stamp.empty(), 0, 0, 0, "detached"));
    }
    return out;
  }

  /** Whether the source and every attached lane are working. */
  public boolean healthy() {
    return sourceError.isEmpty()
        && lanes.values().stream().noneMatch(l -> l.state() == Lane.State.FAILED);
  }

  public String sourceError() {
    return sourceError;
  }

  /** Prometheus text exposition of every meter. */
  public String scrapeMetrics() {
    return metrics.scrape();
  }

  /**
   * Stops taking transactions, closes the open epoch, lets every lane finish and make it visible,
   * acknowledges the frontier, and stops the source.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    intakeOpen = false;
    // Not shutdownNow(): interrupting a tick in the middle of EpochLog.append would close the
    // log's channel (ClosedByInterruptException) and lose the last boundary.
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("scheduled work did not finish within 30 s; stopping anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      cutter.flush();
    } catch (RuntimeException e) {
      log.warn("could not close the last epoch: {}", e.getMessage());
    }
    lanes.values().forEach(Lane::close);
    Stamp frontier = tracker.frontier();
    if (!pending.isEmpty()) {
      readPendingWatermarks(); // the freshest bound for the last acknowledgement
    }
    frontier.get(sourceName).ifPresent(this::acknowledge);
    source.close();
    epochLog.close();
    metrics.close();
    log.info("stopped source={} frontier={}", sourceName, frontier);
  }

  /** One store's state, for health and the sidecar's frontier call. */
  public record StoreStatus(
      String store,
      String state,
      Stamp watermark,
      long lagMillis,
      int backlogEpochs,
      long retries,
      String lastError) {}
}
