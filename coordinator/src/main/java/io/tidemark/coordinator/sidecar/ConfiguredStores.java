package io.tidemark.coordinator.sidecar;

import io.tidemark.client.Tidemark;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.coordinator.TidemarkConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The read side of a deployment's configuration: each configured store as a client connection
 * (sized for the sidecar's threads, with its request timeout), each collection with its source and
 * stores.
 */
final class ConfiguredStores {

  private ConfiguredStores() {}

  static Tidemark.Builder addTo(
      Tidemark.Builder builder, TidemarkConfig config, SidecarOptions options) {
    Duration timeout = options.requestTimeout();
    int connections = Math.min(options.threads(), PostgresStoreConfig.MAX_POOL_SIZE);
    List<TidemarkConfig.Store> stores = new ArrayList<>(config.stores().values());
    stores.sort(Comparator.comparing(TidemarkConfig.Store::name));
    for (TidemarkConfig.Store store : stores) {
      switch (store.kind()) {
        case ELASTICSEARCH:
          {
            ElasticsearchStoreConfig es =
                ElasticsearchStoreConfig.of(store.setting("url"))
                    .withStoreName(store.name())
                    .withRequestTimeout(timeout);
            if (store.setting("indexPrefix") != null) {
              es = es.withIndexPrefix(store.setting("indexPrefix"));
            }
            builder.store(es);
            break;
          }
        case REDIS:
          builder.store(
              RedisStoreConfig.of(store.name(), store.setting("address"))
                  .withTimeouts(min(timeout, Duration.ofSeconds(2)), timeout)
                  .withMaxConnections(connections));
          break;
        case MEMCACHED:
          builder.store(
              MemcachedStoreConfig.of(store.name(), store.setting("address").split("\\s*,\\s*"))
                  .withTimeout(timeout));
          break;
        case POSTGRES:
          {
            PostgresStoreConfig pg =
                PostgresStoreConfig.of(
                        store.setting("jdbcUrl"),
                        store.setting("user"),
                        store.password() == null ? "" : store.password().value())
                    .withStoreName(store.name())
                    .withPoolSize(connections);
            if (store.setting("schema") != null) {
              pg = pg.withSchema(store.setting("schema"));
            }
            builder.store(pg);
            break;
          }
        default:
          throw new IllegalArgumentException("unknown store kind " + store.kind());
      }
    }
    String source = config.source().name();
    builder.source(source);
    config.collections().values().stream()
        .sorted(Comparator.comparing(TidemarkConfig.Collection::name))
        .forEach(
            c -> {
              // A store in a migration is not read until `tidemark migrate switch` moves readers.
              java.util.Set<String> read = new java.util.TreeSet<>();
              c.stores().keySet().stream()
                  .filter(s -> config.stores().get(s).migration() == TidemarkConfig.Migration.NONE)
                  .forEach(read::add);
              builder.collection(c.name(), source, read);
            });
    return builder;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
