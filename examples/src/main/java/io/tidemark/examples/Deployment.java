package io.tidemark.examples;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.devstack.Devstack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The classified-ads deployment on devstack: source tables {@code ads} and {@code ad_images}, a
 * coordinator feeding Elasticsearch ({@code search}), Redis ({@code cache}), Memcached ({@code
 * memo}) and a read database ({@code readdb}), and a reader client in this process.
 */
final class Deployment implements AutoCloseable {

  static final String SOURCE = "listings";
  static final List<String> COLLECTIONS = List.of("ads", "ad_images");

  final Devstack stack;
  final Path stateDir;
  final Path configFile;
  final Coordinator coordinator;
  final Tidemark tidemark;

  /**
   * @param lags per store name ({@code search}, {@code cache}, {@code memo}, {@code readdb}), an
   *     extra delay in its lane (the coordinator's {@code stores.<name>.lag})
   * @param workDir where the configuration and the coordinator's state are written
   */
  Deployment(Devstack stack, Map<String, Duration> lags, Path workDir) throws SQLException {
    this.stack = stack;
    createTables();
    try {
      Files.createDirectories(workDir);
      this.stateDir = Files.createTempDirectory(workDir, "state-");
      this.configFile = workDir.resolve("classified-ads.yaml");
      Files.writeString(configFile, yaml(lags));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo's configuration under " + workDir, e);
    }
    this.coordinator = Coordinator.start(ConfigLoader.load(configFile));
    var pg = stack.postgres();
    this.tidemark =
        Tidemark.builder()
            .frontier(
                FrontierSource.inProcess(
                    coordinator.tracker(), coordinator::horizon, coordinator::detachedStores))
            .source(SOURCE)
            .store(
                ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
                    .withIndexPrefix("demo-")
                    .withStoreName("search"))
            .store(RedisStoreConfig.of("cache", redisAddress()))
            .store(MemcachedStoreConfig.of("memo", stack.memcached().address()))
            .store(
                PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
                    .withSchema("readdb")
                    .withStoreName("readdb"))
            .collection("ads", "search", "cache", "readdb")
            .collection("ad_images", "memo", "readdb")
            .build();
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  private void createTables() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      // Any further column is nullable or has a default: a plain
      // INSERT INTO ads (id, title, price_cents) from psql flows through like the writer's rows.
      s.execute(
          "CREATE TABLE IF NOT EXISTS ads (id bigint PRIMARY KEY, title text NOT NULL,"
              + " price_cents integer, seller text, posted_at timestamptz NOT NULL DEFAULT now())");
      s.execute(
          "CREATE TABLE IF NOT EXISTS ad_images (id bigint PRIMARY KEY, ad_id bigint NOT NULL,"
              + " url text NOT NULL)");
      s.execute("CREATE SCHEMA IF NOT EXISTS readdb");
    }
  }

  String redisAddress() {
    return stack.redis().host() + ":" + stack.redis().port();
  }

  private String yaml(Map<String, Duration> lags) {
    var pg = stack.postgres();
    return """
        # Written by the classified-ads demo (examples/); the coordinator runs from it.
        source:
          name: %s
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: tidemark_demo
          heartbeat: 100ms
          dropSlotOnStop: true
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "demo-"%s}
          cache: {kind: redis, address: "%s"%s}
          memo: {kind: memcached, address: "%s"%s}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: readdb%s}
        collections:
          ads:
            table: public.ads
            stores:
              search: {fields: {id: id, title: title, price_cents: price_cents}}
              cache: {}
              readdb: {}
          ad_images:
            table: public.ad_images
            stores: {memo: {}, readdb: {}}
        epochs: {maxDuration: 20ms, maxChanges: 2000}
        lanes: {retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms}
        retention: 5m
        stateDir: "%s"
        sidecar: {host: 127.0.0.1, port: 0}
        """
        .formatted(
            SOURCE,
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            stack.elasticsearch().httpUrl(),
            lag(lags, "search"),
            redisAddress(),
            lag(lags, "cache"),
            stack.memcached().address(),
            lag(lags, "memo"),
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            lag(lags, "readdb"),
            stateDir);
  }

  /** The store's artificial lag (the coordinator's {@code stores.<name>.lag}), if any. */
  private static String lag(Map<String, Duration> lags, String store) {
    Duration lag = lags.getOrDefault(store, Duration.ZERO);
    return lag.isZero() ? "" : ", lag: " + lag.toMillis() + "ms";
  }

  @Override
  public void close() {
    try {
      tidemark.close();
    } finally {
      try {
        coordinator.close();
      } finally {
        deleteState();
      }
    }
  }

  private void deleteState() {
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary folder is harmless
    }
  }
}
