package io.tidemark.benchmarks;

import io.tidemark.client.Tidemark;
import io.tidemark.devstack.Devstack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The one benchmark command ({@code ./bench}): on a devstack of its own, the stores' raw limits and
 * bare Debezium delivery, then Tidemark, then the naive pipeline, each through the same mixes, then
 * JMH; writes the Markdown report ({@code BENCHMARKS.md}).
 *
 * <p>Settings (system properties; quick values with {@code -Dbench.quick=true} in brackets):
 * bench.keys 20000 [5000], bench.writers 8, bench.seconds 5 [3], bench.repeats 3 [1],
 * bench.warmupSeconds 3 [2], bench.lagSeconds 8 [4], bench.lagRepeats 2 [1], bench.readers 4,
 * bench.readSeconds 10 [4], bench.readRounds 2000 [300], bench.readMixFraction 0.25 (the write rate
 * of the read-heavy mix, of Tidemark's insert-heavy maximum), bench.rawRounds 3, bench.jmh true,
 * bench.jmhArgs, bench.report (the Markdown file, default BENCHMARKS.md), bench.copy (a second
 * copy, e.g. under target/), bench.tidemarkYaml (extra YAML for Tidemark's configuration).
 */
public final class Bench {

  record Config(
      boolean quick,
      int keys,
      int writers,
      int seconds,
      int repeats,
      int warmupSeconds,
      int lagSeconds,
      int lagRepeats,
      int readers,
      int readSeconds,
      int readRounds,
      double readMixFraction,
      int rawRounds,
      boolean jmh,
      String jmhArgs,
      Path report,
      String copy,
      String tidemarkYaml) {

    static Config fromSystemProperties() {
      boolean quick = Boolean.getBoolean("bench.quick");
      return new Config(
          quick,
          Integer.getInteger("bench.keys", quick ? 5_000 : 20_000),
          Integer.getInteger("bench.writers", 8),
          Integer.getInteger("bench.seconds", quick ? 3 : 5),
          Integer.getInteger("bench.repeats", quick ? 1 : 3),
          Integer.getInteger("bench.warmupSeconds", quick ? 2 : 3),
          Integer.getInteger("bench.lagSeconds", quick ? 4 : 8),
          Integer.getInteger("bench.lagRepeats", quick ? 1 : 2),
          Integer.getInteger("bench.readers", 4),
          Integer.getInteger("bench.readSeconds", quick ? 4 : 10),
          Integer.getInteger("bench.readRounds", quick ? 300 : 2000),
          Double.parseDouble(System.getProperty("bench.readMixFraction", "0.25")),
          Integer.getInteger("bench.rawRounds", 3),
          Boolean.parseBoolean(System.getProperty("bench.jmh", "true")),
          System.getProperty(
              "bench.jmhArgs",
              quick ? "-f 1 -wi 1 -w 1s -i 1 -r 1s" : "-f 1 -wi 2 -w 1s -i 3 -r 1s"),
          Path.of(System.getProperty("bench.report", "BENCHMARKS.md")),
          System.getProperty("bench.copy", ""),
          System.getProperty("bench.tidemarkYaml", ""));
    }

    PipelineBenchmark.Settings pipelineSettings() {
      return new PipelineBenchmark.Settings(
          keys,
          writers,
          seconds,
          repeats,
          warmupSeconds,
          lagSeconds,
          lagRepeats,
          20,
          0.5,
          0,
          0,
          10,
          "1s",
          Set.of("tidemark", "naive"),
          tidemarkYaml,
          "");
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "%,d rows, %d writers, %d x %d s per mix and pipeline, lag %d x %d s at half the maximum,"
              + " %d readers x %d s, %,d read-latency rounds",
          keys,
          writers,
          repeats,
          seconds,
          lagRepeats,
          lagSeconds,
          readers,
          readSeconds,
          readRounds);
    }
  }

  private final Config config;
  private final Devstack stack;
  private final PipelineBenchmark pipelines;
  private final Footprint footprint;
  private final Results results;

  private Bench(Config config, Devstack stack, Results results) {
    this.config = config;
    this.stack = stack;
    this.pipelines = new PipelineBenchmark(config.pipelineSettings(), stack);
    this.footprint = new Footprint(stack);
    this.results = results;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SLF4JLogger");
    Config config = Config.fromSystemProperties();
    Results results = new Results();
    results.quick = config.quick();
    results.keys = config.keys();
    results.settings = config.describe();
    results.command = config.quick() ? "./bench --quick" : "./bench";
    results.started = Instant.now();
    results.atStart = Machine.describe();
    long t0 = System.nanoTime();
    say("benchmark run: " + config.describe() + "; load average " + results.atStart.loadAverage());
    Path state = Files.createTempDirectory("tidemark-bench");
    try (Devstack stack = Devstack.builder().start()) {
      say(String.format(Locale.ROOT, "devstack up in %.1f s", (System.nanoTime() - t0) / 1e9));
      new Bench(config, stack, results).run(state);
    } finally {
      deleteQuietly(state);
    }
    if (config.jmh()) {
      say("JMH: " + config.jmhArgs());
      Jmh.run(config.jmhArgs(), results);
    }
    results.atEnd = Machine.describe();
    results.length = Duration.ofNanos(System.nanoTime() - t0);
    String markdown = Report.render(results);
    Files.writeString(config.report(), markdown);
    if (!config.copy().isEmpty()) {
      Path copy = Path.of(config.copy());
      if (copy.getParent() != null) {
        Files.createDirectories(copy.getParent());
      }
      Files.writeString(copy, markdown);
    }
    System.out.println();
    System.out.println(markdown);
    say("report written to " + config.report().toAbsolutePath());
  }

  private void run(Path state) throws Exception {
    try (RawStores raw = new RawStores(stack)) {
      results.storeVersions.putAll(raw.versions());
      Workload rows = new Workload(pipelines::connect, "public.bench_raw", config.keys());
      // The plain copies the read latencies compare against; measured at the end, once every
      // server has run a while (a freshly started Elasticsearch is several times slower).
      raw.writeRates(rows, config.keys(), 0);
      debeziumAlone(rows, state);
      double tidemarkInsertMax = tidemark(raw, state);
      naive(state, tidemarkInsertMax);
      rawStoreLimits(raw, rows);
    }
  }

  // ---- the stores and Debezium on their own -------------------------------------------------

  private void rawStoreLimits(RawStores raw, Workload rows) throws Exception {
    say("== the stores' own write limits");
    results.rawStoreRates.putAll(raw.writeRates(rows, config.keys(), config.rawRounds()));
    say("  rows/s: " + rounded(results.rawStoreRates));
    results.notes.add(
        String.format(
            Locale.ROOT,
            "Elasticsearch's raw round of %,d rows: %,d ms in bulks, %,d ms in the refresh after"
                + " them.",
            config.keys(),
            raw.lastBulkMillis,
            raw.lastRefreshMillis));
  }

  private void debeziumAlone(Workload rows, Path state) throws Exception {
    say("== Debezium alone");
    try (DebeziumOnly debezium =
        new DebeziumOnly(stack, "public.bench_raw", state.resolve("raw"))) {
      rows.create();
      debezium.start();
      pipelines.await(debezium, rows.commitMarker());
      warmUp(debezium, rows);
      for (Mix mix : Mix.WRITE_MIXES) {
        maxThroughput(Results.RAW, debezium, rows, mix);
      }
    }
  }

  // ---- Tidemark -------------------------------------------------------------------------------

  /** Runs every mix through Tidemark; returns its median insert-heavy maximum (tx/s). */
  private double tidemark(RawStores raw, Path state) throws Exception {
    say("== Tidemark");
    Workload w = new Workload(pipelines::connect, "public.bench_tidemark", config.keys());
    Footprint.Reading before = footprint.read("tm-*", "readdb_tm");
    try (TidemarkPipeline p =
        new TidemarkPipeline(
            stack, "public.bench_tidemark", state.resolve("tidemark"), config.tidemarkYaml())) {
      start(p, w, Results.TIDEMARK, before, "tm-*", "readdb_tm");
      warmUp(p, w);
      Map<Mix, Double> rates = new LinkedHashMap<>();
      for (Mix mix : Mix.WRITE_MIXES) {
        maxThroughput(Results.TIDEMARK, p, w, mix);
        rates.put(mix, 0.5 * results.medianTx(Results.TIDEMARK, mix));
      }
      for (Mix mix : Mix.WRITE_MIXES) {
        lag(Results.TIDEMARK, p, w, mix, rates.get(mix), null);
      }
      double insertMax = results.medianTx(Results.TIDEMARK, Mix.INSERT_HEAVY);
      double readMixRate = Math.max(20, config.readMixFraction() * insertMax);
      try (Tidemark withRedis = p.client("cache");
          Tidemark withMemcached = p.client("memo")) {
        readMix(Results.TIDEMARK, w, ReadMix.tidemark(withRedis, w), readMixRate);
        say("== read latency per store and level (Tidemark's stores at rest, plain copies)");
        results.readLatency.putAll(
            ReadLatency.measure(raw, withRedis, withMemcached, config.keys(), config.readRounds()));
        results.readLatency.forEach(
            (store, kinds) -> {
              StringBuilder line = new StringBuilder("  " + store + " p50 us:");
              kinds.forEach(
                  (kind, h) ->
                      line.append(
                          String.format(
                              Locale.ROOT, " %s %.0f", kind, h.getValueAtPercentile(50) / 1e3)));
              say(line.toString());
            });
      }
      finish(p, w, Results.TIDEMARK, before, "tm-*", "readdb_tm");
      results.notes.add(
          "Tidemark's configuration: epochs "
              + p.startedConfig().epochs()
              + ", lanes "
              + p.startedConfig().lanes()
              + ".");
      results.notes.add("Tidemark's lane meters at the end: " + laneMeters(p) + ".");
      rememberRates(rates, readMixRate);
      return insertMax;
    }
  }

  private Map<Mix, Double> tidemarkRates = Map.of();
  private double readMixRate;

  private void rememberRates(Map<Mix, Double> rates, double readRate) {
    tidemarkRates = rates;
    readMixRate = readRate;
  }

  // ---- naive ----------------------------------------------------------------------------------

  private void naive(Path state, double tidemarkInsertMax) throws Exception {
    say("== naive");
    Workload w = new Workload(pipelines::connect, "public.bench_naive", config.keys());
    Footprint.Reading before = footprint.read(NaivePipeline.INDEX, "naive");
    try (NaivePipeline p =
        new NaivePipeline(stack, "public.bench_naive", state.resolve("naive"), "1s", 10)) {
      start(p, w, Results.NAIVE, before, NaivePipeline.INDEX, "naive");
      warmUp(p, w);
      for (Mix mix : Mix.WRITE_MIXES) {
        maxThroughput(Results.NAIVE, p, w, mix);
      }
      for (Mix mix : Mix.WRITE_MIXES) {
        double rate = tidemarkRates.getOrDefault(mix, 0.0);
        if (rate <= 0) {
          rate = 0.5 * results.medianTx(Results.NAIVE, mix);
        }
        lag(Results.NAIVE, p, w, mix, rate, p);
      }
      double rate = readMixRate > 0 ? readMixRate : Math.max(20, 0.25 * tidemarkInsertMax);
      readMix(Results.NAIVE, w, ReadMix.naive(stack, w), rate);
      finish(p, w, Results.NAIVE, before, NaivePipeline.INDEX, "naive");
    }
  }

  // ---- the steps ------------------------------------------------------------------------------

  private void start(
      Pipeline p, Workload w, String name, Footprint.Reading before, String index, String schema)
      throws Exception {
    long t = System.nanoTime();
    w.create();
    p.start();
    pipelines.await(p, w.commitMarker());
    say(
        String.format(
            Locale.ROOT,
            "  started and copied %,d rows into 4 stores in %.1f s",
            config.keys(),
            (System.nanoTime() - t) / 1e9));
    results.footprintAfterCopy.put(name, footprint.read(index, schema).since(before).bytes());
  }

  private void finish(
      Pipeline p, Workload w, String name, Footprint.Reading before, String index, String schema)
      throws Exception {
    pipelines.await(p, w.commitMarker());
    results.footprintAtEnd.put(name, footprint.read(index, schema).since(before).bytes());
    results.liveRows.put(name, footprint.liveRows(w.table()));
    say(
        "  footprint after copy "
            + results.footprintAfterCopy.get(name)
            + ", at end "
            + results.footprintAtEnd.get(name)
            + " for "
            + results.liveRows.get(name)
            + " rows");
  }

  private void warmUp(Pipeline p, Workload w) throws Exception {
    if (config.warmupSeconds() > 0) {
      pipelines.throughput(p, w, Workload.Keys.UNIFORM, config.warmupSeconds(), 0);
    }
  }

  private void maxThroughput(String name, Pipeline p, Workload w, Mix mix) throws Exception {
    Map<String, Long> es = pipelines.esStats().read(p.indexPattern());
    for (int i = 1; i <= config.repeats(); i++) {
      PipelineBenchmark.Throughput t = pipelines.throughput(p, w, mix.keys, config.seconds(), 0);
      results.addRun(name, mix, t);
      say(
          String.format(
              Locale.ROOT,
              "  %s max %d: %,.0f tx/s, %,.0f changes/s, writes/changes %.3f, CPU %.0f ms per"
                  + " 1,000 changes, last commit in every store %.0f ms after the writers stopped",
              mix.label,
              i,
              t.txPerSecond(),
              t.changesPerSecond(),
              t.sourceChanges() == 0 ? Double.NaN : (double) t.storeWrites() / t.sourceChanges(),
              t.cpuMillisPer1000Changes(),
              t.drainMillis()));
    }
    if (p instanceof DebeziumOnly) {
      return;
    }
    List<PipelineBenchmark.Throughput> runs = results.runs(name, mix);
    PipelineBenchmark.Throughput last = runs.get(runs.size() - 1);
    long changes = runs.stream().mapToLong(PipelineBenchmark.Throughput::committedChanges).sum();
    results.notes.add(
        name
            + ", "
            + mix.label
            + " maximum: each store had the last commit this long after the writers stopped (ms,"
            + " last run): "
            + rounded(last.storeDrainMillis())
            + "; cores used (write + drain): "
            + cores(last.cores())
            + "; Elasticsearch over the runs: "
            + EsStats.describe(es, pipelines.esStats().read(p.indexPattern()), changes)
            + ".");
  }

  /** The busiest parts, e.g. {@code server elasticsearch 0.91, ...}. */
  private static String cores(Map<String, Double> cores) {
    List<String> parts = new ArrayList<>();
    cores.entrySet().stream()
        .filter(e -> e.getValue() >= 0.05)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> parts.add(String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue())));
    return String.join(", ", parts);
  }

  private void lag(String name, Pipeline p, Workload w, Mix mix, double rate, NaivePipeline naive)
      throws Exception {
    Map<String, Integer> before = new LinkedHashMap<>();
    if (naive != null) {
      naive.probeDetail().forEach((k, s) -> before.put(k, s.size()));
    }
    PipelineBenchmark.Lag lag =
        pipelines.lag(p, w, mix.keys, rate, config.lagRepeats(), config.lagSeconds());
    Map<String, Samples> perStore = new LinkedHashMap<>();
    if (naive != null) {
      naive
          .probeDetail()
          .forEach(
              (k, s) -> {
                if (k.startsWith("readable in ")) {
                  perStore.put(k.substring("readable in ".length()), s.since(before.get(k)));
                }
              });
    }
    results.putLag(
        name, mix, new Results.Lag(Samples.median(lag.offered()), lag.samples(), perStore));
  }

  private void readMix(String name, Workload w, ReadMix.StoryFactory stories, double writeRate)
      throws Exception {
    say(
        String.format(
            Locale.ROOT,
            "  read-heavy: %d readers for %d s, writers at %.0f tx/s",
            config.readers(),
            config.readSeconds(),
            writeRate));
    Map<String, Long> es = pipelines.esStats().read(indexOf(name));
    CompletableFuture<Workload.Run> writes =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return w.run(
                    Mix.READ_HEAVY.keys,
                    Math.min(4, config.writers()),
                    Duration.ofSeconds(config.readSeconds()),
                    writeRate,
                    null,
                    0);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    ReadMix.Result result =
        ReadMix.run(stories, config.readers(), Duration.ofSeconds(config.readSeconds()));
    Workload.Run run = writes.join();
    results.readMix.put(name, result);
    results.readMixWrites.put(name, run.transactions() / run.seconds());
    results.notes.add(
        name
            + ", read-heavy mix: Elasticsearch meanwhile: "
            + EsStats.describe(es, pipelines.esStats().read(indexOf(name)), run.changes())
            + ".");
    say(
        String.format(
            Locale.ROOT,
            "  %,.0f story reads/s, p50 %.2f ms; %s",
            result.readsPerSecond(),
            result.latencyNanos().getValueAtPercentile(50) / 1e6,
            result.outcomes()));
  }

  private static String indexOf(String pipeline) {
    return pipeline.equals(Results.TIDEMARK) ? "tm-*" : NaivePipeline.INDEX;
  }

  private static String laneMeters(TidemarkPipeline p) {
    List<String> parts = new ArrayList<>();
    for (String line : p.scrapeMetrics().split("\n")) {
      if (line.startsWith("tidemark_lane_epochs_total")
          || line.startsWith("tidemark_lane_retries_total")) {
        parts.add("`" + line.trim() + "`");
      }
    }
    return String.join(", ", parts);
  }

  private static Map<String, Long> rounded(Map<String, Double> rates) {
    if (rates.isEmpty()) {
      return Map.of();
    }
    Map<String, Long> out = new LinkedHashMap<>();
    rates.forEach((k, v) -> out.put(k, Math.round(v)));
    return out;
  }

  static void say(String text) {
    System.out.println(text);
    System.out.flush();
  }

  /** Deletes a temporary folder and what it holds, as far as it can. */
  static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary folder: the OS cleans it eventually
    }
  }
}
