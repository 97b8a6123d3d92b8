package io.tidemark.coordinator.sidecar;

import io.tidemark.client.FrontierSource;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.protocol.Stamp;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A running coordinator in this process as a frontier source: always its published frontier. */
final class CoordinatorFrontier implements FrontierSource {

  private final Coordinator coordinator;

  CoordinatorFrontier(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public Stamp frontier() {
    return coordinator.frontier();
  }

  @Override
  public Stamp horizon() {
    return coordinator.horizon();
  }

  @Override
  public Optional<Stamp> awaitCovering(Stamp target, Duration timeout) throws InterruptedException {
    return coordinator.tracker().awaitCovering(target, timeout);
  }

  @Override
  public java.util.concurrent.CompletableFuture<Optional<Stamp>> whenCovering(
      Stamp target, Duration timeout) {
    return FrontierSource.whenCovering(coordinator.tracker(), target, timeout);
  }

  @Override
  public Set<String> detachedStores() {
    return coordinator.detachedStores();
  }

  @Override
  public Map<String, StoreStatus> stores() {
    Map<String, StoreStatus> out = new LinkedHashMap<>();
    coordinator
        .stores()
        .forEach(
            (name, s) -> out.put(name, new StoreStatus(s.state(), s.watermark(), s.lagMillis())));
    return out;
  }

  @Override
  public boolean healthy() {
    return coordinator.healthy();
  }

  @Override
  public String toString() {
    return "CoordinatorFrontier[" + coordinator.sourceName() + "]";
  }
}
