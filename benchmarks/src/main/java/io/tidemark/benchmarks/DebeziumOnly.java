package io.tidemark.benchmarks;

import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Stamp;
import io.tidemark.source.postgres.PostgresSource;
import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Bare Debezium delivery, the source's own limit: the same {@link PostgresSource} as both other
 * pipelines, on a slot of its own, handing each transaction to a consumer that only counts it and
 * acknowledges it at once. "Delivered" stands in for a store, so the same throughput measurement
 * applies: the rate is the commits divided by the time until the last one was delivered.
 */
final class DebeziumOnly implements Pipeline {

  static final String SOURCE = "raw";
  static final String DELIVERED = "delivered";

  private final Devstack stack;
  private final String table;
  private final Path stateDir;
  private final FrontierTracker progress = new FrontierTracker(List.of(DELIVERED));
  private final AtomicLong changes = new AtomicLong();
  private PostgresSource source;

  DebeziumOnly(Devstack stack, String table, Path stateDir) {
    this.stack = stack;
    this.table = table;
    this.stateDir = stateDir;
  }

  @Override
  public String name() {
    return "Debezium alone";
  }

  @Override
  public String source() {
    return SOURCE;
  }

  @Override
  public void start() throws Exception {
    var pg = stack.postgres();
    source =
        PostgresSource.builder()
            .name(SOURCE)
            .jdbcUrl(pg.jdbcUrl())
            .user(pg.user())
            .password(pg.password())
            .tables(Map.of(table, "ads"))
            .slotName("bench_raw")
            .offsetFile(stateDir.resolve("raw.offsets"))
            .snapshotMode(SnapshotMode.INITIAL)
            .replicaIdentity(ReplicaIdentity.SET_FULL)
            .dropSlotOnStop(true)
            .build();
    source.start(this::accept);
  }

  private void accept(SourceTransaction tx) {
    changes.addAndGet(tx.changes().size());
    if (tx.isSnapshotChunk()) {
      return; // the progress event at the same version closes the snapshot
    }
    if (progress.report(DELIVERED, Stamp.of(SOURCE, tx.version()))) {
      source.acknowledge(tx.version());
    }
  }

  @Override
  public FrontierTracker progress() {
    return progress;
  }

  @Override
  public void probe(Workload.Probe probe, LongConsumer lag) {
    throw new UnsupportedOperationException("Debezium alone is measured for throughput only");
  }

  @Override
  public String indexPattern() {
    return "raw-none";
  }

  @Override
  public Map<String, long[]> writeCounts() {
    return Map.of(DELIVERED, new long[] {changes.get(), 0});
  }

  @Override
  public void close() {
    if (source != null) {
      source.close(); // drops the slot
    }
  }
}
