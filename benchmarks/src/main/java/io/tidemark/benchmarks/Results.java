package io.tidemark.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Every figure of one run, filled in as the run goes; {@link Report} turns it into Markdown. */
final class Results {

  static final String TIDEMARK = "Tidemark";
  static final String NAIVE = "naive";
  static final String RAW = "Debezium alone";

  /** Lag figures of one pipeline in one mix. */
  record Lag(double offeredTxPerSecond, Samples all, Map<String, Samples> perStore) {}

  /** One JMH score. */
  record JmhScore(String benchmark, String params, double score, double error, String unit) {}

  String command = "./bench";
  boolean quick;
  String settings = "";
  Instant started = Instant.now();
  Duration length = Duration.ZERO;
  Machine atStart;
  Machine atEnd;
  Map<String, String> storeVersions = new LinkedHashMap<>();
  int keys;

  /** Store → rows/s written straight into it. */
  Map<String, Double> rawStoreRates = new LinkedHashMap<>();

  /** Pipeline → mix → maximum-throughput runs. */
  Map<String, Map<Mix, List<PipelineBenchmark.Throughput>>> max = new LinkedHashMap<>();

  /** Pipeline → mix → lag at the offered rate. */
  Map<String, Map<Mix, Lag>> lag = new LinkedHashMap<>();

  /** Pipeline → the read-heavy mix's readers. */
  Map<String, ReadMix.Result> readMix = new LinkedHashMap<>();

  /** Transactions/s the writers committed during the read-heavy mix, per pipeline. */
  Map<String, Double> readMixWrites = new LinkedHashMap<>();

  /** Store → kind (plain, SNAPSHOT, AT_LEAST, LATEST) → latency in nanoseconds. */
  Map<String, Map<String, Histogram>> readLatency = new LinkedHashMap<>();

  /** Pipeline → store → bytes, right after the initial copy of {@link #keys} rows. */
  Map<String, Map<String, Long>> footprintAfterCopy = new LinkedHashMap<>();

  /** Pipeline → store → bytes at the end of its runs. */
  Map<String, Map<String, Long>> footprintAtEnd = new LinkedHashMap<>();

  /** Pipeline → rows in its source table at the end. */
  Map<String, Long> liveRows = new LinkedHashMap<>();

  List<JmhScore> jmh = new ArrayList<>();
  String jmhError = "";

  /** Diagnostics worth keeping next to the figures (Elasticsearch stats, lane meters). */
  List<String> notes = new ArrayList<>();

  List<PipelineBenchmark.Throughput> runs(String pipeline, Mix mix) {
    return max.getOrDefault(pipeline, Map.of()).getOrDefault(mix, List.of());
  }

  void addRun(String pipeline, Mix mix, PipelineBenchmark.Throughput run) {
    max.computeIfAbsent(pipeline, p -> new EnumMap<>(Mix.class))
        .computeIfAbsent(mix, m -> new ArrayList<>())
        .add(run);
  }

  /** The median of a figure over a pipeline's runs of a mix; NaN when there are none. */
  double median(
      String pipeline,
      Mix mix,
      java.util.function.ToDoubleFunction<PipelineBenchmark.Throughput> figure) {
    return Samples.median(runs(pipeline, mix).stream().map(t -> figure.applyAsDouble(t)).toList());
  }

  double medianTx(String pipeline, Mix mix) {
    return median(pipeline, mix, PipelineBenchmark.Throughput::txPerSecond);
  }

  Lag lag(String pipeline, Mix mix) {
    return lag.getOrDefault(pipeline, Map.of()).get(mix);
  }

  void putLag(String pipeline, Mix mix, Lag l) {
    lag.computeIfAbsent(pipeline, p -> new EnumMap<>(Mix.class)).put(mix, l);
  }
}
