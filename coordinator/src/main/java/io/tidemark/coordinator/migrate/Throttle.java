package io.tidemark.coordinator.migrate;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Holds a writer to at most {@code rate} rows per second: each batch waits until the rows before it
 * have had their time. Batches are not split; a batch larger than a second's worth just waits
 * longer afterwards. Time is passed in for tests.
 */
final class Throttle {

  private final long rate;
  private final LongSupplier nanoTime;
  private long nextFreeNanos;

  Throttle(long rate) {
    this(rate, System::nanoTime);
  }

  Throttle(long rate, LongSupplier nanoTime) {
    if (rate < 0) {
      throw new IllegalArgumentException("rate " + rate + " is negative: use 0 (no limit) or more");
    }
    this.rate = rate;
    this.nanoTime = nanoTime;
    this.nextFreeNanos = nanoTime.getAsLong();
  }

  /** How long a batch of {@code rows} must wait now, in nanoseconds; books its time. */
  synchronized long reserve(long rows) {
    if (rate == 0 || rows <= 0) {
      return 0;
    }
    long now = nanoTime.getAsLong();
    long start = Math.max(now, nextFreeNanos);
    nextFreeNanos = start + rows * TimeUnit.SECONDS.toNanos(1) / rate;
    return start - now;
  }

  void acquire(long rows) throws InterruptedException {
    long wait = reserve(rows);
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
