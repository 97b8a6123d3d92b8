package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.coordinator.Durations;
import io.tidemark.protocol.Version;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The small parts of the migration tool: throttle, progress lines, value comparison. */
class MigrationPartsTest {

  @Test
  void theThrottleSpacesBatchesToTheRate() {
    long[] now = {0};
    Throttle throttle = new Throttle(1_000, () -> now[0]);
    assertThat(throttle.reserve(500)).isZero(); // the first batch goes at once
    assertThat(throttle.reserve(500)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
    now[0] = TimeUnit.SECONDS.toNanos(5); // idle time is not saved up beyond now
    assertThat(throttle.reserve(100)).isZero();
    assertThat(throttle.reserve(100)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    assertThat(new Throttle(0, () -> 0).reserve(1_000_000)).isZero();
    assertThatThrownBy(() -> new Throttle(-1)).hasMessageContaining("negative");
  }

  @Test
  void progressLinesGiveRowsRateAndTimeLeft() {
    String line = Progress.snapshotLine("search2", 25_000, 100_000, TimeUnit.SECONDS.toNanos(5));
    assertThat(line)
        .isEqualTo(
            "search2 snapshot [########......................] 25,000/100,000 rows (25%)"
                + " 5,000 rows/s, 15s left");
    assertThat(Progress.duration(3_725)).isEqualTo("1h02m");
    assertThat(Progress.duration(125)).isEqualTo("2m05s");
    assertThat(
            Progress.catchUpLine(
                "readdb2", Version.parse("0/100"), Version.parse("0/400"), 10, 2_000_000_000L))
        .contains("768 WAL bytes behind");
  }

  @Test
  void valuesCompareAsJsonDoes() {
    Map<String, Object> store = Map.of("price", 12.5, "n", 3, "tags", List.of(1L, 2.0));
    Map<String, Object> source =
        Map.of("price", new BigDecimal("12.50"), "n", 3L, "tags", List.of(1, 2));
    assertThat(Verifier.normalize(store)).isEqualTo(Verifier.normalize(source));
    assertThat(Verifier.normalize(Map.of("price", 12.51)))
        .isNotEqualTo(Verifier.normalize(Map.of("price", new BigDecimal("12.5"))));
    assertThat(Verifier.normalize(Map.of("t", "a")))
        .isNotEqualTo(Verifier.normalize(Map.of("t", "b")));
  }

  @Test
  void durationsOnTheCommandLine() {
    assertThat(Durations.option("--wait", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.option("--wait", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThatThrownBy(() -> Durations.option("--wait", "soon"))
        .hasMessageContaining("--wait 'soon' is not a duration; use a number with ms, s, m or h");
    assertThatThrownBy(() -> Durations.option("--wait", "99999999999999999999h"))
        .hasMessageContaining("--wait '99999999999999999999h' is not a duration");
    assertThatThrownBy(() -> Durations.option("--wait", "9999999999999999h"))
        .hasMessageContaining("is not a duration");
  }
}
