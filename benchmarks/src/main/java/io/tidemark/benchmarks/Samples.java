package io.tidemark.benchmarks;

import java.util.Arrays;
import java.util.List;

/** Latency samples in nanoseconds (thread-safe), with nearest-rank percentiles. */
final class Samples {

  private long[] values = new long[256];
  private int size;
  private int timedOut;

  synchronized void add(long nanos) {
    if (nanos < 0) {
      timedOut++;
      return;
    }
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  synchronized void addAll(Samples other) {
    long[] theirs;
    int missed;
    synchronized (other) {
      theirs = Arrays.copyOf(other.values, other.size);
      missed = other.timedOut;
    }
    for (long v : theirs) {
      add(v);
    }
    timedOut += missed;
  }

  synchronized int size() {
    return size;
  }

  synchronized int timedOut() {
    return timedOut;
  }

  /** The {@code p}-th percentile (0-100) in milliseconds; NaN when empty. */
  synchronized double percentileMillis(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.min(size - 1, Math.max(0, rank - 1))] / 1e6;
  }

  /**
   * The {@code p}-th percentile of the samples between two fractions of the run, in the order they
   * were added: shows whether latency grew during a run (the pipeline falling behind).
   */
  synchronized double percentileMillis(double p, double from, double to) {
    int start = (int) (from * size);
    int end = Math.max(start + 1, (int) (to * size));
    if (size == 0 || start >= size) {
      return Double.NaN;
    }
    long[] part = Arrays.copyOfRange(values, start, Math.min(end, size));
    Arrays.sort(part);
    int rank = (int) Math.ceil(p / 100.0 * part.length);
    return part[Math.min(part.length - 1, Math.max(0, rank - 1))] / 1e6;
  }

  /** The samples added after the first {@code from} (for one part of a longer measurement). */
  synchronized Samples since(int from) {
    Samples part = new Samples();
    for (int i = Math.min(from, size); i < size; i++) {
      part.add(values[i]);
    }
    return part;
  }

  /** The median of some figures; NaN when there are none. */
  static double median(List<Double> figures) {
    if (figures.isEmpty()) {
      return Double.NaN;
    }
    double[] sorted = figures.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
