package io.tidemark.benchmarks;

import java.util.Locale;

/**
 * One of the goals, with the figure measured for it: met, missed (and by how much), or not
 * measured.
 *
 * @param what the goal in words
 * @param measured the figure (NaN when it was not measured)
 * @param bound the limit
 * @param atMost whether the figure must stay at or below the bound (else at or above)
 * @param unit how the figure reads: {@code "x"} for a ratio, {@code " ms"}, or {@code ""}
 */
record Goal(String what, double measured, double bound, boolean atMost, String unit) {

  static Goal atLeast(String what, double measured, double bound, String unit) {
    return new Goal(what, measured, bound, false, unit);
  }

  static Goal atMost(String what, double measured, double bound, String unit) {
    return new Goal(what, measured, bound, true, unit);
  }

  boolean measuredAtAll() {
    return !Double.isNaN(measured);
  }

  boolean met() {
    return measuredAtAll() && (atMost ? measured <= bound : measured >= bound);
  }

  String target() {
    return (atMost ? "≤ " : "≥ ") + format(bound);
  }

  /** "met", "not measured", or "missed by 0.21x (30%)". */
  String verdict() {
    if (!measuredAtAll()) {
      return "not measured";
    }
    if (met()) {
      return "met";
    }
    double by = Math.abs(measured - bound);
    if (bound == 0) {
      return "missed by " + format(by);
    }
    return String.format(Locale.ROOT, "**missed** by %s (%.0f%%)", format(by), 100 * by / bound);
  }

  String format(double value) {
    if (Double.isNaN(value)) {
      return "-";
    }
    if (unit.equals("x")) {
      return String.format(Locale.ROOT, "%.2fx", value);
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return String.format(Locale.ROOT, "%,.0f%s", value, unit);
    }
    return String.format(Locale.ROOT, "%,.1f%s", value, unit);
  }
}
