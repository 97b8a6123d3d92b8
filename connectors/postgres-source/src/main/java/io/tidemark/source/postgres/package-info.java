/**
 * The PostgreSQL source: Debezium's embedded engine (pgoutput, {@code
 * provide.transaction.metadata=true}) turned into whole, ordered, versioned transactions. Entry
 * point: {@link io.tidemark.source.postgres.PostgresSource}; settings: {@link
 * io.tidemark.source.postgres.PostgresSourceConfig}.
 *
 * <h2>Versions</h2>
 *
 * A transaction's version is the {@code lsn_commit} offset of Debezium's END record for it: the end
 * of its commit record in the WAL (checked against real records: right after {@code commit()},
 * {@code pg_current_wal_insert_lsn()} on the same connection equals it when nothing else was
 * written in between, and is above it otherwise). Commit records are written in commit order, so
 * versions strictly increase. A data record's own {@code source.lsn} is never used: it is the
 * position of the row change, which follows write order, not commit order.
 *
 * <h2>Progress</h2>
 *
 * Every heartbeat interval Debezium runs {@code heartbeat.action.query}, an upsert of this source's
 * row in a small heartbeat table ({@code public.tidemark_heartbeat}, created on start) that is in
 * the publication. That upsert is a captured transaction: it arrives with its own commit version,
 * and since it has no changes to captured tables it becomes a progress event ({@link
 * io.tidemark.protocol.SourceTransaction#progress}). Heartbeat rows never reach the consumer.
 * Debezium's own heartbeat records are ignored: their offset is the last position Debezium
 * processed, which never lies above a version already delivered, so they would add nothing; and a
 * heartbeat without the action query moves nothing, since pgoutput skips transactions on tables
 * outside the publication.
 *
 * <h2>Initial snapshot ({@code SnapshotMode.INITIAL})</h2>
 *
 * On a first start Debezium creates the slot with an exported snapshot and reads the tables in it.
 * Every snapshot row gets one version: the slot's consistent point, which Debezium records as the
 * {@code lsn} of the snapshot records. A transaction whose commit record starts before that point
 * is in the snapshot and its version (commit end) is at or below it; the slot streams exactly the
 * transactions whose commit record starts at or after it, so their versions are strictly above it.
 * So snapshot plus stream has no gap and no overlap, and the stream's versions are strictly greater
 * than the snapshot's.
 *
 * <p>Rows are passed on as they are read, in chunks of {@code snapshotChunkSize} rows (never the
 * whole table in memory): each chunk is a transaction with id {@code "snapshot"} ({@link
 * io.tidemark.protocol.SourceTransaction#isSnapshotChunk()}), changes of operation {@code
 * SNAPSHOT}, and the snapshot's version. <b>The chunks share one version</b>; a progress event at
 * that version follows the last chunk and says the snapshot is complete. This is the one place
 * where consecutive deliveries have equal versions: a consumer must not treat the snapshot's
 * version as complete before that progress event (or any later version). The snapshot's offset is
 * committed only when its version is acknowledged, after the last chunk. A crash during a first
 * snapshot leaves a slot without offsets; the next start drops and recreates the slot and takes the
 * snapshot again, at a new consistent point (a new version).
 *
 * <h2>Offsets and acknowledgement</h2>
 *
 * Debezium commits the offset of the last record marked processed. This source marks only records
 * that end a version (a transaction's END record, the snapshot's last row), and only once {@link
 * io.tidemark.source.postgres.PostgresSource#acknowledge} has reached that version; resuming from
 * inside a transaction would redeliver half of it. Debezium's {@code RecordCommitter} is not
 * thread-safe, so acknowledgements are recorded from any thread and applied on the engine's thread
 * at its next batch; heartbeats keep batches coming on an idle source. The committed offset keeps
 * the commit LSN but not Debezium's {@code lsn_proc}: without it Debezium restarts streaming at
 * exactly that LSN, where PostgreSQL sends every later-committed transaction whole; with it,
 * Debezium searches for the stored position by LSN first, and a transaction that began before the
 * stored commit and has a change at exactly that commit's end loses its earlier changes (found by
 * the crash test, reproduced deterministically in {@code PostgresSourceIT}). Offsets go to an
 * atomically replaced, checksummed file ({@code AtomicFileOffsetStore}; Kafka's file store rewrites
 * in place, so a kill mid-write loses the offsets) every 100 ms, then Debezium moves the slot's
 * confirmed position to the same commit LSN: neither ever passes the acknowledged version, so after
 * a crash everything above it is delivered again, decoded again from the same WAL, hence identical
 * (version, id, commit time, changes). Should Debezium restart its stream internally (a retriable
 * error), transactions at or below the last delivered version are dropped rather than delivered
 * twice in one run.
 *
 * <h2>What is refused, with a message that says what to do</h2>
 *
 * {@code wal_level} other than {@code logical}; a user without REPLICATION; a configured table that
 * does not exist or has no primary key; a table without {@code REPLICA IDENTITY FULL} (or it is
 * set, with {@code ReplicaIdentity.SET_FULL}), since otherwise an update that leaves a large
 * TOASTed column unchanged carries Debezium's placeholder instead of the value; a slot that another
 * engine holds; an offset file whose slot is gone (the changes in between are lost: start over with
 * a new snapshot). While running: a {@code TRUNCATE} of a captured table stops the source (the
 * stores could not follow it row by row), as does a placeholder value, should one appear.
 *
 * <h2>Values</h2>
 *
 * Row images are maps in column order with Java values: smallint/integer → Integer, bigint → Long,
 * numeric/decimal/money → BigDecimal, real/double → Double, boolean → Boolean, text/varchar/json/
 * uuid/enum/xml → String, bytea → byte[], date → LocalDate, time → LocalTime, timestamp →
 * LocalDateTime, timestamptz → Instant, timetz → OffsetTime, interval → ISO-8601 String, arrays →
 * List, hstore → Map; a key map holds the primary key columns in key order.
 *
 * <h2>Limits</h2>
 *
 * A transaction is held in memory until its END record arrives (design §6), so one huge transaction
 * needs memory in proportion. Schema changes are not captured as events; a new column simply
 * appears in later row images. A table added to the configuration after the first start is captured
 * from then on; its existing rows are not snapshotted (start over with a new slot and offset file
 * for that). Query parameters of {@code jdbcUrl} apply to the source's own checks; Debezium
 * connects with host, port, database, user and password.
 */
package io.tidemark.source.postgres;
