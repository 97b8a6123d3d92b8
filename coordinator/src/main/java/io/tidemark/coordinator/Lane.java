package io.tidemark.coordinator;

import io.tidemark.protocol.Projection;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One store's lane: applies epochs in order, back to back, and makes them visible on its own
 * thread, so a slow refresh does not hold up the next bulk. A failing store is retried with capped
 * back-off while other lanes go on; a write the store rejects for good stops this lane with an
 * error naming the record, the store and the reason. The lane reports each watermark the store
 * makes visible.
 */
final class Lane implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Lane.class);

  /** Pause after a visibility step, as a multiple of how long the step took (at least). */
  static final int VISIBILITY_PACE = 2;

  /** Queued epochs from which a lane counts as behind its store and paces visibility. */
  static final int PACE_FROM_BACKLOG = 2;

  /** What a lane is doing, for health and metrics. */
  enum State {
    RUNNING,
    RETRYING,
    FAILED,
    DETACHED,
    STOPPED
  }

  private final String store;
  private final StoreWriter writer;
  private final Map<String, Projection> projections;
  private final RetryPolicy retry;
  private final Duration visibilityCadence;
  private final Duration lag;
  private final BiConsumer<String, Stamp> watermarks;
  private final BlockingQueue<CutEpoch> queue;
  private final LaneMetrics metrics;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition appliedMoved = lock.newCondition();
  private volatile Version applied; // highest epoch version written (maybe not visible)
  private Version visibleRequested; // guarded by lock
  private volatile State state = State.RUNNING;
  private volatile String lastError = "";
  private volatile Stamp watermark = Stamp.empty();
  private volatile boolean stopping; // give up now, even mid-retry
  private volatile boolean draining; // finish what is queued, then end
  private final AtomicLong retries = new AtomicLong();
  private volatile long retryingSinceNanos;
  // Epochs handed to the lane and not yet visible: (version, commit time), oldest first; for lag.
  private final java.util.concurrent.ConcurrentLinkedDeque<CutEpoch> unseen =
      new java.util.concurrent.ConcurrentLinkedDeque<>();
  private volatile Version lastOffered;

  private volatile String source = "";
  private volatile boolean clearFirst;
  private Thread applier;
  private Thread visibility;

  Lane(
      String store,
      StoreWriter writer,
      Map<String, Projection> projections,
      int queueEpochs,
      RetryPolicy retry,
      Duration visibilityCadence,
      Duration lag,
      BiConsumer<String, Stamp> watermarks,
      LaneMetrics metrics) {
    this.store = store;
    this.writer = writer;
    this.projections = Map.copyOf(projections);
    this.retry = retry;
    this.visibilityCadence = visibilityCadence;
    this.lag = lag;
    this.watermarks = watermarks;
    this.queue = new ArrayBlockingQueue<>(queueEpochs);
    this.metrics = metrics;
  }

  /**
   * Starts the lane. Its thread first learns the store's watermark (retrying while the store is
   * down, without holding up the other lanes), then skips the epochs the store already holds.
   */
  void start(String source) {
    this.source = source;
    applier = new Thread(this::applyLoop, "tidemark-lane-" + store);
    visibility = new Thread(this::visibilityLoop, "tidemark-visible-" + store);
    applier.setDaemon(true);
    visibility.setDaemon(true);
    applier.start();
    visibility.start();
  }

  private Stamp readWatermarkWithRetry() {
    return untilDone("reading the watermark", writer::watermark).orElse(Stamp.empty());
  }

  /**
   * Runs {@code action} until it succeeds, retrying with capped back-off while the store fails
   * (without holding up the other lanes); empty when the lane stops first. An operation the store
   * does not support is not retried.
   */
  private <T> Optional<T> untilDone(String what, Supplier<T> action) {
    for (int failures = 1; ; failures++) {
      try {
        return Optional.of(action.get());
      } catch (UnsupportedOperationException e) {
        throw e;
      } catch (RuntimeException e) {
        if (failures == 1 || failures % 10 == 0) {
          log.warn("store={} {} failed, retrying: {}", store, what, e.getMessage());
        }
        enterRetrying();
        lastError = e.getMessage();
        if (!pause(retry.delayAfter(failures))) {
          return Optional.empty();
        }
      }
    }
  }

  /** Hands an epoch to the lane; blocks while the lane is {@code queueEpochs} behind. */
  void offer(CutEpoch epoch) throws InterruptedException {
    if (state == State.DETACHED || state == State.FAILED) {
      return; // a detached lane no longer holds the source; a failed one holds the frontier
    }
    while (!queue.offer(epoch, 100, TimeUnit.MILLISECONDS)) {
      if (state == State.DETACHED || state == State.FAILED || stopping) {
        return;
      }
    }
    lastOffered = epoch.epoch().version();
    if (epoch.transactions() > 0) {
      unseen.addLast(epoch);
    }
  }

  /**
   * Makes the lane clear its store's collections before it writes anything (a first snapshot was
   * interrupted). Call before {@link #start}.
   */
  void clearBeforeWriting() {
    clearFirst = true;
  }

  /** Clears every collection of this lane, retrying while the store is down; false to stop. */
  private boolean clearWithRetry() {
    for (String collection : projections.keySet()) {
      try {
        Optional<String> cleared =
            untilDone(
                "clearing " + collection,
                () -> {
                  writer.clear(collection);
                  return collection;
                });
        if (cleared.isEmpty()) {
          return false;
        }
        log.info("store={} collection={} cleared", store, collection);
      } catch (UnsupportedOperationException e) {
        lastError =
            "store '"
                + store
                + "' must be cleared of an interrupted first snapshot and cannot do it: "
                + e.getMessage();
        state = State.FAILED;
        log.error(lastError);
        return false;
      }
    }
    return true;
  }

  private void applyLoop() {
    try {
      applyEpochs();
    } catch (RuntimeException e) {
      // A bug, or a projection that throws: the lane must not end unseen, holding the frontier.
      lastError = "store '" + store + "': the lane stopped on an unexpected error: " + e;
      state = State.FAILED;
      log.error(lastError, e);
    }
  }

  private void applyEpochs() {
    if (clearFirst && !clearWithRetry()) {
      return;
    }
    Stamp initial = readWatermarkWithRetry();
    watermark = initial;
    lock.lock();
    try {
      applied = initial.getOrElse(source, null);
      visibleRequested = applied;
    } finally {
      lock.unlock();
    }
    if (!initial.isEmpty()) {
      watermarks.accept(store, initial);
    }
    if (state == State.RETRYING) {
      state = State.RUNNING;
    }
    try {
      while (!stopping && state != State.DETACHED) {
        CutEpoch cut = queue.poll(50, TimeUnit.MILLISECONDS);
        if (cut == null) {
          if (draining) {
            return;
          }
          continue;
        }
        Version version = cut.epoch().version();
        if (applied != null && !version.isAfter(applied)) {
          continue; // the store already holds it
        }
        if (!lag.isZero() && !holdForLag(cut)) {
          return;
        }
        if (!applyWithRetry(project(cut.epoch()))) {
          return;
        }
        metrics.epochApplied(cut);
        if (cut.epoch().partial()) {
          continue; // the whole epoch at this version comes after its parts
        }
        lock.lock();
        try {
          applied = version;
          appliedMoved.signalAll();
        } finally {
          lock.unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Epoch project(Epoch raw) {
    List<Write> writes = new ArrayList<>(raw.writes().size());
    for (Write write : raw.writes()) {
      Projection projection = projections.get(write.collection());
      if (projection == null) {
        continue;
      }
      writes.add(
          write.isDelete()
              ? write
              : Write.upsert(
                  write.collection(),
                  write.key(),
                  JsonValues.row(projection.document(write.document()))));
    }
    return raw.withWrites(writes);
  }

  /**
   * Waits until the epoch is {@code lag} old (the configured artificial delay); false when
   * stopping.
   */
  private boolean holdForLag(CutEpoch cut) throws InterruptedException {
    long due = cut.lastCommit().toEpochMilli() + lag.toMillis();
    long wait;
    while ((wait = due - System.currentTimeMillis()) > 0) {
      if (stopping) {
        return false;
      }
      Thread.sleep(Math.min(wait, 50));
    }
    return true;
  }

  /** Applies until every write succeeded; false when the lane must stop. */
  private boolean applyWithRetry(Epoch epoch) throws InterruptedException {
    Epoch pending = epoch;
    for (int failures = 0; ; ) {
      ApplyResult result;
      try {
        result = writer.apply(pending);
      } catch (RuntimeException e) {
        result =
            ApplyResult.all(
                pending, io.tidemark.protocol.store.WriteOutcome.RETRYABLE, e.toString());
      }
      if (result.succeeded()) {
        if (state == State.RETRYING) {
          log.info(
              "store={} recovered after {} failed attempts at epoch {}",
              store,
              failures,
              epoch.version());
          state = State.RUNNING;
        }
        return true;
      }
      var fatal = result.firstFatal();
      if (fatal.isPresent()) {
        WriteResult f = fatal.get();
        lastError =
            "store '"
                + store
                + "' rejected "
                + f.write()
                + " at version "
                + epoch.version()
                + " for good: "
                + f.reason()
                + "; the lane is stopped and holds the frontier until the record or the store is"
                + " fixed and Tidemark restarted";
        state = State.FAILED;
        log.error(lastError);
        return false;
      }
      failures++;
      retries.incrementAndGet();
      metrics.retried();
      List<Write> failed = result.failures().stream().map(WriteResult::write).toList();
      String reason = result.failures().get(0).reason();
      lastError = "store '" + store + "': " + failed.size() + " writes failed, e.g. " + reason;
      enterRetrying();
      if (failures == 1 || failures % 10 == 0) {
        log.warn(
            "store={} epoch={} attempt={} retrying: {}",
            store,
            epoch.version(),
            failures,
            lastError);
      }
      // Writes are idempotent by (key, version): retry only the ones that failed.
      pending = epoch.withWrites(failed);
      if (!pause(retry.delayAfter(failures))) {
        return false;
      }
    }
  }

  private void visibilityLoop() {
    int failures = 0;
    while (!stopping && state != State.DETACHED) {
      Version target;
      lock.lock();
      try {
        while (!stopping
            && state != State.DETACHED
            && (applied == null || applied.equals(visibleRequested))) {
          appliedMoved.await(visibilityCadence.toNanos(), TimeUnit.NANOSECONDS);
        }
        target = applied;
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      if (stopping || state == State.DETACHED) {
        return;
      }
      long started = System.nanoTime();
      if (makeVisible(target)) {
        failures = 0;
        Duration paced = visibilityPause(Duration.ofNanos(System.nanoTime() - started), backlog());
        // The short cadence in any case; a longer, paced wait only while the lane is still behind.
        if (pause(visibilityCadence)) {
          pauseWhile(paced.minus(visibilityCadence), () -> backlog() >= PACE_FROM_BACKLOG);
        }
      } else {
        failures++;
        if (failures == 1 || failures % 10 == 0) {
          log.warn(lastError);
        }
        pause(retry.delayAfter(failures));
      }
    }
  }

  /**
   * How long to wait after a visibility step that took {@code took}, with {@code backlog} epochs
   * queued: the configured cadence, or, while the lane is behind ({@link #PACE_FROM_BACKLOG} epochs
   * or more queued), {@link #VISIBILITY_PACE} times what the step took when that is longer. Making
   * writes visible (an Elasticsearch refresh) competes with the writes themselves: a lane that
   * falls behind asks for it less often, so the store spends at most about a third of its time on
   * it, each step covers more epochs, and fewer, larger segments mean less merging. A lane that
   * keeps up gains nothing from waiting and keeps the short cadence, so what it applied becomes
   * visible as soon as the store can manage: pacing there only adds the pause to the lag.
   */
  Duration visibilityPause(Duration took, int backlog) {
    Duration paced = took.multipliedBy(VISIBILITY_PACE);
    return backlog >= PACE_FROM_BACKLOG && paced.compareTo(visibilityCadence) > 0
        ? paced
        : visibilityCadence;
  }

  /** Asks the store to make {@code target} visible and reports its watermark; false on failure. */
  private boolean makeVisible(Version target) {
    try {
      Stamp visible = writer.makeVisible();
      lock.lock();
      try {
        visibleRequested = target;
      } finally {
        lock.unlock();
      }
      if (!visible.equals(watermark)) {
        watermarks.accept(store, visible); // may throw (frontier not persisted): report again
        watermark = visible;
        Version seen = visible.get(source).orElse(null);
        while (seen != null
            && !unseen.isEmpty()
            && !unseen.peekFirst().epoch().version().isAfter(seen)) {
          unseen.pollFirst();
        }
      }
      return true;
    } catch (RuntimeException e) {
      lastError = "store '" + store + "' cannot make writes visible: " + e.getMessage();
      return false;
    }
  }

  /** Waits for a back-off delay; false when the lane is stopping. */
  private boolean pause(Duration delay) {
    return pauseWhile(delay, () -> true);
  }

  /**
   * Waits for {@code delay}, or less once {@code stillNeeded} turns false (checked each time the
   * lane applies an epoch); false when the lane is stopping.
   */
  private boolean pauseWhile(Duration delay, BooleanSupplier stillNeeded) {
    lock.lock();
    try {
      long nanos = delay.toNanos();
      while (nanos > 0 && !stopping && state != State.DETACHED && stillNeeded.getAsBoolean()) {
        nanos = appliedMoved.awaitNanos(nanos);
      }
      return !stopping && state != State.DETACHED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Stops waiting for this store: its epochs are dropped and it no longer holds the frontier. */
  void detach() {
    state = State.DETACHED;
    queue.clear();
    lock.lock();
    try {
      appliedMoved.signalAll();
    } finally {
      lock.unlock();
    }
  }

  String store() {
    return store;
  }

  StoreWriter writer() {
    return writer;
  }

  private void enterRetrying() {
    if (state != State.RETRYING) {
      retryingSinceNanos = System.nanoTime();
      state = State.RETRYING;
    }
  }

  /** How long the lane has been failing; zero when it is not. */
  Duration retryingFor() {
    return state == State.RETRYING
        ? Duration.ofNanos(System.nanoTime() - retryingSinceNanos)
        : Duration.ZERO;
  }

  /**
   * Milliseconds since the oldest transaction handed to this lane and not yet visible was
   * committed.
   */
  long lagMillis(java.time.Clock clock) {
    CutEpoch oldest = unseen.peekFirst();
    return oldest == null ? 0 : Math.max(0, clock.millis() - oldest.lastCommit().toEpochMilli());
  }

  /** WAL bytes between the newest epoch handed to this lane and its watermark. */
  long lagVersions() {
    Version offered = lastOffered;
    Version visible = watermark.get(source).orElse(Version.ZERO);
    return offered == null || !offered.isAfter(visible) ? 0 : offered.asLong() - visible.asLong();
  }

  State state() {
    return state;
  }

  String lastError() {
    return lastError;
  }

  Stamp watermark() {
    return watermark;
  }

  Version applied() {
    return applied;
  }

  int backlog() {
    return queue.size();
  }

  /** The lane is behind by configuration (a lag knob), or has stopped (failed or detached). */
  boolean holdsOnPurpose() {
    return !lag.isZero() || state == State.FAILED || state == State.DETACHED;
  }

  long retries() {
    return retries.get();
  }

  /**
   * Finishes the epochs already queued (unless the store is failing), makes them visible, and
   * stops. Waits at most {@code timeout}.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  void close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    draining = true;
    join(applier, deadline); // the applier drains the queue, then ends
    stopping = true;
    lock.lock();
    try {
      appliedMoved.signalAll();
    } finally {
      lock.unlock();
    }
    join(applier, deadline);
    join(visibility, deadline);
    if (applied != null && state != State.DETACHED && !applied.equals(visibleRequested)) {
      makeVisible(applied);
    }
    if (state != State.FAILED && state != State.DETACHED) {
      state = State.STOPPED;
    }
    writer.close();
  }

  private static void join(Thread thread, long deadline) {
    if (thread == null) {
      return;
    }
    try {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
      if (thread.isAlive()) {
        thread.interrupt();
        thread.join(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
