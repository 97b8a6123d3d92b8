package io.tidemark.coordinator;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStore;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.protocol.store.StoreWriter;

/** Opens the connector for a configured store. */
final class StoreConnections {

  private StoreConnections() {}

  /** The store's connector; it serves both as writer and (see {@link #reader}) reader. */
  static StoreWriter writer(TidemarkConfig.Store store) {
    return (StoreWriter) open(store);
  }

  static Object open(TidemarkConfig.Store store) {
    switch (store.kind()) {
      case ELASTICSEARCH:
        {
          ElasticsearchStoreConfig config =
              ElasticsearchStoreConfig.of(store.setting("url")).withStoreName(store.name());
          if (store.setting("indexPrefix") != null) {
            config = config.withIndexPrefix(store.setting("indexPrefix"));
          }
          return ElasticsearchStore.open(config);
        }
      case REDIS:
        return RedisStore.open(RedisStoreConfig.of(store.name(), store.setting("address")));
      case MEMCACHED:
        return MemcachedStore.open(MemcachedStoreConfig.of(store.name(), store.setting("address")));
      case POSTGRES:
        {
          PostgresStoreConfig config =
              PostgresStoreConfig.of(
                      store.setting("jdbcUrl"), store.setting("user"), store.password().value())
                  .withStoreName(store.name());
          if (store.setting("schema") != null) {
            config = config.withSchema(store.setting("schema"));
          }
          return PostgresStore.open(config);
        }
      default:
        throw new IllegalArgumentException("unknown store kind " + store.kind());
    }
  }
}
