package io.tidemark.benchmarks;

import io.tidemark.protocol.FrontierTracker;
import java.util.Map;

/** One of the two pipelines under test, from PostgreSQL to the same four stores. */
interface Pipeline extends AutoCloseable {

  /** Names the pipeline in the output. */
  String name();

  /** The source name in {@link #progress()}'s stamps. */
  String source();

  /** Starts capture (with an initial snapshot of the table) and the store writers. */
  void start() throws Exception;

  /**
   * Per store, how far the pipeline has got, and the minimum over the stores. For Tidemark the
   * lanes' visible watermarks and the frontier; for the naive pipeline the highest commit each
   * store writer has written and been acknowledged for (no refresh: that is what it lacks).
   */
  FrontierTracker progress();

  /**
   * Starts measuring when the probe's write becomes readable; calls {@code lag} with the
   * nanoseconds from its commit, or a negative number when it did not within the timeout.
   */
  void probe(Workload.Probe probe, java.util.function.LongConsumer lag);

  /** The pattern naming the pipeline's Elasticsearch indices, for their stats. */
  String indexPattern();

  /** Per store: {source changes, store writes} since start. */
  Map<String, long[]> writeCounts();

  @Override
  void close();
}
