package io.tidemark.connector.postgres;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** The devstack's shared PostgreSQL, for the integration tests of this module. */
final class TestDatabase {

  private TestDatabase() {}

  static PostgresInfo info() {
    return Devstack.shared(StoreKind.POSTGRES).postgres();
  }

  /** A configuration on the shared database, in a schema of its own. */
  static PostgresStoreConfig config(String storeName) {
    return config(info(), storeName);
  }

  static PostgresStoreConfig config(PostgresInfo info, String storeName) {
    return PostgresStoreConfig.of(info.jdbcUrl(), info.user(), info.password())
        .withSchema(freshName("it"))
        .withStoreName(storeName);
  }

  /** A direct connection (autocommit) for checking what the store wrote. */
  static Connection connect(PostgresInfo info) throws SQLException {
    return DriverManager.getConnection(info.jdbcUrl(), info.user(), info.password());
  }

  static String freshName(String prefix) {
    return String.format(
        Locale.ROOT, "%s_%08x", prefix, ThreadLocalRandom.current().nextInt() & 0x7fffffff);
  }
}
