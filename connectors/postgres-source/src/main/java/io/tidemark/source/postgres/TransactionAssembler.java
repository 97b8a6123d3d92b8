package io.tidemark.source.postgres;

import io.tidemark.protocol.Change;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium's record stream (with {@code provide.transaction.metadata=true}) into whole,
 * versioned transactions, in commit order.
 *
 * <ul>
 *   <li>Data records are buffered from a transaction's BEGIN record to its END record. The
 *       transaction's version is the END record's {@code lsn_commit} offset: the end of its commit
 *       record in the WAL, which grows in commit order. A data record's own {@code source.lsn} is
 *       never used: it follows write order, not commit order.
 *   <li>A transaction without changes to captured tables (the heartbeat's upsert, or one whose only
 *       changes are to the heartbeat table) becomes a progress event.
 *   <li>Initial snapshot rows ({@code op=r}) all carry the snapshot's consistent point as their
 *       version; they are passed on in chunks of {@code chunkSize} rows as transactions with id
 *       {@value SourceTransaction#SNAPSHOT_CHUNK_ID} ({@link SourceTransaction#isSnapshotChunk()}),
 *       and a progress event at that version marks the end.
 *   <li>A transaction whose version is not above the last one passed on is a redelivery after
 *       Debezium restarted its stream internally (from the last committed offset); it was passed on
 *       already and is dropped.
 * </ul>
 *
 * <p>{@link #accept} returns, for the record that completes a version, that version: the record's
 * offset may be committed once the version is acknowledged. Every other record returns null and its
 * offset must never be committed (resuming from inside a transaction would deliver half of it). Not
 * thread-safe: Debezium calls it from its one polling thread.
 */
final class TransactionAssembler {
  private static final System.Logger LOG = System.getLogger(TransactionAssembler.class.getName());

  private final String source;
  private final String transactionTopic;
  private final Map<String, String> collections;
  private final String heartbeatTable;
  private final int chunkSize;
  private final Consumer<SourceTransaction> out;
  private final RowConverter rows = new RowConverter();

  /** Topic → where its rows go, learned from the first record of each topic. */
  private final Map<String, Route> routes = new HashMap<>();

  private Version lastEmitted;
  private OpenTransaction open;

  private Version snapshotVersion;
  private Instant snapshotTime;
  private List<Change> snapshotChunk = new ArrayList<>();

  /** A captured table's collection, or the heartbeat table (collection null). */
  private record Route(String table, String collection) {
    boolean heartbeat() {
      return collection == null;
    }
  }

  private static final class OpenTransaction {
    final long xid;
    final List<Change> changes = new ArrayList<>();
    long records; // data records received, heartbeat rows included: END's event_count

    OpenTransaction(long xid) {
      this.xid = xid;
    }
  }

  /**
   * @param source the source name (also Debezium's topic prefix)
   * @param collections captured {@code schema.table} → collection
   * @param heartbeatTable the heartbeat table ({@code schema.table}), whose rows are never passed
   *     on
   * @param chunkSize snapshot rows per delivered chunk
   * @param out receives transactions in order; may block
   */
  TransactionAssembler(
      String source,
      Map<String, String> collections,
      String heartbeatTable,
      int chunkSize,
      Consumer<SourceTransaction> out) {
    this.source = source;
    this.transactionTopic = source + ".transaction";
    this.collections = Map.copyOf(collections);
    this.heartbeatTable = heartbeatTable;
    this.chunkSize = chunkSize;
    this.out = out;
  }

  /** The last version passed on, or null before the first. */
  Version lastEmitted() {
    return lastEmitted;
  }

  /**
   * Feeds one record in stream order.
   *
   * @return the version this record completes (commit its offset once that version is
   *     acknowledged), or null
   * @throws PostgresSourceException for a change that cannot be passed on faithfully (TRUNCATE, a
   *     missing TOASTed value, a stream that breaks transaction boundaries)
   */
  Version accept(SourceRecord record) {
    String topic = record.topic();
    Object value = record.value();
    if (!(value instanceof Struct struct)) {
      return null; // a tombstone; disabled, but harmless
    }
    if (topic.equals(transactionTopic)) {
      return transactionBoundary(record, struct);
    }
    if (struct.schema().field("op") == null) {
      return null; // Debezium's own heartbeat record: its position is not a commit version
    }
    return change(record, topic, struct);
  }

  private Version transactionBoundary(SourceRecord record, Struct value) {
    finishSnapshot();
    String status = value.getString("status");
    Map<String, ?> offset = record.sourceOffset();
    long xid = longOffset(offset, "txId", record);
    if ("BEGIN".equals(status)) {
      if (open != null && !open.changes.isEmpty()) {
        LOG.log(
            Level.INFO,
            () ->
                source
                    + ": discarding "
                    + open.changes.size()
                    + " buffered changes of transaction "
                    + open.xid
                    + ": Debezium restarted its stream before the transaction's END; it is"
                    + " delivered again whole");
      }
      open = new OpenTransaction(xid);
      return null;
    }
    if (!"END".equals(status)) {
      throw new PostgresSourceException(
          source + ": unknown transaction status '" + status + "' in " + record);
    }
    Version version = Version.of(longOffset(offset, "lsn_commit", record));
    Instant commitTime = micros(offset.get("ts_usec"));
    List<Change> changes;
    long received = open == null ? 0 : open.records;
    Object counted = value.schema().field("event_count") == null ? null : value.get("event_count");
    if (counted instanceof Number n
        && n.longValue() != received
        && (open == null || open.xid == xid)) {
      // Changes Debezium dispatched for this transaction did not all arrive here: passing the rest
      // on would be a silent loss. (Changes Debezium itself never dispatched are not counted.)
      throw new PostgresSourceException(
          source
              + ": transaction "
              + xid
              + " ended with "
              + n.longValue()
              + " changes but "
              + received
              + " arrived; refusing to pass on an incomplete transaction");
    }
    if (open == null) {
      changes = List.of();
    } else if (open.xid != xid) {
      throw new PostgresSourceException(
          source
              + ": END of transaction "
              + xid
              + " while transaction "
              + open.xid
              + " is open; the change stream broke transaction boundaries");
    } else {
      changes = open.changes;
    }
    open = null;
    if (lastEmitted != null && !version.isAfter(lastEmitted)) {
      return null; // delivered already, before Debezium restarted its stream
    }
    out.accept(
        changes.isEmpty()
            ? SourceTransaction.progress(source, version, commitTime)
            : new SourceTransaction(source, version, Long.toString(xid), commitTime, changes));
    lastEmitted = version;
    return version;
  }

  private Version change(SourceRecord record, String topic, Struct value) {
    Route route = routes.get(topic);
    if (route == null) {
      route = route(value);
      routes.put(topic, route);
    }
    String op = value.getString("op");
    if ("r".equals(op)) {
      return snapshotRow(record, route, value);
    }
    finishSnapshot();
    Change.Operation operation =
        switch (op) {
          case "c" -> Change.Operation.INSERT;
          case "u" -> Change.Operation.UPDATE;
          case "d" -> Change.Operation.DELETE;
          case "t" ->
              throw new PostgresSourceException(
                  source
                      + ": TRUNCATE of "
                      + route.table
                      + " cannot be passed on row by row; the stores would keep the rows. Take a"
                      + " new snapshot: drop slot and offset file, start with snapshotMode INITIAL");
          default -> null; // 'm' (logical decoding message): not a row change
        };
    if (operation == null) {
      return null;
    }
    long xid = value.getStruct("source").getInt64("txId");
    if (open == null || open.xid != xid) {
      throw new PostgresSourceException(
          source
              + ": change of "
              + route.table
              + " in transaction "
              + xid
              + " arrived "
              + (open == null ? "outside any transaction" : "inside transaction " + open.xid)
              + "; the change stream broke transaction boundaries");
    }
    open.records++;
    if (!route.heartbeat()) {
      open.changes.add(toChange(route, record, value, operation));
    }
    return null;
  }

  private Version snapshotRow(SourceRecord record, Route route, Struct value) {
    Map<String, ?> offset = record.sourceOffset();
    if (snapshotVersion == null) {
      snapshotVersion = Version.of(longOffset(offset, "lsn", record));
      snapshotTime = micros(offset.get("ts_usec"));
    }
    if (!route.heartbeat()) {
      snapshotChunk.add(toChange(route, record, value, Change.Operation.SNAPSHOT));
      if (snapshotChunk.size() >= chunkSize) {
        emitSnapshotChunk();
      }
    }
    if (Boolean.TRUE.equals(offset.get("last_snapshot_record"))) {
      return finishSnapshot();
    }
    return null;
  }

  /** Passes on what is left of a snapshot and the progress event that closes it. */
  private Version finishSnapshot() {
    if (snapshotVersion == null) {
      return null;
    }
    Version version = snapshotVersion;
    emitSnapshotChunk();
    out.accept(SourceTransaction.progress(source, version, snapshotTime));
    lastEmitted = version;
    snapshotVersion = null;
    snapshotTime = null;
    return version;
  }

  private void emitSnapshotChunk() {
    if (snapshotChunk.isEmpty()) {
      return;
    }
    List<Change> chunk = snapshotChunk;
    snapshotChunk = new ArrayList<>();
    out.accept(
        new SourceTransaction(
            source, snapshotVersion, SourceTransaction.SNAPSHOT_CHUNK_ID, snapshotTime, chunk));
  }

  private Change toChange(Route route, SourceRecord record, Struct value, Change.Operation op) {
    Row key = rows.row((Struct) record.key());
    Row before = rows.row(value.getStruct("before"));
    Row after = rows.row(value.getStruct("after"));
    if (key == null || key.isEmpty()) {
      throw new PostgresSourceException(
          source + ": change of " + route.table + " without key columns; it needs a primary key");
    }
    requireAvailable(route, key, "after", after);
    requireAvailable(route, key, "before", before);
    return new Change(route.collection, key, op, before, after);
  }

  /** A placeholder means the replica identity was not FULL when the change was written. */
  private void requireAvailable(Route route, Row key, String image, Row row) {
    if (row == null || row.unavailableColumn() == null) {
      return;
    }
    throw new PostgresSourceException(
        source
            + ": the "
            + image
            + " image of "
            + route.table
            + " "
            + key
            + " lacks column "
            + row.unavailableColumn()
            + " (unchanged TOASTed value not sent): the table's REPLICA IDENTITY was not FULL"
            + " when this change was written. Run ALTER TABLE "
            + route.table
            + " REPLICA IDENTITY FULL and take a new snapshot");
  }

  private Route route(Struct value) {
    Struct src = value.getStruct("source");
    String table = src.getString("schema") + "." + src.getString("table");
    if (table.equals(heartbeatTable)) {
      return new Route(table, null);
    }
    String collection = collections.get(table);
    if (collection == null) {
      throw new PostgresSourceException(
          source
              + ": received a change of "
              + table
              + ", which is not a captured table ("
              + collections.keySet()
              + ")");
    }
    return new Route(table, collection);
  }

  private long longOffset(Map<String, ?> offset, String key, SourceRecord record) {
    Object v = offset == null ? null : offset.get(key);
    if (!(v instanceof Number n)) {
      throw new PostgresSourceException(
          source + ": Debezium record without offset '" + key + "': " + offset + " in " + record);
    }
    return n.longValue();
  }

  private static Instant micros(Object value) {
    if (!(value instanceof Number n)) {
      return Instant.EPOCH;
    }
    long micros = n.longValue();
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }
}
