package io.tidemark.coordinator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;

/** A lane's meters, tagged with the store's name. */
final class LaneMetrics {

  private final Counter epochs;
  private final Counter writes;
  private final Counter sourceChanges;
  private final Counter retries;
  private final DistributionSummary epochWrites;
  private final Timer commitToApplied;
  private final Clock clock;

  LaneMetrics(MeterRegistry registry, String store, Clock clock) {
    this.clock = clock;
    this.epochs = registry.counter("tidemark.lane.epochs", "store", store);
    this.writes = registry.counter("tidemark.lane.writes", "store", store);
    this.sourceChanges = registry.counter("tidemark.lane.source.changes", "store", store);
    this.retries = registry.counter("tidemark.lane.retries", "store", store);
    this.epochWrites =
        DistributionSummary.builder("tidemark.lane.epoch.writes")
            .tag("store", store)
            .register(registry);
    this.commitToApplied =
        Timer.builder("tidemark.lane.commit.to.applied")
            .tag("store", store)
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }

  void epochApplied(CutEpoch cut) {
    epochs.increment();
    writes.increment(cut.epoch().writes().size());
    sourceChanges.increment(cut.epoch().sourceChanges());
    epochWrites.record(cut.epoch().writes().size());
    if (cut.transactions() > 0 && cut.lastCommit().getEpochSecond() > 0) {
      Duration lag = Duration.between(cut.lastCommit(), clock.instant());
      if (!lag.isNegative()) {
        commitToApplied.record(lag);
      }
    }
  }

  void retried() {
    retries.increment();
  }
}
