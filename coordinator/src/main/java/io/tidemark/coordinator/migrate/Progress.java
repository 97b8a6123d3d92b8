package io.tidemark.coordinator.migrate;

import io.tidemark.protocol.Version;
import java.util.Locale;

/** The backfill's progress lines: rows copied of the estimated total, rate, time left. */
final class Progress {

  private Progress() {}

  static String snapshotLine(String store, long rows, long total, long elapsedNanos) {
    double seconds = elapsedNanos / 1e9;
    double rate = seconds > 0 ? rows / seconds : 0;
    int width = 30;
    double fraction = total > 0 ? Math.min(1.0, (double) rows / total) : 0;
    int filled = (int) Math.round(fraction * width);
    String bar = "#".repeat(filled) + ".".repeat(width - filled);
    String left = rate > 0 && total > rows ? duration((long) ((total - rows) / rate)) : "-";
    return String.format(
        Locale.ROOT,
        "%s snapshot [%s] %,d/%,d rows (%d%%) %,.0f rows/s, %s left",
        store,
        bar,
        rows,
        total,
        Math.round(fraction * 100),
        rate,
        left);
  }

  static String catchUpLine(
      String store, Version watermark, Version target, long rows, long elapsedNanos) {
    double seconds = elapsedNanos / 1e9;
    long behind = watermark.isBefore(target) ? target.asLong() - watermark.asLong() : 0;
    return String.format(
        Locale.ROOT,
        "%s catch-up: watermark %s, target %s, %,d WAL bytes behind, %,d rows in %.0f s",
        store,
        watermark,
        target,
        behind,
        rows,
        seconds);
  }

  static String duration(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
    }
    if (seconds >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return seconds + "s";
  }
}
