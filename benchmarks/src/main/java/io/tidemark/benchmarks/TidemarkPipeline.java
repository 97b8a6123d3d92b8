package io.tidemark.benchmarks;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tidemark itself: {@link Coordinator#start} on a deployment of the four devstack stores with one
 * collection over the benchmark's table, configured as a user would (defaults unless {@code extra}
 * YAML overrides epochs or lanes). Readable means the frontier covers the write.
 */
final class TidemarkPipeline implements Pipeline {

  static final String SOURCE = "listings";
  static final String COLLECTION = "ads";
  private static final Pattern COUNTER =
      Pattern.compile(
          "^tidemark_lane_(writes|source_changes)_total\\{store=\"([^\"]+)\"[^}]*} (\\S+)$",
          Pattern.MULTILINE);

  private final Devstack stack;
  private final String table;
  private final Path stateDir;
  private final String extra;
  private Coordinator coordinator;

  TidemarkPipeline(Devstack stack, String table, Path stateDir, String extra) {
    this.stack = stack;
    this.table = table;
    this.stateDir = stateDir;
    this.extra = extra;
  }

  @Override
  public String name() {
    return "Tidemark";
  }

  @Override
  public String source() {
    return SOURCE;
  }

  String yaml() {
    var pg = stack.postgres();
    String redis = stack.redis().host() + ":" + stack.redis().port();
    return """
        source:
          name: %s
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: bench_tidemark
          dropSlotOnStop: true
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "tm-"}
          cache: {kind: redis, address: "%s"}
          memo: {kind: memcached, address: "%s"}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: readdb_tm}
        collections:
          %s:
            table: %s
            stores: {search: {}, cache: {}, memo: {}, readdb: {}}
        stateDir: "%s"
        %s
        """
        .formatted(
            SOURCE,
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            stack.elasticsearch().httpUrl(),
            redis,
            stack.memcached().address(),
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            COLLECTION,
            table,
            stateDir,
            extra);
  }

  /** Loads the configuration as the command line does, from a file in the state folder. */
  TidemarkConfig config() throws java.io.IOException {
    Path file = stateDir.resolve("tidemark.yaml");
    java.nio.file.Files.createDirectories(stateDir);
    java.nio.file.Files.writeString(file, yaml());
    return ConfigLoader.load(file);
  }

  @Override
  public void start() throws Exception {
    var pg = stack.postgres();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS readdb_tm");
    }
    coordinator = Coordinator.start(config());
  }

  TidemarkConfig startedConfig() {
    return coordinator.config();
  }

  @Override
  public FrontierTracker progress() {
    return coordinator.tracker();
  }

  @Override
  public void probe(Workload.Probe probe, LongConsumer lag) {
    coordinator
        .tracker()
        .whenCovers(Stamp.of(SOURCE, probe.upperLsn()))
        .orTimeout(PipelineBenchmark.PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (frontier, failure) ->
                lag.accept(failure == null ? System.nanoTime() - probe.committedNanos() : -1));
  }

  @Override
  public String indexPattern() {
    return "tm-*";
  }

  @Override
  public Map<String, long[]> writeCounts() {
    Map<String, long[]> counts = new TreeMap<>();
    Matcher m = COUNTER.matcher(coordinator.scrapeMetrics());
    while (m.find()) {
      long[] c = counts.computeIfAbsent(m.group(2), s -> new long[2]);
      c[m.group(1).equals("writes") ? 1 : 0] = (long) Double.parseDouble(m.group(3));
    }
    return counts;
  }

  /**
   * A reader's client on this deployment, as a service would build it, with the frontier read from
   * the running coordinator: collection {@code ads} in the search index, {@code cache} (a store
   * name: {@code cache} for Redis, {@code memo} for Memcached) and the read database.
   */
  Tidemark client(String cache) {
    var pg = stack.postgres();
    Tidemark.Builder b =
        Tidemark.builder()
            .frontier(
                FrontierSource.inProcess(
                    coordinator.tracker(), coordinator::horizon, coordinator::detachedStores))
            .source(SOURCE)
            .store(
                ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
                    .withIndexPrefix("tm-")
                    .withStoreName("search"))
            .store(
                PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
                    .withSchema("readdb_tm")
                    .withStoreName("readdb"));
    if (cache.equals("cache")) {
      b.store(RedisStoreConfig.of("cache", stack.redis().host() + ":" + stack.redis().port()));
    } else {
      b.store(MemcachedStoreConfig.of(cache, stack.memcached().address()));
    }
    return b.collection(COLLECTION, "search", cache, "readdb").build();
  }

  /** Per store: state, backlog (epochs queued), for the diagnostics. */
  Map<String, Coordinator.StoreStatus> stores() {
    return coordinator.stores();
  }

  String scrapeMetrics() {
    return coordinator.scrapeMetrics();
  }

  @Override
  public void close() {
    if (coordinator != null) {
      coordinator.close();
      if (!coordinator.healthy()) {
        System.out.println("Tidemark ended unhealthy: " + coordinator.sourceError());
      }
    }
  }
}
