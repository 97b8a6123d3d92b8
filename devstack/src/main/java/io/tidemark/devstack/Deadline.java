package io.tidemark.devstack;

import java.time.Duration;

/** A point in time after which waiting stops; every wait in devstack is bounded by one. */
final class Deadline {
  private static final long FIRST_POLL_NANOS = Duration.ofMillis(5).toNanos();
  private static final long MAX_POLL_NANOS = Duration.ofMillis(100).toNanos();

  private final long endNanos;
  private final Duration total;

  private Deadline(Duration total) {
    this.total = total;
    this.endNanos = System.nanoTime() + total.toNanos();
  }

  static Deadline in(Duration total) {
    return new Deadline(total);
  }

  Duration total() {
    return total;
  }

  boolean expired() {
    return remainingNanos() <= 0;
  }

  long remainingNanos() {
    return endNanos - System.nanoTime();
  }

  long remainingMillis() {
    return Math.max(0, Duration.ofNanos(remainingNanos()).toMillis());
  }

  /** The earlier of this deadline and one {@code limit} from now. */
  Deadline atMost(Duration limit) {
    return remainingNanos() <= limit.toNanos() ? this : new Deadline(limit);
  }

  /** A condition checked again and again; it may throw to stop the wait with that error. */
  @FunctionalInterface
  interface Condition {
    boolean met() throws Exception;
  }

  /**
   * Checks {@code condition} until it holds, re-checking after a short pause that grows from 5 ms
   * to 100 ms.
   *
   * @return whether it held before the deadline
   */
  boolean await(Condition condition) throws Exception {
    long pause = FIRST_POLL_NANOS;
    while (true) {
      if (condition.met()) {
        return true;
      }
      long left = remainingNanos();
      if (left <= 0) {
        return false;
      }
      Thread.sleep(Duration.ofNanos(Math.min(pause, left)).toMillis() + 1);
      pause = Math.min(pause * 2, MAX_POLL_NANOS);
    }
  }
}
