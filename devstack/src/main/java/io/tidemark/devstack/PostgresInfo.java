package io.tidemark.devstack;

/**
 * Where a started PostgreSQL listens. The user is a superuser with REPLICATION, so it can create
 * logical replication slots and publications.
 *
 * @param host always {@code 127.0.0.1}
 * @param port the TCP port, stable across {@link StoreHandle#restart()}
 * @param database the database created for Tidemark
 * @param user the superuser role
 * @param password its password (password authentication over TCP)
 */
public record PostgresInfo(String host, int port, String database, String user, String password) {

  /** {@code jdbc:postgresql://127.0.0.1:PORT/DATABASE}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "PostgresInfo[" + jdbcUrl() + ", user=" + user + ", password=***]";
  }
}
