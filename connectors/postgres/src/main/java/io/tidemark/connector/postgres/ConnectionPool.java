package io.tidemark.connector.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A few JDBC connections shared by reader threads: at most {@code size} in use at once, idle ones
 * kept for reuse, broken ones dropped. A call that finds its reused connection broken (the server
 * restarted since) retries once on a new connection.
 */
final class ConnectionPool implements AutoCloseable {

  /** Seconds: connecting, and a socket read that gets no answer (a frozen server). */
  static final int CONNECT_TIMEOUT_SECONDS = 10;

  static final int SOCKET_TIMEOUT_SECONDS = 60;

  /** How long a caller waits for a connection when all are in use. */
  static final long BORROW_TIMEOUT_SECONDS = 30;

  /** Work on a borrowed connection. */
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private final PostgresStoreConfig config;
  private final int size;
  private final Semaphore permits;
  private final Deque<Connection> idle = new ArrayDeque<>();

  /**
   * Per open connection, its prepared statements by SQL text, reused from one call to the next: a
   * read then skips creating a statement object and looking its query up in the driver's cache.
   * Entries go with their connection when it is dropped or the pool closes.
   */
  private final Map<Connection, Map<String, PreparedStatement>> statements =
      new IdentityHashMap<>();

  private boolean closed;

  ConnectionPool(PostgresStoreConfig config, int size) {
    this.config = config;
    this.size = size;
    this.permits = new Semaphore(size, true);
  }

  /** Opens a new connection (autocommit on) with the store's timeouts. */
  static Connection connect(PostgresStoreConfig config) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", config.user());
    props.setProperty("password", config.password());
    props.setProperty("ApplicationName", "tidemark-" + config.storeName());
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
    props.setProperty("tcpKeepAlive", "true");
    return DriverManager.getConnection(config.jdbcUrl(), props);
  }

  <T> T call(SqlWork<T> work) throws SQLException {
    acquire();
    try {
      Connection connection = takeIdle();
      boolean reused = connection != null;
      if (connection == null) {
        connection = connect(config);
      }
      try {
        T result = work.run(connection);
        giveBack(connection);
        return result;
      } catch (SQLException e) {
        if (!SqlErrors.connectionBroken(e, connection)) {
          giveBack(connection);
          throw e;
        }
        drop(connection);
        if (!reused) {
          throw e;
        }
      } catch (RuntimeException | Error e) {
        drop(connection);
        throw e;
      }
      // The reused connection was stale (e.g. the server restarted): one more try on a new one.
      Connection fresh = connect(config);
      try {
        T result = work.run(fresh);
        giveBack(fresh);
        return result;
      } catch (SQLException e) {
        if (SqlErrors.connectionBroken(e, fresh)) {
          drop(fresh);
        } else {
          giveBack(fresh);
        }
        throw e;
      } catch (RuntimeException | Error e) {
        drop(fresh);
        throw e;
      }
    } finally {
      permits.release();
    }
  }

  /**
   * The statement for {@code sql} on {@code connection}, prepared on first use and kept while the
   * connection lives. Only for a connection this caller borrowed through {@link #call}: a borrowed
   * connection has one user at a time, so its statements do too.
   */
  PreparedStatement prepared(Connection connection, String sql) throws SQLException {
    Map<String, PreparedStatement> mine;
    synchronized (this) {
      mine = statements.computeIfAbsent(connection, c -> new HashMap<>());
    }
    PreparedStatement statement = mine.get(sql);
    if (statement == null) {
      statement = connection.prepareStatement(sql);
      mine.put(sql, statement);
    }
    return statement;
  }

  /** Closes and forgets a kept statement (it failed; the next call prepares it again). */
  void forget(Connection connection, String sql) {
    Map<String, PreparedStatement> mine;
    synchronized (this) {
      mine = statements.get(connection);
    }
    PreparedStatement statement = mine == null ? null : mine.remove(sql);
    if (statement != null) {
      try {
        statement.close();
      } catch (SQLException ignored) {
        // Its connection may be broken; the statement is gone either way.
      }
    }
  }

  /** Closes a connection that is not given back, and forgets its statements. */
  private void drop(Connection connection) {
    synchronized (this) {
      statements.remove(connection);
    }
    closeQuietly(connection);
  }

  private void acquire() throws SQLException {
    try {
      if (!permits.tryAcquire(BORROW_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new SQLTransientConnectionException(
            "all "
                + size
                + " reader connections of store '"
                + config.storeName()
                + "' stayed in use for "
                + BORROW_TIMEOUT_SECONDS
                + " s; raise poolSize or find the slow query",
            "08000");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLTransientConnectionException("interrupted waiting for a connection", "08000", e);
    }
  }

  private synchronized Connection takeIdle() throws SQLException {
    if (closed) {
      throw new SQLTransientConnectionException(
          "store '" + config.storeName() + "' is closed", "08003");
    }
    return idle.pollFirst();
  }

  private void giveBack(Connection connection) {
    synchronized (this) {
      if (!closed) {
        idle.addFirst(connection);
        return;
      }
    }
    drop(connection);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      idle.forEach(ConnectionPool::closeQuietly);
      idle.clear();
      statements.clear();
    }
  }

  static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // Closing a broken connection may fail; it is gone either way.
    }
  }
}
