package io.tidemark.connector.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies epochs on one connection of its own, one database transaction per epoch: advance the
 * watermark row (which also tells whether the epoch is new), close the keys' open entries, insert
 * the new entries. The watermark and the data commit together, so the epoch is applied exactly
 * once. Used by one lane thread; calls are serialized anyway.
 */
final class EpochWriter implements AutoCloseable {

  private final PostgresStoreConfig config;
  private final Layout layout;
  private final JsonCodec codec;
  private Connection connection;
  private boolean closed;

  EpochWriter(PostgresStoreConfig config, Layout layout, JsonCodec codec) {
    this.config = config;
    this.layout = layout;
    this.codec = codec;
  }

  synchronized ApplyResult apply(Epoch epoch) {
    if (closed) {
      return ApplyResult.all(
          epoch, WriteOutcome.RETRYABLE, "store '" + config.storeName() + "' is closed");
    }
    Map<Write, String> json = new IdentityHashMap<>();
    for (Write w : epoch.writes()) {
      if (!w.isDelete()) {
        try {
          json.put(w, codec.write(w.document()));
        } catch (JsonProcessingException | RuntimeException e) {
          return rejected(epoch, w, "the document cannot be written as JSON: " + e.getMessage());
        }
      }
    }
    Map<String, List<Write>> byCollection = new LinkedHashMap<>();
    for (Write w : epoch.writes()) {
      byCollection.computeIfAbsent(w.collection(), c -> new ArrayList<>()).add(w);
    }
    Connection c = null;
    try {
      c = connection();
      for (String collection : byCollection.keySet()) {
        layout.ensureTable(c, collection);
      }
      if (byCollection.isEmpty()) {
        layout.ensureBase(c);
      }
      String version = epoch.version().toString();
      // A partial epoch (part of the initial snapshot) leaves the watermark for the whole one.
      boolean fresh =
          epoch.partial()
              ? !watermarkAtOrAbove(c, epoch.source(), version)
              : advanceWatermark(c, epoch.source(), version);
      if (!fresh) {
        c.rollback();
        return ApplyResult.all(epoch, WriteOutcome.ALREADY_APPLIED, "");
      }
      for (Map.Entry<String, List<Write>> e : byCollection.entrySet()) {
        writeCollection(c, e.getKey(), e.getValue(), version, json);
      }
      c.commit();
      return ApplyResult.all(epoch, WriteOutcome.APPLIED, "");
    } catch (SQLException e) {
      rollbackQuietly(c);
      return failed(epoch, e, json);
    }
  }

  private boolean watermarkAtOrAbove(Connection c, String source, String version)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(layout.watermarkAtOrAbove())) {
      ps.setString(1, source);
      ps.setString(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private boolean advanceWatermark(Connection c, String source, String version)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(layout.advanceWatermark())) {
      ps.setString(1, source);
      ps.setString(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void writeCollection(
      Connection c, String collection, List<Write> writes, String version, Map<Write, String> json)
      throws SQLException {
    String[] keys = new String[writes.size()];
    List<String> upsertKeys = new ArrayList<>(writes.size());
    List<String> documents = new ArrayList<>(writes.size());
    for (int i = 0; i < writes.size(); i++) {
      Write w = writes.get(i);
      keys[i] = w.key();
      if (!w.isDelete()) {
        upsertKeys.add(w.key());
        documents.add(json.get(w));
      }
    }
    try (PreparedStatement close = c.prepareStatement(layout.closeOpenEntries(collection))) {
      close.setString(1, version);
      close.setArray(2, c.createArrayOf("text", keys));
      close.setString(3, version);
      close.executeUpdate();
    }
    if (!upsertKeys.isEmpty()) {
      try (PreparedStatement insert = c.prepareStatement(layout.insertEntries(collection))) {
        insert.setString(1, version);
        insert.setArray(2, c.createArrayOf("text", upsertKeys.toArray()));
        insert.setArray(3, c.createArrayOf("text", documents.toArray()));
        insert.executeUpdate();
      }
    }
  }

  /** Turns a failed transaction into per-write results, finding the rejected write if any. */
  private ApplyResult failed(Epoch epoch, SQLException e, Map<Write, String> json) {
    String reason = "store '" + config.storeName() + "': " + SqlErrors.describe(e);
    if (connection != null && SqlErrors.connectionBroken(e, connection)) {
      ConnectionPool.closeQuietly(connection);
      connection = null;
    }
    return switch (SqlErrors.classify(e)) {
      case RETRYABLE -> ApplyResult.all(epoch, WriteOutcome.RETRYABLE, reason);
      case PERMANENT -> ApplyResult.all(epoch, WriteOutcome.FATAL, reason);
      case DATA -> diagnose(epoch, json, reason);
    };
  }

  /**
   * The database rejected a value of the epoch; the batch does not say which. Each write's key and
   * document are cast alone ({@code SELECT ?::text, ?::jsonb}, nothing written) to find it.
   */
  private ApplyResult diagnose(Epoch epoch, Map<Write, String> json, String reason) {
    List<WriteResult> results = new ArrayList<>();
    Write culprit = null;
    try {
      Connection c = connection();
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT ?::text, ?::jsonb")) {
        for (Write w : epoch.writes()) {
          ps.setString(1, w.key());
          ps.setString(2, w.isDelete() ? "{}" : json.get(w));
          try {
            ps.executeQuery().close();
            results.add(null);
          } catch (SQLException e) {
            if (SqlErrors.classify(e) != SqlErrors.Kind.DATA) {
              throw e;
            }
            if (culprit == null) {
              culprit = w;
            }
            results.add(WriteResult.fatal(w, rejection(epoch, w, SqlErrors.describe(e))));
          }
        }
      } finally {
        c.setAutoCommit(false);
      }
    } catch (SQLException e) {
      return ApplyResult.all(
          epoch, WriteOutcome.RETRYABLE, reason + "; finding the rejected write failed: " + e);
    }
    if (culprit == null) {
      return ApplyResult.all(
          epoch,
          WriteOutcome.FATAL,
          reason + " (epoch " + epoch.version() + "; no single write reproduces it)");
    }
    String notWritten =
        "not written: epoch "
            + epoch.version()
            + " was rolled back because the document of key '"
            + culprit.key()
            + "' was rejected";
    List<WriteResult> out = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      WriteResult r = results.get(i);
      out.add(r != null ? r : WriteResult.retryable(epoch.writes().get(i), notWritten));
    }
    return new ApplyResult(epoch.version(), out);
  }

  private ApplyResult rejected(Epoch epoch, Write culprit, String why) {
    List<WriteResult> out = new ArrayList<>();
    for (Write w : epoch.writes()) {
      out.add(
          w == culprit
              ? WriteResult.fatal(w, rejection(epoch, w, why))
              : WriteResult.retryable(
                  w,
                  "not written: the document of key '"
                      + culprit.key()
                      + "' in epoch "
                      + epoch.version()
                      + " was rejected"));
    }
    return new ApplyResult(epoch.version(), out);
  }

  private String rejection(Epoch epoch, Write w, String why) {
    return "store '"
        + config.storeName()
        + "' rejects the document of key '"
        + w.key()
        + "' in collection '"
        + w.collection()
        + "' (epoch "
        + epoch.version()
        + "): "
        + why;
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = ConnectionPool.connect(config);
      c.setAutoCommit(false);
      connection = c;
    }
    return connection;
  }

  private static void rollbackQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; it is dropped by the caller.
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (connection != null) {
      ConnectionPool.closeQuietly(connection);
      connection = null;
    }
  }
}
