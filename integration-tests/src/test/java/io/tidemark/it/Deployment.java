package io.tidemark.it;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.coordinator.sidecar.Sidecar;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A small deployment on devstack's shared stores for the bad-input tests: tables of one's own
 * (named with a random suffix), a coordinator in this JVM with its sidecar, and a library client.
 * Every collection goes to all four stores ({@code search}, {@code cache}, {@code memo}, {@code
 * readdb}).
 */
final class Deployment implements AutoCloseable {

  final Devstack stack = Devstack.shared();
  final String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  final Path stateDir;

  /** collection name → source table (public.<collection>_<suffix>). */
  final Map<String, String> tables = new LinkedHashMap<>();

  final List<String> extraYaml = new ArrayList<>();
  Coordinator coordinator;
  Sidecar sidecar;
  Tidemark cacheClient;
  Tidemark memoClient;
  private final HttpClient http = HttpClient.newHttpClient();

  Deployment(Path stateDir) throws SQLException {
    this.stateDir = stateDir;
    sql("CREATE SCHEMA IF NOT EXISTS readdb_" + suffix);
  }

  /**
   * Creates a source table for a collection: {@code columns} is the column list of CREATE TABLE.
   */
  String table(String collection, String columns) throws SQLException {
    String table = "public." + collection + "_" + suffix;
    sql("CREATE TABLE " + table + " (" + columns + ")");
    tables.put(collection, table);
    return table;
  }

  String yaml() {
    var pg = stack.postgres();
    StringBuilder collections = new StringBuilder();
    tables.forEach(
        (c, t) ->
            collections
                .append("  ")
                .append(c)
                .append(":\n    table: ")
                .append(t)
                .append("\n    stores: {search: {}, cache: {}, memo: {}, readdb: {}}\n"));
    return """
        source:
          name: listings
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: tm_bad_%s
          dropSlotOnStop: true
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "bad%s-"}
          cache: {kind: redis, address: "%s:%d"}
          memo: {kind: memcached, address: "%s"}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: readdb_%s}
        collections:
        %s
        epochs: {maxDuration: 20ms, maxChanges: 2000}
        lanes: {retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms}
        stateDir: "%s"
        sidecar: {host: 127.0.0.1, port: 0}
        """
            .formatted(
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                suffix,
                stack.elasticsearch().httpUrl(),
                suffix,
                stack.redis().host(),
                stack.redis().port(),
                stack.memcached().address(),
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                suffix,
                collections,
                stateDir)
        + String.join("\n", extraYaml);
  }

  /** Starts the coordinator, its sidecar and two clients (one reading Redis, one Memcached). */
  Deployment start() throws java.io.IOException {
    java.nio.file.Files.createDirectories(stateDir);
    Path config = stateDir.resolve("tidemark.yaml");
    java.nio.file.Files.writeString(config, yaml());
    coordinator = Coordinator.start(ConfigLoader.load(config));
    sidecar = Sidecar.serve(coordinator);
    cacheClient = client("cache");
    memoClient = client("memo");
    return this;
  }

  private Tidemark client(String cache) {
    var pg = stack.postgres();
    Tidemark.Builder b =
        Tidemark.builder()
            .frontier(
                FrontierSource.inProcess(
                    coordinator.tracker(), coordinator::horizon, coordinator::detachedStores))
            .source("listings")
            .store(
                ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
                    .withIndexPrefix("bad" + suffix + "-")
                    .withStoreName("search"))
            .store(
                PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
                    .withSchema("readdb_" + suffix)
                    .withStoreName("readdb"));
    if (cache.equals("cache")) {
      b.store(RedisStoreConfig.of("cache", stack.redis().host() + ":" + stack.redis().port()));
    } else {
      b.store(MemcachedStoreConfig.of("memo", stack.memcached().address()));
    }
    tables.keySet().forEach(c -> b.collection(c, "search", cache, "readdb"));
    return b.build();
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  void sql(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs statements in one transaction and returns an upper bound of its commit LSN. */
  Version commit(String... statements) throws SQLException {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        for (String statement : statements) {
          s.execute(statement);
        }
      }
      c.commit();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        return Version.parse(rs.getString(1));
      }
    }
  }

  /** Waits until the frontier covers {@code version}; false when it did not within the timeout. */
  boolean frontierCovers(Version version, Duration timeout) {
    return Campaign.awaitQuietly(
        () -> coordinator.frontier().get("listings").map(v -> !v.isBefore(version)).orElse(false),
        timeout);
  }

  Stamp frontier() {
    return coordinator.frontier();
  }

  HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + pathAndQuery)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Raw bytes on the sidecar's socket: for request lines no HTTP client would send. */
  String raw(String request) throws Exception {
    URI base = URI.create(sidecar.baseUrl());
    try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      byte[] head = s.getInputStream().readNBytes(12);
      return new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  @Override
  public void close() throws SQLException {
    if (cacheClient != null) {
      cacheClient.close();
      memoClient.close();
    }
    if (sidecar != null) {
      sidecar.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
    for (String table : tables.values()) {
      sql("DROP TABLE IF EXISTS " + table);
    }
    sql("DROP SCHEMA IF EXISTS readdb_" + suffix + " CASCADE");
    sql(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'tm_bad_"
            + suffix
            + "' AND NOT active");
  }
}
