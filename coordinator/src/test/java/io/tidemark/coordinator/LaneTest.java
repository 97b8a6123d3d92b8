package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaneTest {

  private final Lane lane =
      new Lane(
          "search",
          null,
          Map.of(),
          4,
          new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1)),
          Duration.ofMillis(20),
          Duration.ZERO,
          (store, stamp) -> {},
          new LaneMetrics(new SimpleMeterRegistry(), "search", Clock.systemUTC()));

  @Test
  void aQuickVisibilityStepKeepsTheConfiguredCadence() {
    assertThat(lane.visibilityPause(Duration.ofMillis(3), 10)).isEqualTo(Duration.ofMillis(20));
    assertThat(lane.visibilityPause(Duration.ZERO, 10)).isEqualTo(Duration.ofMillis(20));
  }

  @Test
  void aSlowVisibilityStepOfALaneThatIsBehindSpacesTheNextOneOutInProportion() {
    assertThat(lane.visibilityPause(Duration.ofMillis(400), Lane.PACE_FROM_BACKLOG))
        .isEqualTo(Duration.ofMillis(400L * Lane.VISIBILITY_PACE));
  }

  @Test
  void aLaneThatKeepsUpKeepsTheConfiguredCadenceHoweverSlowTheStep() {
    assertThat(lane.visibilityPause(Duration.ofMillis(400), Lane.PACE_FROM_BACKLOG - 1))
        .isEqualTo(Duration.ofMillis(20));
    assertThat(lane.visibilityPause(Duration.ofMillis(400), 0)).isEqualTo(Duration.ofMillis(20));
  }
}
