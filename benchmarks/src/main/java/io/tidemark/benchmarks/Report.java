package io.tidemark.benchmarks;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Renders a run's {@link Results} as the Markdown report kept as {@code BENCHMARKS.md}. */
final class Report {

  static final double THROUGHPUT_RATIO = 0.7;
  static final double SKEWED_RATIO = 1.0;
  static final double LAG_P99_MS = 250;
  static final double SEARCH_RATIO = 1.25;
  static final double GET_RATIO = 1.1;

  private final Results r;
  private final StringBuilder out = new StringBuilder();

  private Report(Results r) {
    this.r = r;
  }

  static String render(Results results) {
    return new Report(results).all();
  }

  // ---- the goals ------------------------------------------------------------------------------

  static List<Goal> goals(Results r) {
    List<Goal> goals = new ArrayList<>();
    for (Mix mix : Mix.values()) {
      goals.add(
          Goal.atLeast(
              "throughput, " + mix.label + ": Tidemark / naive",
              throughputRatio(r, mix),
              THROUGHPUT_RATIO,
              "x"));
    }
    goals.add(
        Goal.atLeast(
            "throughput, " + Mix.UPDATE_SKEWED.label + ": Tidemark / naive (coalescing)",
            throughputRatio(r, Mix.UPDATE_SKEWED),
            SKEWED_RATIO,
            "x"));
    for (Mix mix : Mix.WRITE_MIXES) {
      Results.Lag lag = r.lag(Results.TIDEMARK, mix);
      goals.add(
          Goal.atMost(
              "visibility lag p99 at half the maximum, " + mix.label,
              lag == null ? Double.NaN : lag.all().percentileMillis(99),
              LAG_P99_MS,
              " ms"));
    }
    for (String store : ReadLatency.STORES) {
      boolean search = store.equals("Elasticsearch");
      goals.add(
          Goal.atMost(
              "snapshot read p50 / plain " + (search ? "search" : "get") + ", " + store,
              readRatio(r, store, "SNAPSHOT", 50),
              search ? SEARCH_RATIO : GET_RATIO,
              "x"));
    }
    ReadMix.Result tm = r.readMix.get(Results.TIDEMARK);
    goals.add(
        Goal.atMost(
            "anomalies through Tidemark snapshots (404 after search + stale detail)",
            tm == null
                ? Double.NaN
                : tm.count(ReadMix.Outcome.NOT_FOUND_AFTER_SEARCH)
                    + tm.count(ReadMix.Outcome.STALE_DETAIL),
            0,
            ""));
    return goals;
  }

  /** Tidemark's median maximum over naive's; for the read-heavy mix, story reads per second. */
  static double throughputRatio(Results r, Mix mix) {
    if (mix == Mix.READ_HEAVY) {
      ReadMix.Result tm = r.readMix.get(Results.TIDEMARK);
      ReadMix.Result naive = r.readMix.get(Results.NAIVE);
      return tm == null || naive == null
          ? Double.NaN
          : ratio(tm.readsPerSecond(), naive.readsPerSecond());
    }
    return ratio(r.medianTx(Results.TIDEMARK, mix), r.medianTx(Results.NAIVE, mix));
  }

  static double readRatio(Results r, String store, String kind, double percentile) {
    Map<String, Histogram> kinds = r.readLatency.get(store);
    if (kinds == null || kinds.get(kind) == null || kinds.get("plain") == null) {
      return Double.NaN;
    }
    return ratio(micros(kinds.get(kind), percentile), micros(kinds.get("plain"), percentile));
  }

  static double micros(Histogram h, double percentile) {
    return h == null || h.getTotalCount() == 0
        ? Double.NaN
        : h.getValueAtPercentile(percentile) / 1000.0;
  }

