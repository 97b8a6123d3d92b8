package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresSourceConfigTest {
  static PostgresSource.Builder valid() {
    return PostgresSource.builder()
        .name("listings")
        .jdbcUrl("jdbc:postgresql://127.0.0.1:5433/app")
        .user("tidemark")
        .password("secret")
        .tables(List.of("public.ads", "users"))
        .offsetFile(Path.of("offsets.dat"));
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    PostgresSourceConfig config = valid().config();

    assertThat(config.tables())
        .containsExactly(
            java.util.Map.entry("public.ads", "ads"), java.util.Map.entry("public.users", "users"));
    assertThat(config.slotName()).isEqualTo("tidemark_listings");
    assertThat(config.publicationName()).isEqualTo("tidemark_listings");
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(config.heartbeatTable()).isEqualTo("public.tidemark_heartbeat");
    assertThat(config.snapshotMode()).isEqualTo(SnapshotMode.INITIAL);
    assertThat(config.snapshotChunkSize()).isEqualTo(1024);
    assertThat(config.replicaIdentity()).isEqualTo(ReplicaIdentity.REQUIRE_FULL);
    assertThat(config.dropSlotOnStop()).isFalse();
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(5433);
    assertThat(config.database()).isEqualTo("app");
  }

  @Test
  void thePasswordIsMasked() {
    assertThat(valid().config().toString()).doesNotContain("secret").contains("password=***");
  }

  @Test
  void badValuesAreRejectedWithKeyValueAndWhatIsValid() {
    assertThatThrownBy(() -> valid().jdbcUrl("jdbc:mysql://x/y").config())
        .hasMessageContaining("jdbcUrl 'jdbc:mysql://x/y'")
        .hasMessageContaining("jdbc:postgresql://host[:port]/database");
    assertThatThrownBy(() -> valid().slotName("Bad-Slot").config())
        .hasMessageContaining("slotName 'Bad-Slot'");
    assertThatThrownBy(() -> valid().heartbeatInterval(Duration.ZERO).config())
        .hasMessageContaining("heartbeatInterval")
        .hasMessageContaining("cannot be off");
    assertThatThrownBy(() -> valid().tables(List.of("a.b.c")).config())
        .hasMessageContaining("tables 'a.b.c'");
    assertThatThrownBy(() -> valid().tables(List.of()).config())
        .hasMessageContaining("at least one table");
    assertThatThrownBy(() -> valid().table("public.other", "ads").config())
        .hasMessageContaining("'ads' is repeated");
    assertThatThrownBy(() -> valid().heartbeatTable("public.ads").config())
        .hasMessageContaining("not also a captured table");
    assertThatThrownBy(() -> valid().offsetFile(null).config()).hasMessageContaining("offsetFile");
  }

  @Test
  void stalledAcknowledgementsThinTheWaitingRecordsKeepingTheNewest() {
    java.util.ArrayDeque<Integer> waiting = new java.util.ArrayDeque<>();
    for (int i = 0; i < 7; i++) {
      waiting.add(i);
    }
    PostgresSource.thin(waiting);
    assertThat(waiting).containsExactly(1, 3, 5, 6);
  }

  @Test
  void debeziumGetsTransactionMetadataHeartbeatsAndNoTombstones() {
    PostgresSourceConfig config = valid().config();
    var p = PostgresSource.debeziumProperties(config, new Preflight(config).heartbeatQuery());

    assertThat(p.getProperty("provide.transaction.metadata")).isEqualTo("true");
    assertThat(p.getProperty("plugin.name")).isEqualTo("pgoutput");
    assertThat(p.getProperty("heartbeat.interval.ms")).isEqualTo("100");
    assertThat(p.getProperty("heartbeat.action.query"))
        .isEqualTo(
            "INSERT INTO \"public\".\"tidemark_heartbeat\" (source, beat_at) VALUES ('listings',"
                + " now()) ON CONFLICT (source) DO UPDATE SET beat_at = EXCLUDED.beat_at");
    assertThat(p.getProperty("table.include.list"))
        .isEqualTo("\\Qpublic.ads\\E,\\Qpublic.users\\E,\\Qpublic.tidemark_heartbeat\\E");
    assertThat(p.getProperty("snapshot.include.collection.list"))
        .isEqualTo("\\Qpublic.ads\\E,\\Qpublic.users\\E");
    assertThat(p.getProperty("tombstones.on.delete")).isEqualTo("false");
    assertThat(p.getProperty("poll.interval.ms")).isEqualTo("10");
    assertThat(p.getProperty("database.port")).isEqualTo("5433");
  }
}
