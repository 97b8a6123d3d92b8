package io.tidemark.protocol;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The horizon (design §1, §4): per source, the oldest version still readable, taken as the frontier
 * as it was {@code retention} ago. Tokens below it expire; stores may purge what no snapshot at or
 * after it can read.
 *
 * <p>Feed it every published frontier ({@code tracker.addListener(horizon::record)}). {@link
 * #horizon()} is the newest recorded frontier that is at least {@code retention} old, joined with
 * the {@code floor} it started from. Before anything recorded is that old, the horizon is the
 * floor: {@link Stamp#empty()} for a fresh deployment (nothing expires, nothing is purged); a
 * restarted coordinator passes the horizon it persisted, because the stores have already purged
 * below it.
 *
 * <p>Memory is bounded whatever the rate of updates: time is cut into {@value #BUCKETS} buckets per
 * retention period, and only the last frontier of each bucket is kept, as if it had been recorded
 * at the bucket's end. So at most {@value #BUCKETS}&nbsp;+&nbsp;2 frontiers are held, and the
 * horizon may lag the exact one by up to {@code retention /} {@value #BUCKETS}, never lead it: it
 * never expires a token the exact rule would still accept. The horizon never moves back, even when
 * the clock does.
 *
 * <p>Thread-safe; {@link #horizon()} is a volatile read unless a recorded frontier has just come of
 * age.
 */
public final class RetentionHorizon {

  /** Buckets per retention period. */
  public static final int BUCKETS = 256;

  private final Duration retention;
  private final long retentionNanos;
  private final long bucketNanos;
  private final Clock clock;

  private final ArrayDeque<Sample> pending = new ArrayDeque<>(); // guarded by this; by age
  private Stamp latest; // guarded by this: the join of everything recorded
  private volatile Stamp horizon;
  private volatile long nextDueNanos = Long.MAX_VALUE; // when the oldest pending sample is due

  /** A horizon starting empty (nothing expired yet). */
  public RetentionHorizon(Duration retention, Clock clock) {
    this(retention, clock, Stamp.empty());
  }

  /**
   * A horizon that starts at {@code floor} and never goes below it.
   *
   * @param retention how long a frontier stays readable after it was published; positive
   * @param clock where the time comes from (tests pass one they can move)
   * @param floor the horizon of a previous run, or empty
   */
  public RetentionHorizon(Duration retention, Clock clock, Stamp floor) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException(
          "retention must be positive, got " + retention + "; for example PT5M (five minutes)");
    }
    this.retention = retention;
    this.retentionNanos = saturatedNanos(retention);
    this.bucketNanos = Math.max(1, retentionNanos / BUCKETS);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.horizon = Objects.requireNonNull(floor, "floor");
    this.latest = floor;
  }

  public Duration retention() {
    return retention;
  }

  /**
   * Records the frontier published now. A frontier lower than one recorded before lowers nothing:
   * it is joined with them.
   */
  public synchronized void record(Stamp frontier) {
    Objects.requireNonNull(frontier, "frontier");
    long now = nanos(clock.instant());
    advance(now);
    Stamp next = latest.join(frontier);
    if (next.equals(latest)) {
      return;
    }
    latest = next;
    long due = saturatedAdd(bucketEnd(now), retentionNanos);
    Sample last = pending.peekLast();
    if (last != null && due <= last.due) {
      last.frontier = next; // same bucket (or the clock went back): the newer frontier wins
    } else {
      pending.addLast(new Sample(due, next));
      if (pending.size() == 1) {
        nextDueNanos = due;
      }
    }
  }

  /** The horizon now: the frontier as it was {@code retention} ago (see the class comment). */
  public Stamp horizon() {
    long now = nanos(clock.instant());
    if (now < nextDueNanos) {
      return horizon;
    }
    synchronized (this) {
      advance(now);
      return horizon;
    }
  }

  /** How many frontiers are held; at most {@value #BUCKETS} + 2. For tests and metrics. */
  public synchronized int samples() {
    return pending.size();
  }

  /** Moves every sample that has come of age into the horizon. Call holding this. */
  private void advance(long now) {
    Sample oldest;
    Stamp next = horizon;
    while ((oldest = pending.peekFirst()) != null && oldest.due <= now) {
      next = next.join(oldest.frontier);
      pending.removeFirst();
    }
    horizon = next;
    nextDueNanos = oldest == null ? Long.MAX_VALUE : oldest.due;
  }

  private long bucketEnd(long now) {
    return saturatedAdd(Math.floorDiv(now, bucketNanos) * bucketNanos, bucketNanos);
  }

  /** Nanoseconds since the epoch, saturated (the long runs out in 2262). */
  private static long nanos(Instant instant) {
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    } catch (ArithmeticException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
  }

  /** The last frontier recorded in one bucket, and when it becomes the horizon. */
  private static final class Sample {
    final long due;
    Stamp frontier;

    Sample(long due, Stamp frontier) {
      this.due = due;
      this.frontier = frontier;
    }
  }
}
