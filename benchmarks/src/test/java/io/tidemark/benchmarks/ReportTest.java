package io.tidemark.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static PipelineBenchmark.Throughput run(double tx, long changes, long writes) {
    return new PipelineBenchmark.Throughput(
        tx, tx * 2.5, tx, 100, changes, writes, Map.of(), Map.of(), changes, 500);
  }

  private static Histogram latency(long micros) {
    Histogram h = new Histogram(3);
    for (int i = 0; i < 100; i++) {
      h.recordValue(micros * 1000);
    }
    return h;
  }

  private static Results results() {
    Results r = new Results();
    r.keys = 1000;
    r.atStart = new Machine(2, "cpu", 1L << 33, "1.00 / 2.00 / 3.00", "jdk", "linux");
    r.atEnd = new Machine(2, "cpu", 1L << 33, "4.00 / 5.00 / 6.00", "jdk", "linux");
    for (double tx : new double[] {900, 1000, 1100}) {
      r.addRun(Results.TIDEMARK, Mix.INSERT_HEAVY, run(tx, 1000, 1000));
      r.addRun(Results.NAIVE, Mix.INSERT_HEAVY, run(tx * 2, 1000, 1000));
      r.addRun(Results.TIDEMARK, Mix.UPDATE_SKEWED, run(tx * 3, 1000, 400));
      r.addRun(Results.NAIVE, Mix.UPDATE_SKEWED, run(tx * 2, 1000, 1000));
    }
    Samples lag = new Samples();
    for (long ms = 1; ms <= 100; ms++) {
      lag.add(ms * 3_000_000);
    }
    r.putLag(Results.TIDEMARK, Mix.INSERT_HEAVY, new Results.Lag(500, lag, Map.of()));
    Map<String, Map<String, Histogram>> reads = new LinkedHashMap<>();
    for (String store : ReadLatency.STORES) {
      Map<String, Histogram> kinds = new LinkedHashMap<>();
      kinds.put("plain", latency(100));
      kinds.put("SNAPSHOT", latency(store.equals("Redis") ? 150 : 105));
      kinds.put("AT_LEAST", latency(100));
      kinds.put("LATEST", latency(100));
      reads.put(store, kinds);
    }
    r.readLatency = reads;
    Map<ReadMix.Outcome, Long> tm = new EnumMap<>(ReadMix.Outcome.class);
    tm.put(ReadMix.Outcome.CONSISTENT, 990L);
    tm.put(ReadMix.Outcome.NO_HITS, 10L);
    Map<ReadMix.Outcome, Long> naive = new EnumMap<>(ReadMix.Outcome.class);
    naive.put(ReadMix.Outcome.CONSISTENT, 900L);
    naive.put(ReadMix.Outcome.NOT_FOUND_AFTER_SEARCH, 50L);
    naive.put(ReadMix.Outcome.STALE_DETAIL, 50L);
    r.readMix.put(Results.TIDEMARK, new ReadMix.Result(tm, latency(2000), 10, 0));
    r.readMix.put(Results.NAIVE, new ReadMix.Result(naive, latency(1500), 10, 0));
    return r;
  }

  @Test
  void throughputRatiosAreMediansOverMedians() {
    Results r = results();
    assertThat(Report.throughputRatio(r, Mix.INSERT_HEAVY)).isEqualTo(0.5);
    assertThat(Report.throughputRatio(r, Mix.UPDATE_SKEWED)).isEqualTo(1.5);
    assertThat(Report.throughputRatio(r, Mix.READ_HEAVY)).isEqualTo(1.0);
  }

  @Test
  void goalsAreEvaluatedFromTheFigures() {
    Map<String, Goal> goals = new LinkedHashMap<>();
    for (Goal g : Report.goals(results())) {
      goals.put(g.what(), g);
    }
    assertThat(goals.get("throughput, insert-heavy: Tidemark / naive").met()).isFalse();
    assertThat(
            goals.get("throughput, update-heavy, skewed keys: Tidemark / naive (coalescing)").met())
        .isTrue();
    assertThat(goals.get("visibility lag p99 at half the maximum, insert-heavy").measured())
        .isEqualTo(297.0);
    assertThat(
            goals
                .get("visibility lag p99 at half the maximum, update-heavy, skewed keys")
                .verdict())
        .isEqualTo("not measured");
    assertThat(goals.get("snapshot read p50 / plain get, Redis").met()).isFalse();
    assertThat(goals.get("snapshot read p50 / plain get, PostgreSQL").met()).isTrue();
    assertThat(goals.get("snapshot read p50 / plain search, Elasticsearch").met()).isTrue();
    assertThat(
            goals
                .get("anomalies through Tidemark snapshots (404 after search + stale detail)")
                .met())
        .isTrue();
  }

  @Test
  void theReportHasEverySectionAndTheMissedGoalsInTheNotes() {
    String md = Report.render(results());
    assertThat(md).startsWith("# Tidemark benchmarks\n");
    for (String heading :
        List.of(
            "## Machine",
            "## Goals",
            "## Throughput",
            "## Visibility lag",
            "## Read-heavy mix and anomalies",
            "## Read latency per store and consistency level",
            "## JMH: the hot code paths",
            "## Notes")) {
      assertThat(md).contains("\n" + heading + "\n");
    }
    assertThat(md).contains("| load average at end | 4.00 / 5.00 / 6.00 |");
    assertThat(md).contains("| insert-heavy | transactions/s | 1,000 | 2,000 | - | 0.50 | - |");
    assertThat(md)
        .contains("| update-heavy, skewed keys | store writes / source changes | 0.400 |");
    assertThat(md).contains("50 (5.00%)");
    assertThat(md)
        .contains("| insert-heavy | transactions/s, slowest – fastest run | 900 – 1,100 |");
    assertThat(md)
        .contains("- Missed: throughput, insert-heavy: Tidemark / naive — 0.50x against ≥ 0.70x.");
  }

  @Test
  void runsThatVaryMoreThanHalfAgainAreFlaggedAsNoise() {
    Results r = results();
    assertThat(Report.noisy(r)).isEmpty();
    r.addRun(Results.NAIVE, Mix.INSERT_HEAVY, run(5000, 1000, 1000));
    assertThat(Report.noisy(r)).containsExactly("naive insert-heavy (2.8x)");
  }

  @Test
  void everyTableRowHasAsManyCellsAsItsHeader() {
    String[] lines = Report.render(results()).split("\n");
    int columns = -1;
    for (String line : lines) {
      if (!line.startsWith("|")) {
        columns = -1;
        continue;
      }
      int cells = line.replace("\\|", "").split("\\|", -1).length - 2;
      if (columns < 0) {
        columns = cells;
      }
      assertThat(cells).as(line).isEqualTo(columns);
    }
  }
}
