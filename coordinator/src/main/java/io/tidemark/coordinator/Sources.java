package io.tidemark.coordinator;

import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import io.tidemark.source.postgres.PostgresSource;
import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** Opens the configured change source. */
final class Sources {

  private Sources() {}

  /** The Debezium PostgreSQL source, with its offsets in the coordinator's state folder. */
  static ChangeSource postgres(
      TidemarkConfig config, StateDirectory state, Consumer<String> onFailure) {
    TidemarkConfig.Source s = config.source();
    Map<String, String> tables = new LinkedHashMap<>();
    config.collections().values().stream()
        .sorted(java.util.Comparator.comparing(TidemarkConfig.Collection::name))
        .forEach(c -> tables.put(c.table(), c.name()));
    PostgresSource source =
        PostgresSource.builder()
            .name(s.name())
            .jdbcUrl(s.jdbcUrl())
            .user(s.user())
            .password(s.password().value())
            .tables(tables)
            .slotName(s.slot())
            .publicationName(s.publication())
            .offsetFile(state.offsets())
            .heartbeatInterval(s.heartbeat())
            .snapshotMode(
                s.snapshot() == TidemarkConfig.SnapshotMode.INITIAL
                    ? SnapshotMode.INITIAL
                    : SnapshotMode.NO_DATA)
            .dropSlotOnStop(s.dropSlotOnStop())
            .replicaIdentity(
                s.setReplicaIdentityFull()
                    ? ReplicaIdentity.SET_FULL
                    : ReplicaIdentity.REQUIRE_FULL)
            .build();
    return new ChangeSource() {
      @Override
      public void start(Consumer<SourceTransaction> consumer) {
        source
            .start(consumer)
            .whenComplete(
                (done, failure) -> {
                  if (failure != null) {
                    onFailure.accept(failure.getMessage());
                  }
                });
      }

      @Override
      public void acknowledge(Version version) {
        source.acknowledge(version);
      }

      @Override
      public void close() {
        source.close();
      }
    };
  }
}
