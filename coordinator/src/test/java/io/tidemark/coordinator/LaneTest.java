package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidemark.protocol.Projection;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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

  @Test
  void aProjectionThatThrowsStopsTheLaneVisiblyInsteadOfEndingItsThreadUnseen() throws Exception {
    Projection broken =
        row -> {
          throw new IllegalStateException("projection bug");
        };
    CoordinatorTest.RecordingWriter writer = new CoordinatorTest.RecordingWriter();
    try (Lane failing =
        new Lane(
            "search",
            writer,
            Map.of("ads", broken),
            4,
            new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1)),
            Duration.ofMillis(20),
            Duration.ZERO,
            (store, stamp) -> {},
            new LaneMetrics(new SimpleMeterRegistry(), "search", Clock.systemUTC()))) {
      failing.start("src");
      Epoch epoch =
          Epoch.builder("src").add(Write.upsert("ads", "1", Map.of("t", "x"))).build(Version.of(7));
      failing.offer(new CutEpoch(epoch, 1, Instant.now()));

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (failing.state() != Lane.State.FAILED && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(failing.state()).isEqualTo(Lane.State.FAILED);
      assertThat(failing.lastError())
          .contains("store 'search'", "unexpected error", "projection bug");
      assertThat(writer.applied).isEmpty();
    }
  }
}
