package io.tidemark.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesTest {

  private static Samples millis(long... values) {
    Samples s = new Samples();
    for (long v : values) {
      s.add(v * 1_000_000);
    }
    return s;
  }

  @Test
  void percentilesAreNearestRank() {
    Samples s = millis(5, 1, 4, 2, 3, 6, 7, 8, 9, 10);
    assertThat(s.percentileMillis(50)).isEqualTo(5.0);
    assertThat(s.percentileMillis(99)).isEqualTo(10.0);
    assertThat(s.percentileMillis(10)).isEqualTo(1.0);
    assertThat(s.percentileMillis(99.9)).isEqualTo(10.0);
  }

  @Test
  void timeoutsAreCountedApartFromTheSamples() {
    Samples s = millis(1, 2);
    s.add(-1);
    assertThat(s.size()).isEqualTo(2);
    assertThat(s.timedOut()).isEqualTo(1);
  }

  @Test
  void sinceKeepsOnlyTheLaterSamples() {
    Samples s = millis(100, 200, 1, 2, 3);
    Samples part = s.since(2);
    assertThat(part.size()).isEqualTo(3);
    assertThat(part.percentileMillis(100)).isEqualTo(3.0);
    assertThat(s.since(9).size()).isZero();
  }

  @Test
  void emptySamplesHaveNoPercentile() {
    assertThat(new Samples().percentileMillis(50)).isNaN();
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(Samples.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
    assertThat(Samples.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
    assertThat(Samples.median(List.of())).isNaN();
  }
}
