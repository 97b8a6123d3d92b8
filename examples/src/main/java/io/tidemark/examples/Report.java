package io.tidemark.examples;

import java.util.List;
import java.util.Locale;

/** The side-by-side table, the two sentences, and the self-contained HTML report. */
final class Report {

  private Report() {}

  static String table(Story.Result latest, Story.Result snapshot) {
    StringBuilder b = new StringBuilder();
    String row = "  %-34s %18s %18s%n";
    b.append(String.format(Locale.ROOT, row, "", "latest values", "Tidemark snapshot"));
    b.append(String.format(Locale.ROOT, row, "", "(as teams do today)", ""));
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "writes (post/edit/withdraw)",
            n(latest.writes()),
            n(snapshot.writes())));
    b.append(
        String.format(Locale.ROOT, row, "searches", n(latest.searches()), n(snapshot.searches())));
    b.append(
        String.format(
            Locale.ROOT, row, "clicks on a hit", n(latest.clicks()), n(snapshot.clicks())));
    b.append(
        String.format(
            Locale.ROOT, row, "404 after search", n(latest.notFound()), n(snapshot.notFound())));
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "stale details (older than the hit)",
            n(latest.stale()),
            n(snapshot.stale())));
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "search latency p50 / p99",
            latency(latest.searchNanos()),
            latency(snapshot.searchNanos())));
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "detail latency p50 / p99",
            latency(latest.detailNanos()),
            latency(snapshot.detailNanos())));
    b.append(
        String.format(
            Locale.ROOT,
            row,
            "visibility lag p50 / p99",
            lag(latest.visibilityNanos()),
            lag(snapshot.visibilityNanos())));
    return b.toString();
  }

  static String sentences(Story.Result latest, Story.Result snapshot, String delayText) {
    double rate = latest.clicks() == 0 ? 0 : 100.0 * latest.notFound() / latest.clicks();
    return String.format(
        Locale.ROOT,
        "Reading each store's latest value, %s of %s clicks on a search hit (%.1f%%) found no ad:"
            + " the index and the detail stores were at different moments, so hits named ads the"
            + " cache and the read database had already withdrawn, or not received yet (extra"
            + " delay: %s).%n"
            + "Through Tidemark snapshots the search and the click read the same moment in every"
            + " store, so %s; a snapshot shows a change once the slowest store has it, here %s"
            + " after its commit (p50), against %s for the search index read directly in the"
            + " first run.%n",
        n(latest.notFound()),
        n(latest.clicks()),
        rate,
        delayText,
        snapshot.notFound() == 0 && snapshot.stale() == 0
            ? "every click found its ad, and no detail was older than its hit"
            : n(snapshot.notFound())
                + " clicks found no ad and "
                + n(snapshot.stale())
                + " details were older than their hit",
        ms(Story.Result.percentile(snapshot.visibilityNanos(), 50)),
        ms(Story.Result.percentile(latest.visibilityNanos(), 50)));
  }

  static String html(Story.Result latest, Story.Result snapshot, String delayText, String setup) {
    return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Tidemark: the 404 before and after</title>
        <style>
        body{font:15px/1.5 system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}
        table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.bad{color:#c0392b;font-weight:600}.good{color:#1e8449;font-weight:600}
        pre{background:#f6f6f6;padding:8px}
        </style></head><body>
        <h1>Classified ads: the 404 before and after</h1>
        <p>%s</p><p>Extra delay: <b>%s</b>.</p>
        <table><tr><th></th><th>latest values (as teams do today)</th><th>Tidemark snapshot</th></tr>
        %s</table>
        <h2>Anomalies per second</h2>
        %s
        <p>%s</p>
        </body></html>
        """
        .formatted(
            escape(setup),
            escape(delayText),
            rows(latest, snapshot),
            chart(latest, snapshot),
            escape(sentences(latest, snapshot, delayText)).replace("\n", "<br>"));
  }

  private static String rows(Story.Result l, Story.Result s) {
    StringBuilder b = new StringBuilder();
    b.append(tr("writes", n(l.writes()), n(s.writes()), ""));
    b.append(tr("searches", n(l.searches()), n(s.searches()), ""));
    b.append(tr("clicks on a hit", n(l.clicks()), n(s.clicks()), ""));
    b.append(tr("404 after search", n(l.notFound()), n(s.notFound()), "anomaly"));
    b.append(tr("stale details (older than the hit)", n(l.stale()), n(s.stale()), "anomaly"));
    b.append(
        tr("search latency p50 / p99", latency(l.searchNanos()), latency(s.searchNanos()), ""));
    b.append(
        tr("detail latency p50 / p99", latency(l.detailNanos()), latency(s.detailNanos()), ""));
    b.append(
        tr("visibility lag p50 / p99", lag(l.visibilityNanos()), lag(s.visibilityNanos()), ""));
    return b.toString();
  }

  private static String tr(String name, String a, String b, String kind) {
    String classA = kind.isEmpty() ? "" : a.equals("0") ? "good" : "bad";
    String classB = kind.isEmpty() ? "" : b.equals("0") ? "good" : "bad";
    return "<tr><td>%s</td><td class=\"%s\">%s</td><td class=\"%s\">%s</td></tr>\n"
        .formatted(escape(name), classA, escape(a), classB, escape(b));
  }

  /** An inline SVG: per second, 404s and stale details for both runs, on one time axis. */
  private static String chart(Story.Result latest, Story.Result snapshot) {
    int w = 860;
    int h = 300;
    int left = 50;
    int bottom = 40;
    int seconds = Math.max(latest.notFoundPerSecond().length, snapshot.notFoundPerSecond().length);
    long max = 1;
    for (Story.Result r : List.of(latest, snapshot)) {
      for (int i = 0; i < r.notFoundPerSecond().length; i++) {
        max = Math.max(max, Math.max(r.notFoundPerSecond()[i], r.stalePerSecond()[i]));
      }
    }
    double xStep = (w - left - 20.0) / Math.max(1, seconds - 1);
    double yScale = (h - bottom - 20.0) / max;
    StringBuilder b = new StringBuilder();
    b.append(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"12\">"
            .formatted(w, h));
    b.append(
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
            .formatted(left, h - bottom, w - 10, h - bottom));
    b.append(
        "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
            .formatted(left, left, h - bottom));
    b.append("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>".formatted(left - 5, 25, max));
    b.append(
        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>".formatted(left - 5, h - bottom));
    b.append(
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds into the run</text>"
            .formatted(w / 2, h - 5));
    for (int s = 0; s < seconds; s += Math.max(1, seconds / 10)) {
      b.append(
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>"
              .formatted(left + s * xStep, h - bottom + 15, s));
    }
    b.append(series(latest.notFoundPerSecond(), left, h - bottom, xStep, yScale, "#c0392b", ""));
    b.append(series(latest.stalePerSecond(), left, h - bottom, xStep, yScale, "#e67e22", "6,3"));
    b.append(series(snapshot.notFoundPerSecond(), left, h - bottom, xStep, yScale, "#1e8449", ""));
    b.append(series(snapshot.stalePerSecond(), left, h - bottom, xStep, yScale, "#2e86c1", "6,3"));
    String[][] legend = {
      {"#c0392b", "", "latest: 404 after search"},
      {"#e67e22", "6,3", "latest: stale details"},
      {"#1e8449", "", "snapshot: 404 after search"},
      {"#2e86c1", "6,3", "snapshot: stale details"}
    };
    for (int i = 0; i < legend.length; i++) {
      int x = left + 20 + i * 200;
      b.append(
          "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"10\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\"/>"
              .formatted(x, x + 20, legend[i][0], legend[i][1]));
      b.append("<text x=\"%d\" y=\"14\">%s</text>".formatted(x + 25, legend[i][2]));
    }
    b.append("</svg>");
    return b.toString();
  }

  private static String series(
      long[] values, int x0, int y0, double xStep, double yScale, String color, String dash) {
    StringBuilder points = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      points.append(
          String.format(Locale.ROOT, "%.1f,%.1f ", x0 + i * xStep, y0 - values[i] * yScale));
    }
    return "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\" points=\"%s\"/>"
        .formatted(color, dash, points.toString().trim());
  }

  static String n(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  private static String latency(long[] sortedNanos) {
    return ms(Story.Result.percentile(sortedNanos, 50))
        + " / "
        + ms(Story.Result.percentile(sortedNanos, 99));
  }

  private static String lag(long[] sortedNanos) {
    return latency(sortedNanos);
  }

  static String ms(long nanos) {
    double ms = nanos / 1e6;
    return ms < 10
        ? String.format(Locale.ROOT, "%.1f ms", ms)
        : String.format(Locale.ROOT, "%.0f ms", ms);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
