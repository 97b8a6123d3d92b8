package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElasticsearchStoreConfigTest {

  private static final ElasticsearchStoreConfig DEFAULTS =
      ElasticsearchStoreConfig.of("http://127.0.0.1:9200");

  @Test
  void defaults() {
    assertThat(DEFAULTS.urls()).containsExactly(URI.create("http://127.0.0.1:9200"));
    assertThat(DEFAULTS.indexPrefix()).isEqualTo("tm-");
    assertThat(DEFAULTS.storeName()).isEqualTo("elasticsearch");
    assertThat(DEFAULTS.maxBulkBytes()).isEqualTo(8 * 1024 * 1024);
    assertThat(DEFAULTS.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(DEFAULTS.keyCacheSize()).isEqualTo(100_000);
    assertThat(DEFAULTS.searchFields()).containsExactly("*");
  }

  @Test
  void withersChangeOneSetting() {
    ElasticsearchStoreConfig config =
        DEFAULTS
            .withIndexPrefix("search-")
            .withStoreName("search")
            .withMaxBulkBytes(1 << 20)
            .withRequestTimeout(Duration.ofSeconds(5))
            .withKeyCacheSize(0)
            .withSearchFields(List.of("title^2", "body"));

    assertThat(config)
        .isEqualTo(
            new ElasticsearchStoreConfig(
                DEFAULTS.urls(),
                "search-",
                "search",
                1 << 20,
                Duration.ofSeconds(5),
                0,
                List.of("title^2", "body")));
  }

  @Test
  void badUrlsAreRefusedWithTheValidForm() {
    assertThatThrownBy(() -> ElasticsearchStoreConfig.of("127.0.0.1:9200"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("127.0.0.1:9200")
        .hasMessageContaining("http(s)://host[:port]");
    assertThatThrownBy(() -> ElasticsearchStoreConfig.of("http://host:9200/some/path"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new ElasticsearchStoreConfig(
                    List.of(), "tm-", "s", 1 << 20, Duration.ofSeconds(1), 1, List.of("*")))
        .hasMessageContaining("urls is empty");
  }

  @Test
  void badValuesAreRefusedNamingTheSetting() {
    assertThatThrownBy(() -> DEFAULTS.withIndexPrefix("TM-"))
        .hasMessageContaining("indexPrefix 'TM-'")
        .hasMessageContaining("upper-case");
    assertThatThrownBy(() -> DEFAULTS.withIndexPrefix("_tm"))
        .hasMessageContaining("indexPrefix '_tm'");
    assertThatThrownBy(() -> DEFAULTS.withIndexPrefix("tm*")).hasMessageContaining("contains '*'");
    assertThatThrownBy(() -> DEFAULTS.withStoreName(" ")).hasMessageContaining("storeName");
    assertThatThrownBy(() -> DEFAULTS.withMaxBulkBytes(1000))
        .hasMessageContaining("maxBulkBytes 1000")
        .hasMessageContaining("65536 to 104857600");
    assertThatThrownBy(() -> DEFAULTS.withRequestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout");
    assertThatThrownBy(() -> DEFAULTS.withKeyCacheSize(-1)).hasMessageContaining("keyCacheSize -1");
    assertThatThrownBy(() -> DEFAULTS.withSearchFields(List.of()))
        .hasMessageContaining("searchFields");
  }

  @Test
  void anEmptyPrefixIsAllowed() {
    assertThat(DEFAULTS.withIndexPrefix("").indexPrefix()).isEmpty();
  }
}
