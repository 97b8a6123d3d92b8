package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.coordinator.TidemarkConfig.StoreKind;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  static final String VALID =
      """
      source:
        name: listings
        jdbcUrl: jdbc:postgresql://127.0.0.1:5432/app
        user: tidemark
        password: ${PGPASSWORD}
      stores:
        search: {kind: elasticsearch, url: "http://127.0.0.1:9200"}
        cache: {kind: redis, address: "127.0.0.1:6379", lag: 300ms}
        readdb: {kind: postgres, jdbcUrl: "jdbc:postgresql://127.0.0.1:5432/read", user: r, password: "${READ_PW:-secret}"}
      collections:
        ads:
          table: public.ads
          stores:
            search: {fields: {id: id, title: title}}
            cache: {}
            readdb:
      epochs: {maxDuration: 50ms, maxChanges: 100}
      retention: 2m
      """;

  private static TidemarkConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "test.yaml", Map.of("PGPASSWORD", "pw")::get);
  }

  @Test
  void readsAValidFileWithDefaultsAndEnvironment() {
    TidemarkConfig config = parse(VALID);
    assertThat(config.source().name()).isEqualTo("listings");
    assertThat(config.source().password().value()).isEqualTo("pw");
    assertThat(config.source().password().toString()).isEqualTo("****");
    assertThat(config.source().slot()).isEqualTo("tidemark_listings");
    assertThat(config.source().heartbeat()).isEqualTo(Duration.ofMillis(100));
    assertThat(config.stores().get("search").kind()).isEqualTo(StoreKind.ELASTICSEARCH);
    assertThat(config.stores().get("search").lag()).isEqualTo(Duration.ZERO);
    assertThat(config.stores().get("cache").lag()).isEqualTo(Duration.ofMillis(300));
    assertThat(config.stores().get("readdb").password().value()).isEqualTo("secret");
    assertThat(config.collectionsIn("search").get("ads").fields()).containsEntry("title", "title");
    assertThat(config.collectionsIn("readdb")).containsKey("ads");
    assertThat(config.epochs().maxDuration()).isEqualTo(Duration.ofMillis(50));
    assertThat(config.epochs().maxChanges()).isEqualTo(100);
    assertThat(config.retention()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.sidecar().port()).isEqualTo(7070);
    assertThat(config.tables()).containsExactly("public.ads");
  }

  @Test
  void reportsEveryProblemWithKeyValueAndWhatIsValid() {
    String yaml =
        VALID
            .replace("kind: redis", "kind: reddis")
            .replace("maxDuration: 50ms", "maxDuration: 50 parsecs")
            .replace("cache: {}", "cache: {}\n      memo: {}")
            .replace("retention: 2m", "retention: 2m\nretentoin: 3m");
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e -> {
              var problems = ((ConfigException) e).problems();
              assertThat(problems).hasSize(4);
              assertThat(problems)
                  .anySatisfy(
                      p ->
                          assertThat(p)
                              .contains(
                                  "stores.cache.kind: 'reddis' is not one of [elasticsearch, redis, memcached, postgres]"))
                  .anySatisfy(
                      p ->
                          assertThat(p)
                              .contains("epochs.maxDuration: '50 parsecs' is not a duration"))
                  .anySatisfy(
                      p ->
                          assertThat(p)
                              .contains("collections.ads.stores.memo: unknown store 'memo'"))
                  .anySatisfy(
                      p -> assertThat(p).contains("retentoin: unknown key; valid keys here"));
            });
  }

  @Test
  void namesAMissingEnvironmentVariable() {
    assertThatThrownBy(() -> ConfigLoader.parse(VALID, "test.yaml", name -> null))
        .hasMessageContaining("source.password: environment variable PGPASSWORD is not set");
  }

  @Test
  void namesMissingRequiredSections() {
    assertThatThrownBy(() -> parse("source: {name: x}\n"))
        .hasMessageContaining("stores: missing")
        .hasMessageContaining("collections: missing")
        .hasMessageContaining("source.jdbcUrl: missing; it is required");
  }

  @Test
  void aCollectionInCachesOnlyIsRefused() {
    String yaml =
        VALID
            .replace("      search: {fields: {id: id, title: title}}\n", "")
            .replace("      readdb:\n", "");
    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining("collections.ads.stores: [cache] are all caches");
  }

  @Test
  void rejectsNonYaml() {
    assertThatThrownBy(() -> parse("[1, 2")).hasMessageContaining("not valid YAML");
    assertThatThrownBy(() -> parse("- a\n- b\n")).hasMessageContaining("must be a YAML mapping");
  }
}
