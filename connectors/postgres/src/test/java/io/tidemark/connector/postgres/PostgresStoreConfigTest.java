package io.tidemark.connector.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresStoreConfigTest {

  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/readdb";

  @Test
  void defaultsAreDocumented() {
    PostgresStoreConfig config = PostgresStoreConfig.of(URL, "tidemark", "s3cret");
    assertThat(config.schema()).isEqualTo("public");
    assertThat(config.storeName()).isEqualTo("readdb");
    assertThat(config.poolSize()).isEqualTo(4);
    assertThat(config.tables()).isEmpty();
  }

  @Test
  void toStringNeverShowsThePassword() {
    PostgresStoreConfig config = PostgresStoreConfig.of(URL, "tidemark", "s3cret-value");
    assertThat(config.toString()).doesNotContain("s3cret-value").contains("password=***");
  }

  @Test
  void rejectsANonPostgresUrlNamingItAndTheExpectedForm() {
    assertThatThrownBy(() -> PostgresStoreConfig.of("jdbc:mysql://x/y", "u", "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:mysql://x/y")
        .hasMessageContaining("jdbc:postgresql://HOST:PORT/DATABASE");
  }

  @Test
  void rejectsPoolSizesOutOfRange() {
    PostgresStoreConfig config = PostgresStoreConfig.of(URL, "u", "p");
    assertThatThrownBy(() -> config.withPoolSize(0))
        .hasMessageContaining("poolSize 0")
        .hasMessageContaining("1 to 64");
    assertThatThrownBy(() -> config.withPoolSize(65)).hasMessageContaining("poolSize 65");
    assertThat(config.withPoolSize(64).poolSize()).isEqualTo(64);
  }

  @Test
  void rejectsIdentifiersLongerThanPostgresAllows() {
    PostgresStoreConfig config = PostgresStoreConfig.of(URL, "u", "p");
    assertThatThrownBy(() -> config.withSchema("s".repeat(64)))
        .hasMessageContaining("schema")
        .hasMessageContaining("63 bytes");
    assertThatThrownBy(() -> config.withTable("ads", "ж".repeat(32)))
        .hasMessageContaining("tables['ads']");
    assertThatThrownBy(() -> config.withSchema(" ")).hasMessageContaining("schema is blank");
  }

  @Test
  void tablesAreCopiedAndUnmodifiable() {
    java.util.HashMap<String, String> tables = new java.util.HashMap<>(Map.of("ads", "ads_v"));
    PostgresStoreConfig config =
        new PostgresStoreConfig(URL, "u", "", "public", "readdb", 2, tables);
    tables.put("users", "users_v");
    assertThat(config.tables()).containsOnlyKeys("ads");
    assertThatThrownBy(() -> config.tables().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(config.withTable("users", "u_v").tables()).containsOnlyKeys("ads", "users");
  }
}
