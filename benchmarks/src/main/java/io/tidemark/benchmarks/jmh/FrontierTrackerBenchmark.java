package io.tidemark.benchmarks.jmh;

import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Watermark reports from four stores, round robin, each a little ahead of the last, so every fourth
 * report moves the frontier and a listener hears it (as the horizon would).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FrontierTrackerBenchmark {

  static final List<String> STORES = List.of("search", "cache", "memcache", "readdb");

  /** One tracker shared by the benchmark threads. */
  @State(Scope.Benchmark)
  public static class Tracker {
    FrontierTracker tracker;

    @Setup
    public void setUp(Blackhole blackhole) {
      tracker = new FrontierTracker(STORES);
      tracker.addListener(blackhole::consume);
    }
  }

  /** Each thread's position: which store reports next and how far. */
  @State(Scope.Thread)
  public static class Reporter {
    long version;
    int store;
  }

  @Benchmark
  public boolean reportFourStores(Tracker shared, Reporter reporter) {
    int store = reporter.store;
    reporter.store = (store + 1) & 3;
    if (store == 0) {
      reporter.version++;
    }
    return shared.tracker.report(
        STORES.get(store), Stamp.of("listings", Version.of(reporter.version)));
  }

  /** Two threads reporting into one tracker (this machine has two cores). */
  @Benchmark
  @Threads(2)
  public boolean reportFourStoresTwoThreads(Tracker shared, Reporter reporter) {
    return reportFourStores(shared, reporter);
  }

  @Benchmark
  public Stamp readFrontier(Tracker shared) {
    return shared.tracker.frontier();
  }
}
