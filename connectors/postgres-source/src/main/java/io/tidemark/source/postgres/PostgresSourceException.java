package io.tidemark.source.postgres;

/**
 * The source cannot start or cannot go on: the message names what is wrong (a setting of the
 * database, a table, the slot, a change that cannot be passed on faithfully) and how to fix it.
 */
public final class PostgresSourceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PostgresSourceException(String message) {
    super(message);
  }

  public PostgresSourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