  static double ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? Double.NaN : a / b;
  }

  // ---- the document ---------------------------------------------------------------------------

  private String all() {
    line("# Tidemark benchmarks");
    line("");
    line(
        "Written by `"
            + r.command
            + "` on "
            + DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                .format(r.started.atOffset(ZoneOffset.UTC))
            + (r.quick ? " (**quick run**: `-Dbench.quick=true`, short runs, figures rougher)" : "")
            + String.format(
                Locale.ROOT, "; the run took %.1f minutes.", r.length.toSeconds() / 60.0)
            + " Tidemark, the naive pipeline (Debezium → the stores, latest value only, as sink"
            + " connectors do) and the stores' own limits ran one after the other on the same local"
            + " stores. Absolute figures depend on the machine and what else ran on it (see the"
            + " load average); read the ratios, which come from one run.");
    line("");
    machine();
    goalsSection();
    throughput();
    lagSection();
    readMixSection();
    readLatencySection();
    footprint();
    jmhSection();
    notes();
    return out.toString();
  }

  private void machine() {
    line("## Machine");
    line("");
    table(List.of("what", "value"));
    if (r.atStart != null) {
      row("cores", Integer.toString(r.atStart.cores()));
      row("CPU", r.atStart.cpu());
      row("memory", r.atStart.memory());
      row("JDK", r.atStart.jdk());
      row("OS", r.atStart.os());
      row("load average (1 / 5 / 15 min) at start", r.atStart.loadAverage());
    }
    if (r.atEnd != null) {
      row("load average at end", r.atEnd.loadAverage());
    }
    r.storeVersions.forEach((store, version) -> row(store, version));
    row("settings", r.settings);
    line("");
  }

  private void goalsSection() {
    line("## Goals");
    line("");
    table(List.of("goal", "measured", "target", "result"));
    for (Goal g : goals(r)) {
      row(g.what(), g.format(g.measured()), g.target(), g.verdict());
    }
    line("");
  }

  private void throughput() {
    line("## Throughput");
    line("");
    line(
        "Writers commit as fast as they can; the rate counts the commits from the first until the"
            + " pipeline has the last one (Tidemark: the frontier covers it, so it is readable"
            + " everywhere; naive: every store writer has written it and been acknowledged, not yet"
            + " searchable; Debezium alone: delivered). Median of "
            + r.runs(Results.TIDEMARK, Mix.INSERT_HEAVY).size()
            + " runs per mix. CPU counts the four store servers and this JVM (the load's writers"
            + " included) from the first commit to the last one in every store.");
    line("");
    table(
        List.of(
            "mix",
            "figure",
            Results.TIDEMARK,
            Results.NAIVE,
            Results.RAW,
            "Tidemark / naive",
            "Tidemark / raw"));
    for (Mix mix : Mix.WRITE_MIXES) {
      figureRow(mix, "transactions/s", PipelineBenchmark.Throughput::txPerSecond, "%,.0f", true);
      row(
          mix.label,
          "transactions/s, slowest – fastest run",
          spread(Results.TIDEMARK, mix),
          spread(Results.NAIVE, mix),
          spread(Results.RAW, mix),
          "-",
          "-");
      figureRow(
          mix, "row changes/s", PipelineBenchmark.Throughput::changesPerSecond, "%,.0f", true);
      figureRow(
          mix,
          "store writes / source changes",
          t -> ratio(t.storeWrites(), t.sourceChanges()),
          "%.3f",
          false);
      figureRow(
          mix,
          "CPU ms per 1,000 changes",
          PipelineBenchmark.Throughput::cpuMillisPer1000Changes,
          "%,.0f",
          false);
      figureRow(
          mix,
          "last commit in every store after the writers stopped, ms",
          PipelineBenchmark.Throughput::drainMillis,
          "%,.0f",
          false);
    }
    ReadMix.Result tm = r.readMix.get(Results.TIDEMARK);
    ReadMix.Result naive = r.readMix.get(Results.NAIVE);
    if (tm != null || naive != null) {
      double a = tm == null ? Double.NaN : tm.readsPerSecond();
      double b = naive == null ? Double.NaN : naive.readsPerSecond();
      row(
          Mix.READ_HEAVY.label,
          "story reads/s (search, then detail)",
          num(a, "%,.0f"),
          num(b, "%,.0f"),
          "-",
          num(ratio(a, b), "%.2f"),
          "-");
    }
    line("");
    if (!r.rawStoreRates.isEmpty()) {
      line(
          "The stores' own write limits, measured at the end of the run (every server warm): the"
              + " same rows written straight into each store by one client thread (Elasticsearch bulks of 1,000 then a refresh, pipelined Redis"
              + " `SET`, Memcached `set`, PostgreSQL upserts of 1,000 per transaction), against"
              + " what each pipeline passed through per store (row changes/s of the insert-heavy"
              + " mix; every change reaches all four stores).");
      line("");
      table(
          List.of(
              "store",
              "raw rows/s",
              "Tidemark changes/s",
              "naive changes/s",
              "Tidemark / raw",
              "naive / raw"));
      double tmChanges =
          r.median(
              Results.TIDEMARK, Mix.INSERT_HEAVY, PipelineBenchmark.Throughput::changesPerSecond);
      double naiveChanges =
          r.median(Results.NAIVE, Mix.INSERT_HEAVY, PipelineBenchmark.Throughput::changesPerSecond);
      r.rawStoreRates.forEach(
          (store, rate) ->
              row(
                  store,
                  num(rate, "%,.0f"),
                  num(tmChanges, "%,.0f"),
                  num(naiveChanges, "%,.0f"),
                  num(ratio(tmChanges, rate), "%.3f"),
                  num(ratio(naiveChanges, rate), "%.3f")));
      line("");
    }
  }

  private String spread(String pipeline, Mix mix) {
    var runs = r.runs(pipeline, mix);
    if (runs.isEmpty()) {
      return "-";
    }
    double lo =
        runs.stream().mapToDouble(PipelineBenchmark.Throughput::txPerSecond).min().orElse(0);
    double hi =
        runs.stream().mapToDouble(PipelineBenchmark.Throughput::txPerSecond).max().orElse(0);
    return String.format(Locale.ROOT, "%,.0f – %,.0f", lo, hi);
  }

  /** Pipelines and mixes whose fastest run was more than 1.5 times their slowest. */
  static List<String> noisy(Results r) {
    List<String> out = new ArrayList<>();
    for (String pipeline : List.of(Results.TIDEMARK, Results.NAIVE, Results.RAW)) {
      for (Mix mix : Mix.WRITE_MIXES) {
        var runs = r.runs(pipeline, mix);
        double lo =
            runs.stream().mapToDouble(PipelineBenchmark.Throughput::txPerSecond).min().orElse(0);
        double hi =
            runs.stream().mapToDouble(PipelineBenchmark.Throughput::txPerSecond).max().orElse(0);
        if (lo > 0 && hi / lo > 1.5) {
          out.add(String.format(Locale.ROOT, "%s %s (%.1fx)", pipeline, mix.label, hi / lo));
        }
      }
    }
    return out;
  }

  private void figureRow(
      Mix mix,
      String figure,
      java.util.function.ToDoubleFunction<PipelineBenchmark.Throughput> value,
      String format,
      boolean withRaw) {
    double tm = r.median(Results.TIDEMARK, mix, value);
    double naive = r.median(Results.NAIVE, mix, value);
    double raw = withRaw ? r.median(Results.RAW, mix, value) : Double.NaN;
    row(
        mix.label,
        figure,
        num(tm, format),
        num(naive, format),
        num(raw, format),
        num(ratio(tm, naive), "%.2f"),
        num(ratio(tm, raw), "%.2f"));
  }

  private void lagSection() {
    line("## Visibility lag");
    line("");
    line(
        "At half of Tidemark's median maximum for the mix, the same offered load for both"
            + " pipelines, probe rows are inserted (20/s) and timed from their commit until they"
            + " are readable: for Tidemark, until the frontier covers an upper bound of the commit"
            + " LSN (what a read-your-writes reader waits for), so in every store at once; for"
            + " naive, until a read of each store returns the row (an Elasticsearch search, not a"
            + " realtime get), polled every 10 ms; \"all stores\" is the last of the four."
            + " Percentiles are exact (nearest rank) over the probes.");
    line("");
    table(List.of("mix", "pipeline", "offered tx/s", "probes", "p50 ms", "p99 ms", "p99.9 ms"));
    for (Mix mix : Mix.WRITE_MIXES) {
      for (String pipeline : List.of(Results.TIDEMARK, Results.NAIVE)) {
        Results.Lag lag = r.lag(pipeline, mix);
        if (lag == null) {
          continue;
        }
        lagRow(
            mix.label,
            pipeline + (pipeline.equals(Results.NAIVE) ? ", all stores" : ""),
            lag.offeredTxPerSecond(),
            lag.all());
        lag.perStore()
            .forEach(
                (store, samples) ->
                    lagRow(mix.label, "naive, " + store, lag.offeredTxPerSecond(), samples));
      }
    }
    line("");
  }

  private void lagRow(String mix, String who, double offered, Samples s) {
    row(
        mix,
        who,
        num(offered, "%,.0f"),
        s.size() + (s.timedOut() > 0 ? " (" + s.timedOut() + " never readable in 30 s)" : ""),
        num(s.percentileMillis(50), "%,.1f"),
        num(s.percentileMillis(99), "%,.1f"),
        num(s.percentileMillis(99.9), "%,.1f"));
  }

  private void readMixSection() {
    if (r.readMix.isEmpty()) {
      return;
    }
    line("## Read-heavy mix and anomalies");
    line("");
    line(
        "Readers (one thread each) search the index for one of the ads written last (by its"
            + " id), take the hit and load its detail as a detail page does (the cache, else the"
            + " read database), as fast as they can, while writers post new ads at a fixed rate"
            + " and withdraw one of the 1,000 newest in one transaction of 20. The row's revision"
            + " (a sequence value taken under its lock) tells the copies apart: no detail is a 404"
            + " after search, a detail older than the hit is stale. A search that does not find"
            + " the ad (not yet indexed, or withdrawn) is not a story and is not counted in the"
            + " rates. Naive readers read each store's latest value; Tidemark readers read both at"
            + " one snapshot through the client "
            + "library. Latency is one whole story (search and detail), HdrHistogram.");
    line("");
    table(
        List.of(
            "pipeline",
            "writes tx/s",
            "story reads/s",
            "p50 ms",
            "p99 ms",
            "with a hit",
            "404 after search",
            "stale detail",
            "detail newer than hit",
            "errors"));
    r.readMix.forEach(
        (pipeline, m) ->
            row(
                pipeline,
                num(r.readMixWrites.getOrDefault(pipeline, Double.NaN), "%,.0f"),
                num(m.readsPerSecond(), "%,.0f"),
                num(m.latencyNanos().getValueAtPercentile(50) / 1e6, "%.2f"),
                num(m.latencyNanos().getValueAtPercentile(99) / 1e6, "%.2f"),
                Long.toString(m.stories()),
                countAndRate(m, ReadMix.Outcome.NOT_FOUND_AFTER_SEARCH),
                countAndRate(m, ReadMix.Outcome.STALE_DETAIL),
                countAndRate(m, ReadMix.Outcome.NEWER_DETAIL),
                Long.toString(m.errors())));
    line("");
  }

  private static String countAndRate(ReadMix.Result m, ReadMix.Outcome o) {
    return String.format(Locale.ROOT, "%,d (%.2f%%)", m.count(o), 100 * m.rate(o));
  }

  private void readLatencySection() {
    if (r.readLatency.isEmpty()) {
      return;
    }
    line("## Read latency per store and consistency level");
    line("");
    line(
        "One thread, all series interleaved in one loop so they share the noise, on Tidemark's"
            + " stores at rest after its runs (every key holds several versions) and on a plain"
            + " copy of the same rows written straight into each store. Plain: a search, `GET`,"
            + " `get` or `SELECT` by key. Tidemark: the client library's `search` and `lookup`"
            + " (`ReadFrom.CACHE` for Redis and Memcached, `DB` for PostgreSQL) at one snapshot"
            + " taken per round (not timed). Microseconds, HdrHistogram; ratios against plain.");
    line("");
    table(
        List.of(
            "store",
            "plain p50 / p99",
            "SNAPSHOT p50 / p99",
            "AT_LEAST p50 / p99",
            "LATEST p50 / p99",
            "SNAPSHOT / plain p50",
            "SNAPSHOT / plain p99"));
    for (String store : ReadLatency.STORES) {
      Map<String, Histogram> kinds = r.readLatency.get(store);
      if (kinds == null) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      cells.add(store);
      for (String kind : ReadLatency.KINDS) {
        Histogram h = kinds.get(kind);
        cells.add(num(micros(h, 50), "%,.0f") + " / " + num(micros(h, 99), "%,.0f"));
      }
      cells.add(num(readRatio(r, store, "SNAPSHOT", 50), "%.2f"));
      cells.add(num(readRatio(r, store, "SNAPSHOT", 99), "%.2f"));
      row(cells.toArray(String[]::new));
    }
    line("");
  }

  private void footprint() {
    if (r.footprintAfterCopy.isEmpty()) {
      return;
    }
    line("## Store footprint");
    line("");
    line(
        "Bytes each pipeline's copies take: Elasticsearch index store size (primaries, after a"
            + " refresh; unmerged deletes included), PostgreSQL `pg_total_relation_size` of the"
            + " pipeline's tables, and for the shared caches the growth of Redis `used_memory` and"
            + " Memcached `bytes` since just before the pipeline started. After the copy, both"
            + " hold the same "
            + String.format(Locale.ROOT, "%,d", r.keys)
            + " rows once; at the end, Tidemark also keeps the versions written within its"
            + " retention (5 minutes by default), naive only the latest. Per live row divides by"
            + " the rows in the pipeline's source table then.");
    line("");
    table(
        List.of(
            "store",
            "after copy: Tidemark",
            "naive",
            "Tidemark / naive",
            "at end, per live row: Tidemark",
            "naive",
            "Tidemark / naive"));
    Map<String, Long> tmCopy = r.footprintAfterCopy.getOrDefault(Results.TIDEMARK, Map.of());
    Map<String, Long> naiveCopy = r.footprintAfterCopy.getOrDefault(Results.NAIVE, Map.of());
    Map<String, Long> tmEnd = r.footprintAtEnd.getOrDefault(Results.TIDEMARK, Map.of());
    Map<String, Long> naiveEnd = r.footprintAtEnd.getOrDefault(Results.NAIVE, Map.of());
    double tmRows = r.liveRows.getOrDefault(Results.TIDEMARK, 0L);
    double naiveRows = r.liveRows.getOrDefault(Results.NAIVE, 0L);
    for (String store : ReadLatency.STORES) {
      double a = tmCopy.getOrDefault(store, -1L);
      double b = naiveCopy.getOrDefault(store, -1L);
      double c = tmRows == 0 ? Double.NaN : tmEnd.getOrDefault(store, -1L) / tmRows;
      double d = naiveRows == 0 ? Double.NaN : naiveEnd.getOrDefault(store, -1L) / naiveRows;
      row(
          store,
          bytes(a),
          bytes(b),
          num(ratio(a, b), "%.2f"),
          num(c, "%,.0f B"),
          num(d, "%,.0f B"),
          num(ratio(c, d), "%.2f"));
    }
    line("");
  }

  private void jmhSection() {
    line("## JMH: the hot code paths");
    line("");
    if (!r.jmhError.isEmpty()) {
      line("JMH did not run: " + r.jmhError);
      line("");
      return;
    }
    if (r.jmh.isEmpty()) {
      line("Not run (`-Dbench.jmh=false`).");
      line("");
      return;
    }
    line(
        "One fork, throughput mode, measured after the stores stopped (`io.tidemark.benchmarks.jmh`):"
            + " tokens, stamps, the frontier tracker, epoch coalescing, and mapping rows to"
            + " documents.");
    line("");
    table(List.of("benchmark", "parameters", "score", "error (99.9%)", "unit"));
    for (Results.JmhScore s : r.jmh) {
      row(s.benchmark(), s.params(), num(s.score(), "%,.0f"), num(s.error(), "%,.0f"), s.unit());
    }
    line("");
  }

  private void notes() {
    line("## Notes");
    line("");
    for (Goal g : goals(r)) {
      if (g.measuredAtAll() && !g.met()) {
        line(
            "- Missed: "
                + g.what()
                + " — "
                + g.format(g.measured())
                + " against "
                + g.target()
                + ".");
      }
    }
    for (String store : ReadLatency.STORES) {
      double snapshot = readRatio(r, store, "SNAPSHOT", 50);
      double latest = readRatio(r, store, "LATEST", 50);
      if (!Double.isNaN(snapshot) && !Double.isNaN(latest)) {
        line(
            String.format(
                Locale.ROOT,
                "- Read latency, %s: SNAPSHOT %.2fx and LATEST %.2fx the plain read at p50; LATEST"
                    + " reads the newest entry without the version filter, so the difference"
                    + " between the two is the snapshot's own cost, the rest is the client library"
                    + " and the versioned layout.",
                store,
                snapshot,
                latest));
      }
    }
    List<String> noisy = noisy(r);
    if (!noisy.isEmpty()) {
      line(
          "- The maximum-throughput runs of one pipeline and mix varied by more than 1.5x between"
              + " their slowest and fastest run: "
              + String.join(", ", noisy)
              + ". A throughput ratio is then within the noise of this machine; rerun before"
              + " reading much into it.");
    }
    if (r.atStart != null && r.atStart.load1() > r.atStart.cores()) {
      line(
          String.format(
              Locale.ROOT,
              "- The load average at start (%s) was above the %d cores: other work shared the"
                  + " machine, so absolute rates are low and noisy; the ratios compare runs that"
                  + " shared the same conditions only roughly (one after the other).",
              r.atStart.loadAverage(),
              r.atStart.cores()));
    }
    for (String note : r.notes) {
      line("- " + note);
    }
    line("");
  }

  // ---- Markdown helpers -----------------------------------------------------------------------

  private void line(String text) {
    out.append(text).append('\n');
  }

  private void table(List<String> headers) {
    line("| " + String.join(" | ", headers) + " |");
    StringBuilder rule = new StringBuilder("|");
    for (int i = 0; i < headers.size(); i++) {
      rule.append(i == 0 ? "---|" : "---:|");
    }
    line(rule.toString());
  }

  private void row(String... cells) {
    List<String> escaped = new ArrayList<>();
    for (String c : cells) {
      escaped.add(c.replace("|", "\\|"));
    }
    line("| " + String.join(" | ", escaped) + " |");
  }

  static String num(double value, String format) {
    return Double.isNaN(value) || value < 0 && !format.contains("%.")
        ? "-"
        : String.format(Locale.ROOT, format, value);
  }

  static String bytes(double value) {
    if (Double.isNaN(value) || value < 0) {
      return "-";
    }
    if (value >= 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MiB", value / (1024 * 1024));
    }
    return String.format(Locale.ROOT, "%.0f KiB", value / 1024);
  }
}
