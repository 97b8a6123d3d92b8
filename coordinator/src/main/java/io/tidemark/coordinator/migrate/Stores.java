package io.tidemark.coordinator.migrate;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStore;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreWriter;
import java.util.function.Consumer;

/** Opens a configured store's connector, and what the migration tool needs of each kind. */
final class Stores {

  private Stores() {}

  static ElasticsearchStoreConfig elasticsearch(TidemarkConfig.Store store) {
    ElasticsearchStoreConfig config =
        ElasticsearchStoreConfig.of(store.setting("url")).withStoreName(store.name());
    return store.setting("indexPrefix") == null
        ? config
        : config.withIndexPrefix(store.setting("indexPrefix"));
  }

  static PostgresStoreConfig postgres(TidemarkConfig.Store store) {
    PostgresStoreConfig config =
        PostgresStoreConfig.of(
                store.setting("jdbcUrl"),
                store.setting("user"),
                store.password() == null ? "" : store.password().value())
            .withStoreName(store.name());
    return store.setting("schema") == null ? config : config.withSchema(store.setting("schema"));
  }

  /** The store's connector: a {@link StoreWriter} and a {@link StoreReader}. */
  static AutoCloseable open(TidemarkConfig.Store store) {
    switch (store.kind()) {
      case ELASTICSEARCH:
        return ElasticsearchStore.open(elasticsearch(store));
      case POSTGRES:
        return PostgresStore.open(postgres(store));
      case REDIS:
        return RedisStore.open(RedisStoreConfig.of(store.name(), store.setting("address")));
      case MEMCACHED:
        return MemcachedStore.open(
            MemcachedStoreConfig.of(store.name(), store.setting("address").split("\\s*,\\s*")));
      default:
        throw new IllegalArgumentException("unknown store kind " + store.kind());
    }
  }

  /** Whether the store can list a whole collection at a version (search index, read database). */
  static boolean scannable(Object connector) {
    return connector instanceof ElasticsearchStore || connector instanceof PostgresStore;
  }

  static void scan(Object connector, String collection, Version at, Consumer<Entry> each) {
    if (connector instanceof ElasticsearchStore es) {
      es.scan(collection, at, each);
    } else if (connector instanceof PostgresStore pg) {
      pg.scan(collection, at, each);
    } else {
      throw new IllegalArgumentException(connector + " cannot list a collection");
    }
  }

  /** Where a store keeps its data, to tell two stores apart: kind, address and prefix/schema. */
  static String location(TidemarkConfig.Store store) {
    switch (store.kind()) {
      case ELASTICSEARCH:
        return "elasticsearch "
            + store.setting("url")
            + " prefix "
            + elasticsearch(store).indexPrefix();
      case POSTGRES:
        return "postgres " + store.setting("jdbcUrl") + " schema " + postgres(store).schema();
      default:
        return store.kind().name().toLowerCase(java.util.Locale.ROOT)
            + " "
            + store.setting("address");
    }
  }
}
