package io.tidemark.client;

import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** The frontier of a tracker in this process: always the published one, no staleness. */
final class InProcessFrontier implements FrontierSource {

  private final FrontierTracker tracker;
  private final Supplier<Stamp> horizon;
  private final Supplier<Set<String>> detached;

  InProcessFrontier(
      FrontierTracker tracker, Supplier<Stamp> horizon, Supplier<Set<String>> detached) {
    this.tracker = Objects.requireNonNull(tracker, "tracker");
    this.horizon = Objects.requireNonNull(horizon, "horizon");
    this.detached = Objects.requireNonNull(detached, "detachedStores");
  }

  @Override
  public Stamp frontier() {
    return tracker.frontier();
  }

  @Override
  public Stamp horizon() {
    return horizon.get();
  }

  @Override
  public Optional<Stamp> awaitCovering(Stamp target, Duration timeout) throws InterruptedException {
    return tracker.awaitCovering(target, timeout);
  }

  @Override
  public java.util.concurrent.CompletableFuture<Optional<Stamp>> whenCovering(
      Stamp target, Duration timeout) {
    return FrontierSource.whenCovering(tracker, target, timeout);
  }

  @Override
  public Set<String> detachedStores() {
    return detached.get();
  }

  @Override
  public Map<String, StoreStatus> stores() {
    Map<String, StoreStatus> out = new LinkedHashMap<>();
    tracker.watermarks().forEach((store, w) -> out.put(store, new StoreStatus("attached", w, -1)));
    for (String store : detached.get()) {
      out.put(store, new StoreStatus("detached", Stamp.empty(), -1));
    }
    return out;
  }
}
