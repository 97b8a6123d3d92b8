package io.tidemark.connector.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** The one place that decides what a database error means: retry, or a rejection for good. */
final class SqlErrors {

  private SqlErrors() {}

  /** What an error during apply means for the epoch. */
  enum Kind {
    /** The store is unreachable, restarting, overloaded or a transaction conflicted: retry. */
    RETRYABLE,
    /** The database rejects a value (data exception, constraint): find the write, stop on it. */
    DATA,
    /** Permission, authentication or a programming error: retrying will not help. */
    PERMANENT
  }

  static Kind classify(SQLException e) {
    String state = sqlState(e);
    if (state == null || state.length() < 2) {
      // The driver's own I/O failures carry 08xxx; no state means it never got an answer.
      return Kind.RETRYABLE;
    }
    return switch (state.substring(0, 2)) {
      case "22", "23" -> Kind.DATA;
      case "28", "42", "0A", "2B", "3D", "3F", "44" -> Kind.PERMANENT;
      default -> Kind.RETRYABLE; // 08 connection, 40 rollback, 53 resources, 55, 57 shutdown...
    };
  }

  /** Whether the connection cannot be used any more after this error. */
  static boolean connectionBroken(SQLException e, Connection connection) {
    String state = sqlState(e);
    if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
      return true;
    }
    try {
      return connection.isClosed();
    } catch (SQLException ignored) {
      return true;
    }
  }

  /** The first SQL state in the chain of causes. */
  static String sqlState(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        return s.getSQLState();
      }
    }
    return null;
  }

  /** A short description: message and SQL state. */
  static String describe(SQLException e) {
    String state = sqlState(e);
    return e.getMessage() + (state == null ? "" : " [SQL state " + state + "]");
  }
}
