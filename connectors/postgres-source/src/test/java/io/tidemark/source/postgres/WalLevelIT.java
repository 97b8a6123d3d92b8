package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.PostgresInfo;
import io.tidemark.devstack.StoreKind;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a PostgreSQL of its own, restarted with {@code wal_level = replica}. */
class WalLevelIT {
  @TempDir Path dir;

  @Test
  void aServerWithoutLogicalWalIsRefusedWithTheSettingToChange() throws Exception {
    try (Devstack stack = Devstack.start(StoreKind.POSTGRES)) {
      PostgresInfo pg = stack.postgres();
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("ALTER SYSTEM SET wal_level = 'replica'");
        s.execute("CREATE TABLE ads (id int PRIMARY KEY)");
      }
      stack.store(StoreKind.POSTGRES).restart();
      PostgresSource source =
          PostgresSource.builder()
              .name("walcheck")
              .jdbcUrl(pg.jdbcUrl())
              .user(pg.user())
              .password(pg.password())
              .tables(List.of("ads"))
              .offsetFile(dir.resolve("offsets"))
              .build();

      assertThatThrownBy(() -> source.start(new Collector()))
          .isInstanceOf(PostgresSourceException.class)
          .hasMessageContaining("wal_level is 'replica'")
          .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
      source.close();
      assertThat(Pg.query("SELECT 1")).isNotEmpty(); // the shared stack is untouched
    }
  }
}
