package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.Change.Operation;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** Records shaped like Debezium 3.4's (checked against real ones), fed to the assembler. */
class TransactionAssemblerTest {
  static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
  static final Schema ROW =
      SchemaBuilder.struct()
          .optional()
          .field("id", Schema.INT64_SCHEMA)
          .field("title", Schema.OPTIONAL_STRING_SCHEMA)
          .build();
  static final Schema SOURCE =
      SchemaBuilder.struct()
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .build();
  static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .field("before", ROW)
          .field("after", ROW)
          .field("source", SOURCE)
          .field("op", Schema.STRING_SCHEMA)
          .build();
  static final Schema TX_KEY = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).build();
  static final Schema TX_VALUE =
      SchemaBuilder.struct()
          .field("status", Schema.STRING_SCHEMA)
          .field("id", Schema.STRING_SCHEMA)
          .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
          .build();
  static final Schema HEARTBEAT =
      SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA).build();

  final List<SourceTransaction> out = new ArrayList<>();
  final TransactionAssembler assembler =
      new TransactionAssembler(
          "listings", Map.of("public.ads", "ads"), "public.tidemark_heartbeat", 2, out::add);

  @Test
  void buffersChangesUntilEndAndVersionsThemWithTheCommitLsn() {
    assertThat(assembler.accept(begin(750, 1000))).isNull();
    assertThat(assembler.accept(insert(750, 1000, 1, "a"))).isNull();
    assertThat(assembler.accept(insert(750, 1100, 2, "b"))).isNull();
    assertThat(assembler.accept(insert(750, 1200, 3, "c"))).isNull();
    assertThat(out).isEmpty();

    assertThat(assembler.accept(end(750, 1300, 3L))).isEqualTo(Version.of(1300));

    assertThat(out).hasSize(1);
    SourceTransaction tx = out.get(0);
    assertThat(tx.source()).isEqualTo("listings");
    assertThat(tx.version()).isEqualTo(Version.of(1300));
    assertThat(tx.transactionId()).isEqualTo("750");
    assertThat(tx.commitTime()).isEqualTo(Instant.ofEpochSecond(1_795_345_015L, 282_561_000L));
    assertThat(tx.changes()).extracting(c -> c.key().get("id")).containsExactly(1L, 2L, 3L);
    assertThat(tx.changes()).allSatisfy(c -> assertThat(c.collection()).isEqualTo("ads"));
    assertThat(tx.changes().get(1).after()).containsEntry("title", "b");
    assertThat(tx.changes().get(1).operation()).isEqualTo(Operation.INSERT);
  }

  @Test
  void anEndCountingMoreChangesThanArrivedStopsTheSource() {
    assembler.accept(begin(750, 1000));
    assembler.accept(insert(750, 1200, 3, "c"));

    assertThatThrownBy(() -> assembler.accept(end(750, 1300, 3L)))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("transaction 750 ended with 3 changes but 1 arrived");
    assertThat(out).isEmpty();
  }

  @Test
  void anEndWithoutItsBeginButWithChangesStopsTheSource() {
    assertThatThrownBy(() -> assembler.accept(end(750, 1300, 2L)))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("ended with 2 changes but 0 arrived");
  }

  @Test
  void aTransactionTouchingOnlyTheHeartbeatTableIsAProgressEvent() {
    assembler.accept(begin(751, 2000));
    assembler.accept(change("public", "tidemark_heartbeat", 751, 2000, "u", null, row(1, "x")));
    assembler.accept(heartbeatRecord());
    assertThat(assembler.accept(end(751, 2100, 1L))).isEqualTo(Version.of(2100));

    assertThat(out)
        .singleElement()
        .satisfies(
            tx -> {
              assertThat(tx.isProgress()).isTrue();
              assertThat(tx.version()).isEqualTo(Version.of(2100));
            });
  }

  @Test
  void debeziumHeartbeatRecordsNeitherEmitNorCompleteAVersion() {
    assertThat(assembler.accept(heartbeatRecord())).isNull();
    assertThat(out).isEmpty();
  }

  @Test
  void aTransactionDeliveredAgainAfterAStreamRestartIsDropped() {
    assembler.accept(begin(750, 1000));
    assembler.accept(insert(750, 1000, 1, "a"));
    assembler.accept(end(750, 1300));
    // Debezium restarts its stream from an older committed offset: the same transaction again.
    assembler.accept(begin(750, 1000));
    assembler.accept(insert(750, 1000, 1, "a"));
    assertThat(assembler.accept(end(750, 1300))).isNull();
    assembler.accept(begin(752, 1400));
    assembler.accept(insert(752, 1400, 9, "z"));
    assertThat(assembler.accept(end(752, 1500))).isEqualTo(Version.of(1500));

    assertThat(out)
        .extracting(SourceTransaction::version)
        .containsExactly(Version.of(1300), Version.of(1500));
  }

  @Test
  void aBeginWhileATransactionIsOpenDiscardsTheIncompleteOne() {
    assembler.accept(begin(750, 1000));
    assembler.accept(insert(750, 1000, 1, "a"));
    assembler.accept(begin(750, 1000));
    assembler.accept(insert(750, 1000, 1, "a"));
    assembler.accept(end(750, 1300));

    assertThat(out).singleElement().satisfies(tx -> assertThat(tx.changes()).hasSize(1));
  }

  @Test
  void updatesAndDeletesCarryTheirImages() {
    assembler.accept(begin(760, 3000));
    assembler.accept(change("public", "ads", 760, 3000, "u", row(1, "old"), row(1, "new")));
    assembler.accept(change("public", "ads", 760, 3100, "d", row(2, "gone"), null));
    assembler.accept(end(760, 3200));

    var changes = out.get(0).changes();
    assertThat(changes.get(0).operation()).isEqualTo(Operation.UPDATE);
    assertThat(changes.get(0).before()).containsEntry("title", "old");
    assertThat(changes.get(0).after()).containsEntry("title", "new");
    assertThat(changes.get(1).operation()).isEqualTo(Operation.DELETE);
    assertThat(changes.get(1).before()).containsEntry("title", "gone");
    assertThat(changes.get(1).after()).isNull();
    assertThat(changes.get(1).key()).containsEntry("id", 2L);
  }

  @Test
  void snapshotRowsComeInChunksAtOneVersionClosedByProgress() {
    assertThat(assembler.accept(snapshotRow(1, 500, false))).isNull();
    assertThat(assembler.accept(snapshotRow(2, 500, false))).isNull();
    assertThat(out).hasSize(1); // chunk size 2
    assertThat(assembler.accept(snapshotRow(3, 500, true))).isEqualTo(Version.of(500));

    assertThat(out).hasSize(3);
    assertThat(out).extracting(SourceTransaction::version).containsOnly(Version.of(500));
    assertThat(out.get(0).transactionId()).isEqualTo("snapshot");
    assertThat(out.get(0).isSnapshotChunk()).isTrue();
    assertThat(out.get(0).changes())
        .extracting(c -> c.operation())
        .containsOnly(Operation.SNAPSHOT);
    assertThat(out.get(1).changes()).extracting(c -> c.key().get("id")).containsExactly(3L);
    assertThat(out.get(2).isProgress()).isTrue();

    assembler.accept(begin(800, 600));
    assembler.accept(insert(800, 600, 4, "d"));
    assertThat(assembler.accept(end(800, 700))).isEqualTo(Version.of(700));
  }

  @Test
  void aSnapshotWithoutItsLastFlagIsClosedByTheFirstStreamedTransaction() {
    assembler.accept(snapshotRow(1, 500, false));
    assembler.accept(begin(800, 600));

    assertThat(out).extracting(SourceTransaction::isProgress).containsExactly(false, true);
  }

  @Test
  void truncateStopsTheSourceWithAClearMessage() {
    assembler.accept(begin(770, 4000));
    Struct value =
        new Struct(ENVELOPE).put("source", source("public", "ads", 770, 4000)).put("op", "t");
    SourceRecord truncate =
        new SourceRecord(
            Map.of(),
            Map.of("lsn", 4000L, "txId", 770L),
            "listings.public.ads",
            null,
            null,
            ENVELOPE,
            value);

    assertThatThrownBy(() -> assembler.accept(truncate))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("TRUNCATE of public.ads");
  }

  @Test
  void aPlaceholderForAnUnchangedToastedColumnIsRefused() {
    assembler.accept(begin(780, 5000));
    SourceRecord update =
        change("public", "ads", 780, 5000, "u", row(1, "x"), row(1, RowConverter.UNAVAILABLE));

    assertThatThrownBy(() -> assembler.accept(update))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("lacks column title")
        .hasMessageContaining("REPLICA IDENTITY FULL");
  }

  @Test
  void aChangeOutsideAnyTransactionIsRefused() {
    assertThatThrownBy(() -> assembler.accept(insert(790, 6000, 1, "a")))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("outside any transaction");
  }

  @Test
  void aChangeOfATableThatIsNotCapturedIsRefused() {
    assembler.accept(begin(791, 7000));
    assertThatThrownBy(
            () -> assembler.accept(change("public", "users", 791, 7000, "c", null, row(1, "a"))))
        .isInstanceOf(PostgresSourceException.class)
        .hasMessageContaining("public.users");
  }

  // --- records as Debezium makes them ---

  static Struct row(long id, String title) {
    return new Struct(ROW).put("id", id).put("title", title);
  }

  static Struct source(String schema, String table, long txId, long lsn) {
    return new Struct(SOURCE)
        .put("schema", schema)
        .put("table", table)
        .put("txId", txId)
        .put("lsn", lsn);
  }

  static SourceRecord begin(long xid, long lsn) {
    return tx(
        "BEGIN", xid, lsn, Map.of("txId", xid, "lsn", lsn, "ts_usec", 1_795_345_015_282_561L));
  }

  /** An END record without an event count (the check is skipped). */
  static SourceRecord end(long xid, long lsnCommit) {
    return end(xid, lsnCommit, null);
  }

  static SourceRecord end(long xid, long lsnCommit, Long eventCount) {
    SourceRecord end = endRecord(xid, lsnCommit);
    ((Struct) end.value()).put("event_count", eventCount);
    return end;
  }

  static SourceRecord endRecord(long xid, long lsnCommit) {
    return tx(
        "END",
        xid,
        lsnCommit,
        Map.of(
            "txId",
            xid,
            "lsn",
            lsnCommit,
            "lsn_commit",
            lsnCommit,
            "lsn_proc",
            lsnCommit,
            "ts_usec",
            1_795_345_015_282_561L));
  }

  static SourceRecord tx(String status, long xid, long lsn, Map<String, ?> offset) {
    Struct key = new Struct(TX_KEY).put("id", xid + ":" + lsn);
    Struct value = new Struct(TX_VALUE).put("status", status).put("id", xid + ":" + lsn);
    return new SourceRecord(
        Map.of("server", "listings"),
        offset,
        "listings.transaction",
        null,
        TX_KEY,
        key,
        TX_VALUE,
        value);
  }

  static SourceRecord insert(long xid, long lsn, long id, String title) {
    return change("public", "ads", xid, lsn, "c", null, row(id, title));
  }

  static SourceRecord change(
      String schema, String table, long xid, long lsn, String op, Struct before, Struct after) {
    Struct img = after != null ? after : before;
    Struct key = new Struct(KEY).put("id", img.getInt64("id"));
    Struct value =
        new Struct(ENVELOPE)
            .put("before", before)
            .put("after", after)
            .put("source", source(schema, table, xid, lsn))
            .put("op", op);
    Map<String, Object> offset = new HashMap<>();
    offset.put("txId", xid);
    offset.put("lsn", lsn);
    return new SourceRecord(
        Map.of("server", "listings"),
        offset,
        "listings." + schema + "." + table,
        null,
        KEY,
        key,
        ENVELOPE,
        value);
  }

  static SourceRecord snapshotRow(long id, long lsn, boolean last) {
    Struct key = new Struct(KEY).put("id", id);
    Struct value =
        new Struct(ENVELOPE)
            .put("after", row(id, "s" + id))
            .put("source", source("public", "ads", 749, lsn))
            .put("op", "r");
    Map<String, Object> offset = new HashMap<>();
    offset.put("lsn", lsn);
    offset.put("txId", 749L);
    offset.put("ts_usec", 1_795_345_012_510_503L);
    offset.put("snapshot", "INITIAL");
    offset.put("last_snapshot_record", last);
    return new SourceRecord(
        Map.of("server", "listings"),
        offset,
        "listings.public.ads",
        null,
        KEY,
        key,
        ENVELOPE,
        value);
  }

  static SourceRecord heartbeatRecord() {
    return new SourceRecord(
        Map.of("server", "listings"),
        Map.of("lsn", 1L),
        "__debezium-heartbeat.listings",
        null,
        null,
        null,
        HEARTBEAT,
        new Struct(HEARTBEAT).put("ts_ms", 1L));
  }
}
