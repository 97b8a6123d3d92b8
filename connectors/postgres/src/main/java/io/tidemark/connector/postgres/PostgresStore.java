package io.tidemark.connector.postgres;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreWriter;

/**
 * The PostgreSQL read database as a Tidemark store: versioned tables (one per collection, see
 * below), an epoch applied in one transaction together with its watermark row, and snapshot reads
 * by {@code key = ? AND _tm_from <= S AND _tm_to > S}.
 *
 * <pre>{@code
 * try (PostgresStore store = PostgresStore.open(
 *     PostgresStoreConfig.of("jdbc:postgresql://127.0.0.1:5432/readdb", "tidemark", secret))) {
 *   store.apply(epoch);
 *   Lookup ad = store.get("ads", "42", snapshot);
 * }
 * }</pre>
 *
 * <p>Tables: collection {@code c} lives in {@code schema.tm_c} (columns {@code key text}, {@code
 * _tm_from pg_lsn}, {@code _tm_to pg_lsn} with {@code 'FFFFFFFF/FFFFFFFF'} while open, {@code doc
 * jsonb}; primary key {@code (key, _tm_from)}), created on first write. A collection name that is
 * not a plain lowercase identifier ({@code [a-z_][a-z0-9_]*}, short enough) is lowercased, other
 * characters become {@code _}, and 8 hex digits of its SHA-256 are appended: {@code Ads-EU} →
 * {@code tm_ads_eu_1a2b3c4d}. {@link PostgresStoreConfig#withTable} names a table explicitly.
 * Watermarks live in {@code schema.tidemark_watermark(source, version)}.
 *
 * <p>Outcomes of {@link #apply}: every write {@code APPLIED}, or every write {@code
 * ALREADY_APPLIED} (the epoch is at or below the stored watermark; nothing is written), or the
 * transaction was rolled back: {@code RETRYABLE} when the database could not be reached, was
 * restarting or conflicted; {@code FATAL} for the write whose document or key the database rejects
 * (for example a {@code \u0000} in a string, which jsonb cannot hold), the others {@code RETRYABLE}
 * with a reason naming it; {@code FATAL} for all on permission or authentication errors.
 *
 * <p>Reads are thread-safe and share {@link PostgresStoreConfig#poolSize()} connections; the writer
 * has a connection of its own. Connections fail a call after {@value
 * ConnectionPool#CONNECT_TIMEOUT_SECONDS} s connecting or {@value
 * ConnectionPool#SOCKET_TIMEOUT_SECONDS} s without an answer; reads then throw {@link
 * io.tidemark.protocol.store.StoreUnavailableException}. Nothing connects before the first call, so
 * opening a store whose database is down succeeds.
 */
public final class PostgresStore implements StoreWriter, StoreReader {

  private final PostgresStoreConfig config;
  private final EpochWriter writer;
  private final SnapshotReader reader;

  private PostgresStore(PostgresStoreConfig config) {
    this.config = config;
    Layout layout = new Layout(new TableNames(config.schema(), config.tables()));
    JsonCodec codec = new JsonCodec();
    this.writer = new EpochWriter(config, layout, codec);
    this.reader = new SnapshotReader(config, layout, codec);
  }

  /** A store for this configuration. Connects lazily. */
  public static PostgresStore open(PostgresStoreConfig config) {
    return new PostgresStore(java.util.Objects.requireNonNull(config, "config"));
  }

  /** The table that holds {@code collection} (unquoted, without the schema). */
  public String tableName(String collection) {
    return new TableNames(config.schema(), config.tables()).table(collection);
  }

  @Override
  public ApplyResult apply(Epoch epoch) {
    return writer.apply(epoch);
  }

  /** Commits are visible at once: this is {@link #watermark()}. */
  @Override
  public Stamp makeVisible() {
    return reader.watermark();
  }

  @Override
  public Stamp watermark() {
    return reader.watermark();
  }

  /** Deletes the entries closed at or before {@code horizon}: {@code _tm_to <= horizon}. */
  @Override
  public long purge(String collection, Version horizon) {
    return reader.purge(collection, horizon);
  }

  /**
   * Calls {@code each} with every entry of {@code collection} visible at {@code at}, in key order:
   * the whole collection as of that snapshot (for checking it against its source).
   */
  public void scan(String collection, Version at, java.util.function.Consumer<Entry> each) {
    reader.scan(
        java.util.Objects.requireNonNull(collection, "collection"),
        java.util.Objects.requireNonNull(at, "at"),
        java.util.Objects.requireNonNull(each, "each"));
  }

  /**
   * Drops {@code collection}'s table and deletes every watermark of this store, leaving it as if
   * nothing had been written to it. For rebuilding a store from scratch ({@code tidemark migrate
   * backfill}); never call it on a store that readers use. Use a new instance afterwards: this one
   * remembers the tables it created.
   */
  @Override
  public void clear(String collection) {
    reader.clear(java.util.Objects.requireNonNull(collection, "collection"));
  }

  @Override
  public Lookup get(String collection, String key, Version at) {
    return reader.get(collection, key, at);
  }

  @Override
  public Lookup latest(String collection, String key) {
    return reader.latest(collection, key);
  }

  /** The read database holds every version from the horizon on: no entry means absent. */
  @Override
  public boolean authoritative() {
    return true;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } finally {
      reader.close();
    }
  }

  @Override
  public String toString() {
    return "PostgresStore[" + config + "]";
  }
}
