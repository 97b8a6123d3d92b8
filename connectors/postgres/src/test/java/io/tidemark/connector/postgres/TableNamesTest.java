package io.tidemark.connector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TableNamesTest {

  private final TableNames names = new TableNames("read model", Map.of("users", "people"));

  @Test
  void plainCollectionNamesGetThePrefixOnly() {
    assertThat(names.table("ads")).isEqualTo("tm_ads");
    assertThat(names.table("ads_2024")).isEqualTo("tm_ads_2024");
  }

  @Test
  void configuredNamesWin() {
    assertThat(names.table("users")).isEqualTo("people");
    assertThat(names.qualified("users")).isEqualTo("\"read model\".\"people\"");
  }

  @Test
  void otherNamesAreSanitizedWithAHashSoTheyNeverCollide() {
    String upper = names.table("Ads");
    String dashed = names.table("a-b");
    assertThat(upper).matches("tm_ads_[0-9a-f]{8}");
    assertThat(dashed).matches("tm_a_b_[0-9a-f]{8}");
    assertThat(upper).isNotEqualTo(names.table("ads"));
    assertThat(dashed).isNotEqualTo(names.table("a_b"));
    assertThat(names.table("ключ")).matches("tm_[_]{4}_[0-9a-f]{8}");
    assertThat(names.table("ключ")).isNotEqualTo(names.table("знак"));
  }

  @Test
  void longNamesFitPostgresIdentifiersWithRoomForIndexSuffixes() {
    String table = names.table("x".repeat(200));
    assertThat(table.getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(TableNames.MAX_TABLE_BYTES);
    assertThat(table).isNotEqualTo(names.table("x".repeat(201)));
    assertThat(TableNames.indexName(table, "closed").length()).isLessThanOrEqualTo(63);
    assertThat(TableNames.indexName("t".repeat(63), "open")).matches("tm_[0-9a-f]{8}_open");
  }

  @Test
  void quotesEscapeDoubleQuotes() {
    assertThat(TableNames.quote("a\"b")).isEqualTo("\"a\"\"b\"");
  }
}
