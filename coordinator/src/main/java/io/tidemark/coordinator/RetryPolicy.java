package io.tidemark.coordinator;

import java.time.Duration;

/**
 * Capped exponential back-off: {@code initial}, doubled after each failure, at most {@code max}.
 */
record RetryPolicy(Duration initial, Duration max) {

  RetryPolicy {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "retry back-off needs 0 < initial <= max, got initial " + initial + ", max " + max);
    }
  }

  /** The delay before attempt {@code failures + 1}, after {@code failures} failures (≥ 1). */
  Duration delayAfter(int failures) {
    long nanos = initial.toNanos();
    for (int i = 1; i < failures && nanos < max.toNanos(); i++) {
      nanos *= 2;
    }
    return Duration.ofNanos(Math.min(nanos, max.toNanos()));
  }
}
