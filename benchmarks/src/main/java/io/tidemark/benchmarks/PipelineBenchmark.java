package io.tidemark.benchmarks;

import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * End-to-end pipeline benchmark (issues 6 and 10): Tidemark against a naive pipeline (Debezium →
 * the same four stores, latest value only), one after the other in one run, on a devstack of its
 * own, same workload, separate tables, slots, indices and keys.
 *
 * <pre>
 * ./mvnw -q -B -pl benchmarks compile exec:java \
 *   -Dexec.mainClass=io.tidemark.benchmarks.PipelineBenchmark [-Dbench.seconds=10 ...]
 * </pre>
 *
 * <p>Per pipeline: the table is filled with {@code bench.keys} rows, the pipeline starts and copies
 * them (initial snapshot), a short warm-up runs, then:
 *
 * <ol>
 *   <li><b>maximum throughput</b>, {@code bench.repeats} times: {@code bench.writers} writers
 *       commit as fast as they can for {@code bench.seconds}; the rate is the commits divided by
 *       the time from the first commit until the pipeline has the last one (Tidemark: the frontier
 *       covers it; naive: every store writer has written it and been acknowledged);
 *   <li><b>visibility lag</b> at {@code bench.lagFraction} (½) of Tidemark's median maximum, the
 *       same offered rate for both: {@code bench.probeRate} probe commits per second, each timed
 *       from its commit until it is readable (Tidemark: the frontier covers an upper bound of its
 *       commit LSN, {@code pg_current_wal_insert_lsn()} right after commit, as a read-your-writes
 *       reader would wait; naive: a read from every store returns the new value, polled every
 *       {@code bench.pollMillis});
 *   <li><b>hot keys</b>: 90% of the rows written among 1% of the keys, unthrottled and at the lag
 *       rate; store writes against source changes from the lane counters.
 * </ol>
 *
 * Settings (system properties, defaults in brackets): bench.keys [20000], bench.writers [8],
 * bench.seconds [5], bench.repeats [3], bench.warmupSeconds [3], bench.lagSeconds [8],
 * bench.lagRepeats [2], bench.probeRate [20], bench.lagFraction [0.5], bench.lagRate [from
 * Tidemark's maximum], bench.hotSeconds [5], bench.pollMillis [10], bench.refreshInterval [1s] (the
 * naive index), bench.pipelines [tidemark,naive], bench.tidemarkYaml [none: Tidemark's defaults]
 * extra top-level YAML such as {@code "epochs: {maxDuration: 10ms}"}, bench.jfr [none] a file to
 * write a Flight Recorder profile of the whole run to.
 */
public final class PipelineBenchmark {

  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);

  record Settings(
      int keys,
      int writers,
      int seconds,
      int repeats,
      int warmupSeconds,
      int lagSeconds,
      int lagRepeats,
      double probeRate,
      double lagFraction,
      double lagRate,
      int hotSeconds,
      long pollMillis,
      String refreshInterval,
      Set<String> pipelines,
      String tidemarkYaml,
      String jfr) {

    static Settings fromSystemProperties() {
      return new Settings(
          Integer.getInteger("bench.keys", 20_000),
          Integer.getInteger("bench.writers", 8),
          Integer.getInteger("bench.seconds", 5),
          Integer.getInteger("bench.repeats", 3),
          Integer.getInteger("bench.warmupSeconds", 3),
          Integer.getInteger("bench.lagSeconds", 8),
          Integer.getInteger("bench.lagRepeats", 2),
          Double.parseDouble(System.getProperty("bench.probeRate", "20")),
          Double.parseDouble(System.getProperty("bench.lagFraction", "0.5")),
          Double.parseDouble(System.getProperty("bench.lagRate", "0")),
          Integer.getInteger("bench.hotSeconds", 5),
          Long.getLong("bench.pollMillis", 10),
          System.getProperty("bench.refreshInterval", "1s"),
          Set.of(System.getProperty("bench.pipelines", "tidemark,naive").split(",")),
          System.getProperty("bench.tidemarkYaml", ""),
          System.getProperty("bench.jfr", ""));
    }
  }

  /** One maximum-throughput run. */
  record Throughput(
      double txPerSecond,
      double changesPerSecond,
      double writerTxPerSecond,
      double drainMillis,
      long sourceChanges,
      long storeWrites,
      Map<String, Double> storeDrainMillis,
      Map<String, Double> cores,
      long committedChanges,
      double cpuMillis) {

    /**
     * CPU time (store servers and this JVM, the load's writers included) per 1,000 committed row
     * changes, from the first commit until every store had the last one.
     */
    double cpuMillisPer1000Changes() {
      return committedChanges == 0 ? Double.NaN : cpuMillis * 1000 / committedChanges;
    }
  }

  /** Everything measured for one pipeline. */
  static final class Results {
    final String name;
    final List<Throughput> max = new ArrayList<>();
    final List<Double> lagOffered = new ArrayList<>();
    final Samples lag = new Samples();
    Map<String, Double> lagCores = Map.of();
    Throughput hot;
    Throughput hotAtRate;
    double startSeconds;

    Results(String name) {
      this.name = name;
    }

    double medianTx() {
      return Samples.median(max.stream().map(Throughput::txPerSecond).toList());
    }

    double median(Function<Throughput, Double> figure) {
      return Samples.median(max.stream().map(figure).toList());
    }
  }

  /** When the pipeline covered a version: in all stores, and per store. */
  record Drain(long endNanos, Map<String, Long> storeNanos) {}

  private final Settings settings;
  private final Devstack stack;
  private final CpuMeter cpu;
  private final EsStats esStats;

  PipelineBenchmark(Settings settings, Devstack stack) {
    this.settings = settings;
    this.stack = stack;
    this.cpu = new CpuMeter(stack);
    this.esStats = new EsStats(stack.elasticsearch().httpUrl());
  }

  public static void main(String[] args) throws Exception {
    Settings s = Settings.fromSystemProperties();
    // spymemcached logs every connection at INFO to stderr unless told to use SLF4J.
    System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SLF4JLogger");
    jdk.jfr.Recording recording = null;
    if (!s.jfr().isEmpty()) {
      recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
      recording.start();
    }
    System.out.printf(
        Locale.ROOT,
        "pipeline benchmark: %d cores, %d keys, %d writers, %d s x %d throughput runs, %d s x %d"
            + " lag runs at %.0f%% of Tidemark's maximum, %.0f probes/s, hot keys %d s; naive index"
            + " refresh_interval %s%n",
        Runtime.getRuntime().availableProcessors(),
        s.keys(),
        s.writers(),
        s.seconds(),
        s.repeats(),
        s.lagSeconds(),
        s.lagRepeats(),
        s.lagFraction() * 100,
        s.probeRate(),
        s.hotSeconds(),
        s.refreshInterval());
    long t0 = System.nanoTime();
    Path state = Files.createTempDirectory("tidemark-pipeline-bench");
    Results tidemark = null;
    Results naive = null;
    try (Devstack stack = Devstack.builder().start()) {
      System.out.printf(Locale.ROOT, "devstack up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
      PipelineBenchmark bench = new PipelineBenchmark(s, stack);
      if (s.pipelines().contains("tidemark")) {
        try (TidemarkPipeline p =
            new TidemarkPipeline(
                stack, "public.bench_tidemark", state.resolve("tidemark"), s.tidemarkYaml())) {
          tidemark =
              bench.measure(
                  p, new Workload(bench::connect, "public.bench_tidemark", s.keys()), s.lagRate());
          bench.printTidemarkDetail(p);
        }
      }
      if (s.pipelines().contains("naive")) {
        double rate =
            s.lagRate() > 0
                ? s.lagRate()
                : tidemark != null ? s.lagFraction() * tidemark.medianTx() : 0;
        try (NaivePipeline p =
            new NaivePipeline(
                stack,
                "public.bench_naive",
                state.resolve("naive"),
                s.refreshInterval(),
                s.pollMillis())) {
          naive =
              bench.measure(p, new Workload(bench::connect, "public.bench_naive", s.keys()), rate);
          System.out.println("  naive probe detail (ms):");
          for (var e : p.probeDetail().entrySet()) {
            System.out.printf(
                Locale.ROOT,
                "    %-54s p50 %7.1f  p99 %7.1f  (%d samples)%n",
                e.getKey(),
                e.getValue().percentileMillis(50),
                e.getValue().percentileMillis(99),
                e.getValue().size());
          }
        }
      }
    } finally {
      Bench.deleteQuietly(state);
      if (recording != null) {
        recording.dump(Path.of(s.jfr()));
        recording.close();
        System.out.println("flight recording: " + s.jfr());
      }
    }
    printTable(s, tidemark, naive);
    System.out.printf(Locale.ROOT, "whole run: %.0f s%n", (System.nanoTime() - t0) / 1e9);
  }

  EsStats esStats() {
    return esStats;
  }

  java.sql.Connection connect() throws java.sql.SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  private Results measure(Pipeline p, Workload w, double lagRate) throws Exception {
    Results r = new Results(p.name());
    System.out.printf(Locale.ROOT, "%n== %s%n", p.name());
    long t = System.nanoTime();
    w.create();
    p.start();
    long started = System.nanoTime();
    Drain copied = await(p, w.commitMarker());
    r.startSeconds = (System.nanoTime() - t) / 1e9;
    Map<String, Long> perStore = new TreeMap<>();
    copied.storeNanos().forEach((store, at) -> perStore.put(store, (at - started) / 1_000_000));
    System.out.printf(
        Locale.ROOT,
        "  started and copied %d rows into 4 stores in %.1f s (capture started in %.1f s; then"
            + " per store, ms: %s)%n",
        settings.keys(),
        r.startSeconds,
        (started - t) / 1e9,
        perStore);
    if (settings.warmupSeconds() > 0) {
      throughput(p, w, Workload.Keys.UNIFORM, settings.warmupSeconds(), 0);
    }
    Map<String, Long> es = esStats.read(p.indexPattern());
    for (int i = 1; i <= settings.repeats(); i++) {
      Throughput run = throughput(p, w, Workload.Keys.UNIFORM, settings.seconds(), 0);
      r.max.add(run);
      print("  max throughput " + i, run, i == settings.repeats());
    }
    System.out.println(
        "    Elasticsearch, all max-throughput runs: "
            + EsStats.describe(
                es,
                esStats.read(p.indexPattern()),
                r.max.stream().mapToLong(Throughput::sourceChanges).sum() / 4));
    es = esStats.read(p.indexPattern());
    double rate = lagRate > 0 ? lagRate : settings.lagFraction() * r.medianTx();
    Map<String, long[]> lagCounts = p.writeCounts();
    Lag lag = lag(p, w, Workload.Keys.UNIFORM, rate, settings.lagRepeats(), settings.lagSeconds());
    r.lag.addAll(lag.samples());
    r.lagOffered.addAll(lag.offered());
    r.lagCores = lag.cores();
    long lagChanges = changesSince(lagCounts, p.writeCounts());
    System.out.println(
        "    Elasticsearch, all lag runs: "
            + EsStats.describe(es, esStats.read(p.indexPattern()), lagChanges / 4));
    if (settings.hotSeconds() > 0) {
      r.hot = throughput(p, w, Workload.Keys.HOT, settings.hotSeconds(), 0);
      print("  hot keys, unthrottled", r.hot, false);
      r.hotAtRate = throughput(p, w, Workload.Keys.HOT, settings.hotSeconds(), rate);
      print(String.format(Locale.ROOT, "  hot keys at %.0f tx/s", rate), r.hotAtRate, false);
    }
    return r;
  }

  /** Visibility lag at a steady offered rate: probes, their commit-to-readable times. */
  record Lag(Samples samples, List<Double> offered, Map<String, Double> cores) {}

  /**
   * Runs {@code repeats} lag runs of {@code seconds} at {@code rate} transactions/s with probes,
   * and waits until each run's probes resolved.
   */
  Lag lag(Pipeline p, Workload w, Workload.Keys keys, double rate, int repeats, int seconds)
      throws Exception {
    Samples all = new Samples();
    List<Double> offered = new ArrayList<>();
    Map<String, Double> cores = Map.of();
    for (int i = 1; i <= repeats; i++) {
      // Measure a steady state, not the tail of the maximum-throughput runs' merges.
      esStats.awaitNoMerges(p.indexPattern(), Duration.ofSeconds(30));
      Samples lag = new Samples();
      CpuMeter.Reading before = cpu.read();
      AtomicInteger issued = new AtomicInteger();
      AtomicInteger resolved = new AtomicInteger();
      Workload.Run run =
          w.run(
              keys,
              settings.writers(),
              Duration.ofSeconds(seconds),
              rate,
              probe -> {
                issued.incrementAndGet();
                p.probe(
                    probe,
                    nanos -> {
                      lag.add(nanos);
                      resolved.incrementAndGet();
                    });
              },
              settings.probeRate());
      CpuMeter.Reading after = cpu.read();
      await(p, run.upTo());
      long deadline = System.nanoTime() + PROBE_TIMEOUT.toNanos() + 5_000_000_000L;
      while (resolved.get() < issued.get() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      all.addAll(lag);
      offered.add(run.transactions() / run.seconds());
      cores = cpu.coresBetween(before, after, run.writerCpuNanos());
      System.out.printf(
          Locale.ROOT,
          "  lag %d: offered %.0f tx/s (target %.0f), %d probes: p50 %.1f ms, p99 %.1f ms, max"
              + " %.1f ms, %d not readable within %d s; p50 in the first / last quarter of the run"
              + " %.1f / %.1f ms%n",
          i,
          run.transactions() / run.seconds(),
          rate,
          lag.size(),
          lag.percentileMillis(50),
          lag.percentileMillis(99),
          lag.percentileMillis(100),
          lag.timedOut() + (issued.get() - resolved.get()),
          PROBE_TIMEOUT.toSeconds(),
          lag.percentileMillis(50, 0, 0.25),
          lag.percentileMillis(50, 0.75, 1));
      if (i == repeats) {
        System.out.print("    cores used during the lag run:\n" + CpuMeter.format(cores, 0.02));
      }
    }
    return new Lag(all, offered, cores);
  }

  Throughput throughput(Pipeline p, Workload w, Workload.Keys keys, int seconds, double rate)
      throws Exception {
    Map<String, long[]> counts = p.writeCounts();
    CpuMeter.Reading before = cpu.read();
    Workload.Run run = w.run(keys, settings.writers(), Duration.ofSeconds(seconds), rate, null, 0);
    Drain drain = await(p, run.upTo());
    CpuMeter.Reading after = cpu.read();
    Map<String, long[]> countsAfter = p.writeCounts();
    long changes = changesSince(counts, countsAfter);
    long writes = 0;
    for (var e : countsAfter.entrySet()) {
      writes += e.getValue()[1] - counts.getOrDefault(e.getKey(), new long[2])[1];
    }
    double total = (drain.endNanos() - run.startNanos()) / 1e9;
    Map<String, Double> storeDrain = new TreeMap<>();
    drain
        .storeNanos()
        .forEach((store, nanos) -> storeDrain.put(store, (nanos - run.endNanos()) / 1e6));
    Map<String, Double> cores = cpu.coresBetween(before, after, run.writerCpuNanos());
    double cpuMillis =
        cores.values().stream().mapToDouble(Double::doubleValue).sum()
            * (after.wallNanos() - before.wallNanos())
            / 1e6;
    return new Throughput(
        run.transactions() / total,
        run.changes() / total,
        run.transactions() / run.seconds(),
        (drain.endNanos() - run.endNanos()) / 1e6,
        changes,
        writes,
        storeDrain,
        cores,
        run.changes(),
        cpuMillis);
  }

  /** Source changes taken in by all stores together between two counts. */
  private static long changesSince(Map<String, long[]> before, Map<String, long[]> after) {
    long changes = 0;
    for (var e : after.entrySet()) {
      changes += e.getValue()[0] - before.getOrDefault(e.getKey(), new long[2])[0];
    }
    return changes;
  }

  private static void print(String what, Throughput t, boolean withCores) {
    System.out.printf(
        Locale.ROOT,
        "%s: %.0f tx/s, %.0f changes/s (writers committed %.0f tx/s; all stores had the last"
            + " commit %.0f ms after the writers stopped; per store %s); store writes / source"
            + " changes %d / %d = %.3f%n",
        what,
        t.txPerSecond(),
        t.changesPerSecond(),
        t.writerTxPerSecond(),
        t.drainMillis(),
        rounded(t.storeDrainMillis()),
        t.storeWrites(),
        t.sourceChanges(),
        ratio(t.storeWrites(), t.sourceChanges()));
    if (withCores) {
      System.out.print("    cores used (write + drain):\n" + CpuMeter.format(t.cores(), 0.02));
    }
  }

  private static Map<String, Long> rounded(Map<String, Double> millis) {
    Map<String, Long> out = new TreeMap<>();
    millis.forEach((k, v) -> out.put(k, Math.round(v)));
    return out;
  }

  private static double ratio(double a, double b) {
    return b == 0 ? Double.NaN : a / b;
  }

  /**
   * Waits until the pipeline covers {@code version} in every store, noting when each store did.
   * Polls every 2 ms (the per-store times are for diagnosis; the overall time comes from the
   * tracker's own notification).
   */
  Drain await(Pipeline p, Version version) throws Exception {
    Stamp target = Stamp.of(p.source(), version);
    var all = p.progress().whenCovers(target).thenApply(frontier -> System.nanoTime());
    Map<String, Long> stores = new LinkedHashMap<>();
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (true) {
      long now = System.nanoTime();
      for (var e : p.progress().watermarks().entrySet()) {
        if (!stores.containsKey(e.getKey()) && e.getValue().covers(target)) {
          stores.put(e.getKey(), now);
        }
      }
      if (all.isDone() && stores.size() == p.progress().watermarks().size()) {
        break;
      }
      if (now > deadline) {
        throw new IllegalStateException(
            p.name()
                + " did not reach "
                + version
                + " within "
                + DRAIN_TIMEOUT
                + "; watermarks "
                + p.progress().watermarks()
                + failureOf(p));
      }
      String failure = failureOf(p);
      if (!failure.isEmpty()) {
        throw new IllegalStateException(p.name() + " failed" + failure);
      }
      Thread.sleep(2);
    }
    return new Drain(all.join(), stores);
  }

  private static String failureOf(Pipeline p) {
    if (p instanceof NaivePipeline n && !n.failure().isEmpty()) {
      return ": " + n.failure();
    }
    if (p instanceof TidemarkPipeline t) {
      for (var s : t.stores().values()) {
        if (s.state().equals("failed")) {
          return ": store " + s.store() + " " + s.lastError();
        }
      }
    }
    return "";
  }

  private void printTidemarkDetail(TidemarkPipeline p) {
    System.out.println(
        "  Tidemark lane meters at the end (epochs, writes per epoch, commit → applied):");
    for (String line : p.scrapeMetrics().split("\n")) {
      if (line.startsWith("tidemark_lane_epochs_total")
          || line.startsWith("tidemark_lane_epoch_writes_sum")
          || line.startsWith("tidemark_lane_epoch_writes_count")
          || line.startsWith("tidemark_lane_commit_to_applied_seconds{")
          || line.startsWith("tidemark_lane_commit_to_applied_seconds_max")
          || line.startsWith("tidemark_lane_retries_total")) {
        System.out.println("    " + line);
      }
    }
    System.out.println(
        "  configuration: epochs "
            + p.startedConfig().epochs()
            + ", lanes "
            + p.startedConfig().lanes());
  }

  private static void printTable(Settings s, Results tm, Results naive) {
    System.out.printf(
        Locale.ROOT, "%n%-58s %12s %12s %8s%n", "figure", "Tidemark", "naive", "ratio");
    row("max throughput, transactions/s (median)", tm, naive, r -> r.medianTx(), "%,.0f");
    row(
        "max throughput, row changes/s (median)",
        tm,
        naive,
        r -> r.median(Throughput::changesPerSecond),
        "%,.0f");
    row(
        "  writers' commit rate meanwhile, tx/s (median)",
        tm,
        naive,
        r -> r.median(Throughput::writerTxPerSecond),
        "%,.0f");
    row(
        "  last commit in every store after writers stopped, ms",
        tm,
        naive,
        r -> r.median(Throughput::drainMillis),
        "%,.0f");
    row(
        "  store writes / source changes (uniform keys)",
        tm,
        naive,
        r -> r.median(t -> ratio(t.storeWrites(), t.sourceChanges())),
        "%.3f");
    row(
        "lag run: offered load, tx/s (median)",
        tm,
        naive,
        r -> Samples.median(r.lagOffered),
        "%,.0f");
    row("visibility lag p50, ms", tm, naive, r -> r.lag.percentileMillis(50), "%,.1f");
    row("visibility lag p99, ms", tm, naive, r -> r.lag.percentileMillis(99), "%,.1f");
    row(
        "  probes measured (not readable within 30 s)",
        tm,
        naive,
        r -> (double) r.lag.size(),
        "%.0f");
    row(
        "hot keys, unthrottled: transactions/s",
        tm,
        naive,
        r -> r.hot == null ? Double.NaN : r.hot.txPerSecond(),
        "%,.0f");
    row(
        "hot keys, unthrottled: store writes / source changes",
        tm,
        naive,
        r -> r.hot == null ? Double.NaN : ratio(r.hot.storeWrites(), r.hot.sourceChanges()),
        "%.3f");
    row(
        "hot keys at lag rate: store writes / source changes",
        tm,
        naive,
        r ->
            r.hotAtRate == null
                ? Double.NaN
                : ratio(r.hotAtRate.storeWrites(), r.hotAtRate.sourceChanges()),
        "%.3f");
    if (tm != null && tm.hot != null) {
      System.out.printf(
          Locale.ROOT,
          "hot keys (unthrottled): %,d source changes became %,d store entries over the 4 stores"
              + " (%,d per store)%n",
          tm.hot.sourceChanges(),
          tm.hot.storeWrites(),
          tm.hot.storeWrites() / 4);
    }
    if (tm != null && naive != null) {
      double ratio = tm.medianTx() / naive.medianTx();
      double p99 = tm.lag.percentileMillis(99);
      System.out.printf(
          Locale.ROOT,
          "goal throughput >= 0.7x naive: %.2fx %s%ngoal lag p99 <= 250 ms at half the maximum:"
              + " %.1f ms %s%n",
          ratio,
          ratio >= 0.7 ? "MET" : "NOT MET",
          p99,
          p99 <= 250 ? "MET" : "NOT MET");
    }
  }

  private static void row(
      String figure, Results tm, Results naive, Function<Results, Double> value, String format) {
    double a = tm == null ? Double.NaN : value.apply(tm);
    double b = naive == null ? Double.NaN : value.apply(naive);
    System.out.printf(
        Locale.ROOT,
        "%-58s %12s %12s %8s%n",
        figure,
        Double.isNaN(a) ? "-" : String.format(Locale.ROOT, format, a),
        Double.isNaN(b) ? "-" : String.format(Locale.ROOT, format, b),
        Double.isNaN(a) || Double.isNaN(b) || b == 0
            ? "-"
            : String.format(Locale.ROOT, "%.2f", a / b));
  }
}
