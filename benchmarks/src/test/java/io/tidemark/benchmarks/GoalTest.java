package io.tidemark.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GoalTest {

  @Test
  void aRatioAtLeastTheBoundIsMet() {
    Goal g = Goal.atLeast("throughput", 0.7, 0.7, "x");
    assertThat(g.met()).isTrue();
    assertThat(g.verdict()).isEqualTo("met");
    assertThat(g.target()).isEqualTo("≥ 0.70x");
  }

  @Test
  void aMissSaysByHowMuchAndWhatShare() {
    Goal g = Goal.atLeast("throughput", 0.35, 0.7, "x");
    assertThat(g.met()).isFalse();
    assertThat(g.verdict()).isEqualTo("**missed** by 0.35x (50%)");
  }

  @Test
  void anUpperBoundInMillisecondsMissedAbove() {
    Goal g = Goal.atMost("lag p99", 1250.0, 250, " ms");
    assertThat(g.met()).isFalse();
    assertThat(g.verdict()).isEqualTo("**missed** by 1,000 ms (400%)");
    assertThat(Goal.atMost("lag p99", 249.5, 250, " ms").verdict()).isEqualTo("met");
  }

  @Test
  void aZeroBoundHasNoShare() {
    assertThat(Goal.atMost("anomalies", 3, 0, "").verdict()).isEqualTo("missed by 3");
    assertThat(Goal.atMost("anomalies", 0, 0, "").verdict()).isEqualTo("met");
  }

  @Test
  void aFigureNotMeasuredIsNeitherMetNorMissed() {
    Goal g = Goal.atMost("lag p99", Double.NaN, 250, " ms");
    assertThat(g.met()).isFalse();
    assertThat(g.verdict()).isEqualTo("not measured");
    assertThat(g.format(g.measured())).isEqualTo("-");
  }
}
