package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class RetentionHorizonTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Stamp a(long version) {
    return Stamp.of("a", Version.of(version));
  }

  @Test
  void isTheFrontierAsItWasRetentionAgo() {
    MutableClock clock = new MutableClock(T0);
    // 256 s of retention: buckets of exactly one second
    RetentionHorizon horizon = new RetentionHorizon(Duration.ofSeconds(256), clock);
    horizon.record(a(10)); // at 0 s, in bucket [0 s, 1 s)
    clock.advance(Duration.ofSeconds(100));
    horizon.record(a(20)); // at 100 s
    assertThat(horizon.horizon()).as("nothing is old enough yet").isEqualTo(Stamp.empty());

    clock.set(T0.plusSeconds(256));
    assertThat(horizon.horizon())
        .as("exactly retention after, the bucket of 0 s has not ended retention ago")
        .isEqualTo(Stamp.empty());
    clock.set(T0.plusSeconds(257));
    assertThat(horizon.horizon()).isEqualTo(a(10));
    clock.set(T0.plusSeconds(356).plusMillis(999));
    assertThat(horizon.horizon()).isEqualTo(a(10));
    clock.set(T0.plusSeconds(357));
    assertThat(horizon.horizon()).isEqualTo(a(20));
    clock.advance(Duration.ofDays(1));
    assertThat(horizon.horizon()).as("no newer frontier was recorded").isEqualTo(a(20));
    assertThat(horizon.retention()).isEqualTo(Duration.ofSeconds(256));
  }

  @Test
  void theLastFrontierOfABucketWins() {
    MutableClock clock = new MutableClock(T0);
    RetentionHorizon horizon = new RetentionHorizon(Duration.ofSeconds(256), clock);
    horizon.record(a(1));
    clock.advance(Duration.ofMillis(400));
    horizon.record(a(2));
    clock.advance(Duration.ofMillis(400));
    horizon.record(a(3)); // all three at 0-0.8 s: one bucket
    assertThat(horizon.samples()).isEqualTo(1);
    clock.set(T0.plusSeconds(257));
    assertThat(horizon.horizon()).isEqualTo(a(3));
    assertThat(horizon.samples()).isZero();
  }

  @Test
  void startsAtTheFloorAndNeverGoesBelowIt() {
    MutableClock clock = new MutableClock(T0);
    Stamp floor = Stamp.of("a", Version.of(50)).with("b", Version.of(5));
    RetentionHorizon horizon = new RetentionHorizon(Duration.ofMinutes(5), clock, floor);
    assertThat(horizon.horizon()).isEqualTo(floor);
    horizon.record(a(40)); // a restarted store reported behind: lowers nothing
    clock.advance(Duration.ofMinutes(10));
    assertThat(horizon.horizon()).isEqualTo(floor);
    horizon.record(a(60).with("b", Version.of(6)));
    clock.advance(Duration.ofMinutes(10));
    assertThat(horizon.horizon()).isEqualTo(a(60).with("b", Version.of(6)));
  }

  @Test
  void neverMovesBackWhenTheClockDoes() {
    MutableClock clock = new MutableClock(T0);
    RetentionHorizon horizon = new RetentionHorizon(Duration.ofSeconds(10), clock);
    horizon.record(a(1));
    clock.advance(Duration.ofSeconds(20));
    horizon.record(a(2));
    assertThat(horizon.horizon()).isEqualTo(a(1));
    clock.set(T0.minusSeconds(3600)); // NTP stepped the clock back an hour
    assertThat(horizon.horizon()).isEqualTo(a(1));
    horizon.record(a(3));
    assertThat(horizon.samples()).as("merged into the newest bucket").isEqualTo(1);
    clock.set(T0.plusSeconds(40));
    assertThat(horizon.horizon()).isEqualTo(a(3));
  }

  @Test
  void memoryStaysBoundedWhateverTheRateOfUpdates() {
    MutableClock clock = new MutableClock(T0);
    RetentionHorizon horizon = new RetentionHorizon(Duration.ofSeconds(10), clock);
    int maxSamples = 0;
    for (int i = 1; i <= 500_000; i++) {
      clock.advance(Duration.ofNanos(100_000)); // 10,000 frontiers a second for 50 s
      horizon.record(a(i));
      maxSamples = Math.max(maxSamples, horizon.samples());
    }
    assertThat(maxSamples).isBetween(RetentionHorizon.BUCKETS - 2, RetentionHorizon.BUCKETS + 2);
    // 50 s in, the horizon is the frontier of about 40 s in (within one bucket of 39 ms)
    long version = horizon.horizon().get("a").orElseThrow().asLong();
    assertThat(version).isBetween(400_000L - 400, 400_000L);
  }

  @Test
  void refusesANonPositiveRetention() {
    MutableClock clock = new MutableClock(T0);
    assertThatThrownBy(() -> new RetentionHorizon(Duration.ZERO, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT0S")
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> new RetentionHorizon(Duration.ofSeconds(-1), clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void handlesTinyAndHugeRetentions() {
    MutableClock clock = new MutableClock(T0);
    RetentionHorizon tiny = new RetentionHorizon(Duration.ofNanos(1), clock);
    tiny.record(a(1));
    clock.advance(Duration.ofNanos(2));
    assertThat(tiny.horizon()).isEqualTo(a(1));

    RetentionHorizon huge = new RetentionHorizon(Duration.ofDays(365 * 1000), clock);
    huge.record(a(1));
    clock.advance(Duration.ofDays(365));
    assertThat(huge.horizon()).isEqualTo(Stamp.empty());
  }

  /** Time steps (nanoseconds to advance) and a flag per step: record the next frontier or not. */
  record Step(long advanceNanos, boolean record) {}

  /**
   * Against the exact rule kept with every sample: the bucketed horizon is never newer than the
   * exact one, and lags it by at most one bucket.
   */
  @Property(tries = 300)
  void isNeverNewerThanTheExactHorizonAndLagsByAtMostOneBucket(
      @ForAll("retentions") long retentionNanos, @ForAll("steps") List<Step> steps) {
    MutableClock clock = new MutableClock(T0);
    Duration retention = Duration.ofNanos(retentionNanos);
    long bucket = Math.max(1, retentionNanos / RetentionHorizon.BUCKETS);
    RetentionHorizon horizon = new RetentionHorizon(retention, clock);
    List<long[]> exact = new ArrayList<>(); // (time, version)
    long version = 0;
    long now = 0;
    Stamp previous = Stamp.empty();
    for (Step step : steps) {
      now += step.advanceNanos();
      clock.set(T0.plusNanos(now));
      if (step.record()) {
        version++;
        horizon.record(a(version));
        exact.add(new long[] {now, version});
      }
      Stamp actual = horizon.horizon();
      long got = actual.getOrElse("a", Version.ZERO).asLong();
      long exactVersion = newestAtOrBefore(exact, now - retentionNanos);
      long laggingVersion = newestAtOrBefore(exact, now - retentionNanos - bucket);
      assertThat(got).as("never newer than exact at %d ns", now).isLessThanOrEqualTo(exactVersion);
      assertThat(got)
          .as("at most one bucket behind at %d ns", now)
          .isGreaterThanOrEqualTo(laggingVersion);
      assertThat(actual.covers(previous)).isTrue();
      assertThat(horizon.samples()).isLessThanOrEqualTo(RetentionHorizon.BUCKETS + 2);
      previous = actual;
    }
  }

  private static long newestAtOrBefore(List<long[]> samples, long time) {
    long version = 0;
    for (long[] sample : samples) {
      if (sample[0] <= time) {
        version = sample[1];
      }
    }
    return version;
  }

  @Provide
  Arbitrary<Long> retentions() {
    return Arbitraries.of(1L, 255L, 256L, 257L, 1_000L, 25_600L, 1_000_003L);
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Long> advances =
        Arbitraries.oneOf(
            Arbitraries.longs().between(0, 10),
            Arbitraries.longs().between(0, 5_000),
            Arbitraries.longs().between(0, 2_000_000));
    return Combinators.combine(advances, Arbitraries.of(true, true, false))
        .as(Step::new)
        .list()
        .ofMaxSize(300);
  }
}
