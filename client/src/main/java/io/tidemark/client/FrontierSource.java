package io.tidemark.client;

import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.RetentionHorizon;
import io.tidemark.protocol.Stamp;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Where a {@link Tidemark} learns the frontier and the horizon: in-process from a running
 * coordinator's {@link FrontierTracker} ({@link #inProcess}), or over HTTP from a coordinator's
 * sidecar ({@link #remote}).
 *
 * <p><b>Staleness.</b> Any frontier a coordinator ever published is a valid snapshot: it never
 * moves back, and every attached store holds every version up to it (until the horizon passes it,
 * minutes later). So a source may answer with a frontier that is a little old; that only makes
 * reads lag the source a little more, never wrong. A remote source uses that to answer most calls
 * from memory (see {@link RemoteFrontierConfig}); read-your-writes does not depend on it, because
 * {@link #awaitCovering} asks the coordinator when the remembered frontier does not cover the
 * token.
 *
 * <p>Implementations are thread-safe.
 */
public interface FrontierSource extends AutoCloseable {

  /** A published frontier (possibly slightly old, see above); empty until every store reported. */
  Stamp frontier();

  /** The oldest readable stamp: tokens below it are expired. */
  Stamp horizon();

  /**
   * Waits until a published frontier {@linkplain Stamp#covers covers} {@code target}, at most
   * {@code timeout} (zero: look once, asking the coordinator rather than memory).
   *
   * @return that frontier, or empty when the time ran out first
   * @throws StoreUnavailableException when a remote coordinator cannot be asked
   */
  Optional<Stamp> awaitCovering(Stamp target, Duration timeout) throws InterruptedException;

  /**
   * Like {@link #awaitCovering} without holding the caller's thread: completes with a published
   * frontier that covers {@code target}, or with empty when {@code timeout} runs out first. A
   * server that waits for many tokens at once (the sidecar) uses this. The built-in sources wait
   * without a thread each; the default runs {@link #awaitCovering} on a shared waiting thread pool.
   */
  default CompletableFuture<Optional<Stamp>> whenCovering(Stamp target, Duration timeout) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return awaitCovering(target, timeout);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
          }
        },
        Waiting.POOL);
  }

  /** Stores the frontier no longer waits for: their reads are refused. */
  default Set<String> detachedStores() {
    return Set.of();
  }

  /** Per store: state, watermark and lag, as far as this source knows them (may be empty). */
  default Map<String, StoreStatus> stores() {
    return Map.of();
  }

  /** Whether the coordinator behind this source reports itself healthy. */
  default boolean healthy() {
    return true;
  }

  /** Releases what the source holds (HTTP connections); does not stop a coordinator. */
  @Override
  default void close() {}

  /**
   * One store's state as the coordinator reports it.
   *
   * @param state e.g. {@code running}, {@code retrying}, {@code failed}, {@code detached}
   * @param watermark every source version up to it is applied, durable and visible in the store
   * @param lagMillis how far behind the source the store is, in milliseconds; -1 when unknown
   */
  record StoreStatus(String state, Stamp watermark, long lagMillis) {
    public StoreStatus {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(watermark, "watermark");
    }
  }

  /**
   * {@link FrontierTracker#whenCovers} with a timeout: completes with the covering frontier, or
   * with empty when {@code timeout} runs out (the tracker then forgets the waiter). For sources
   * that wrap a tracker.
   */
  static CompletableFuture<Optional<Stamp>> whenCovering(
      FrontierTracker tracker, Stamp target, Duration timeout) {
    CompletableFuture<Stamp> covering = tracker.whenCovers(target);
    if (!covering.isDone()) {
      covering.completeOnTimeout(
          null, Math.max(0, timeout.toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    return covering.thenApply(Optional::ofNullable);
  }

  /** A source reading a tracker in this process, with a retention horizon fed by its frontiers. */
  static FrontierSource inProcess(FrontierTracker tracker, RetentionHorizon horizon) {
    Objects.requireNonNull(horizon, "horizon");
    return inProcess(tracker, horizon::horizon, Set::of);
  }

  /**
   * A source reading a tracker in this process.
   *
   * @param horizon the current horizon (e.g. a coordinator's {@code horizon()})
   * @param detachedStores the stores whose reads are refused
   */
  static FrontierSource inProcess(
      FrontierTracker tracker, Supplier<Stamp> horizon, Supplier<Set<String>> detachedStores) {
    return new InProcessFrontier(tracker, horizon, detachedStores);
  }

  /** A source asking the sidecar at {@code sidecar} (e.g. {@code http://127.0.0.1:7070}). */
  static FrontierSource remote(URI sidecar) {
    return remote(RemoteFrontierConfig.of(sidecar));
  }

  /** A source asking a sidecar over HTTP, with these settings. */
  static FrontierSource remote(RemoteFrontierConfig config) {
    return new RemoteFrontier(config);
  }
}
