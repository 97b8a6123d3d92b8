package io.tidemark.client;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStore;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The write side for the read-path ITs, on the devstack's real stores: a stand-in for the source
 * and the coordinator's lanes. {@link #commit} gives each write its commit version (increasing, as
 * a source database would) and returns at once; an engine thread cuts what was committed into
 * epochs, applies each to Elasticsearch ({@code search}), Redis ({@code cache}), Memcached ({@code
 * memo}) and PostgreSQL ({@code readdb}) through their real writers, makes it visible and reports
 * each store's watermark to a {@link FrontierTracker}.
 *
 * <p>It records every epoch (the history), so a test can say what the source held at any stamp.
 * Shared with the coordinator's sidecar tests through this module's test jar.
 */
public final class WritePath implements AutoCloseable {

  public static final String SOURCE = "listings";
  public static final List<String> STORES = List.of("search", "cache", "memo", "readdb");

  public final String collection;
  public final Devstack stack = Devstack.shared();
  public final String indexPrefix;
  public final String schema;
  public final FrontierTracker tracker = new FrontierTracker(STORES);
  private final Map<String, StoreWriter> writers = new LinkedHashMap<>();

  /** key → epoch version → document (empty: deleted at that version). */
  private final Map<String, ConcurrentSkipListMap<Long, Optional<Map<String, Object>>>> history =
      new ConcurrentHashMap<>();

  /** Every published frontier, in order. */
  public final List<Stamp> frontiers = new CopyOnWriteArrayList<>();

  private final Object commitLock = new Object();
  private long lsn = 0x1_0000_0000L; // commit versions start at 1/0
  private final BlockingQueue<Committed> queue = new LinkedBlockingQueue<>();
  private final Thread engine;
  private volatile boolean running = true;
  private volatile Throwable failure;

  /** Time spent per store and step, in nanoseconds; for diagnosing slow runs. */
  final Map<String, Long> timings = new ConcurrentHashMap<>();

  final java.util.concurrent.atomic.AtomicLong epochs =
      new java.util.concurrent.atomic.AtomicLong();

  public String timings() {
    StringBuilder out = new StringBuilder(epochs.get() + " epochs;");
    new java.util.TreeMap<>(timings)
        .forEach(
            (k, v) -> out.append(' ').append(k).append('=').append(v / 1_000_000).append("ms"));
    return out.toString();
  }

  private record Committed(Version version, Write write) {}

  /** A write path with names of its own (prefix {@code it}). */
  public WritePath() {
    this("it");
  }

  /** A write path whose index and schema names start with {@code prefix} (lowercase letters). */
  public WritePath(String prefix) {
    String suffix =
        String.format(Locale.ROOT, "%08x", ThreadLocalRandom.current().nextInt() & 0x7fffffff);
    this.collection = "ads_" + suffix;
    this.indexPrefix = "tm-" + prefix + "-" + suffix + "-";
    this.schema = prefix + "_" + suffix;
    writers.put("search", ElasticsearchStore.open(esConfig()));
    writers.put("cache", RedisStore.open(redisConfig()));
    writers.put("memo", MemcachedStore.open(memcachedConfig()));
    writers.put("readdb", PostgresStore.open(postgresConfig().withPoolSize(1)));
    tracker.addListener(frontiers::add);
    engine = new Thread(this::run, "write-path-engine");
    engine.setDaemon(true);
    engine.start();
  }

  public ElasticsearchStoreConfig esConfig() {
    return ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
        .withStoreName("search")
        .withIndexPrefix(indexPrefix);
  }

  public RedisStoreConfig redisConfig() {
    return RedisStoreConfig.of("cache", stack.redis().host() + ":" + stack.redis().port())
        .withMaxConnections(32);
  }

  public MemcachedStoreConfig memcachedConfig() {
    return MemcachedStoreConfig.of("memo", stack.memcached().address());
  }

  public PostgresStoreConfig postgresConfig() {
    var pg = stack.postgres();
    return PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
        .withSchema(schema)
        .withStoreName("readdb")
        .withPoolSize(16);
  }

  /**
   * A client on these stores: {@code collection} read through {@code cacheStore} (cache or memo),
   * then the read database, and the search index.
   */
  public Tidemark.Builder client(FrontierSource frontier, String cacheStore) {
    Tidemark.Builder b = Tidemark.builder().frontier(frontier).source(SOURCE);
    b.store(esConfig()).store(postgresConfig());
    if (cacheStore.equals("cache")) {
      b.store(redisConfig());
    } else {
      b.store(memcachedConfig());
    }
    return b.collection(collection, cacheStore, "readdb", "search");
  }

  /** Commits an upsert (or, with a null document, a delete) and returns its commit version. */
  public Version commit(String key, Map<String, Object> document) {
    synchronized (commitLock) {
      lsn += 8 + ThreadLocalRandom.current().nextInt(64);
      Version version = Version.of(lsn);
      Write write =
          document == null
              ? Write.delete(collection, key)
              : Write.upsert(collection, key, document);
      queue.add(new Committed(version, write));
      return version;
    }
  }

  private void run() {
    List<Committed> batch = new ArrayList<>();
    while (running) {
      try {
        Committed first = queue.poll(20, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, 4999);
        Epoch.Builder builder = Epoch.builder(SOURCE);
        batch.forEach(c -> builder.add(c.write()));
        Version version = batch.get(batch.size() - 1).version();
        Epoch epoch = builder.build(version);
        // The history first: a frontier at this epoch may be read as soon as it is published.
        for (Write w : epoch.writes()) {
          history
              .computeIfAbsent(w.key(), k -> new ConcurrentSkipListMap<>(Long::compareUnsigned))
              .put(version.asLong(), Optional.ofNullable(w.document()));
        }
        for (Map.Entry<String, StoreWriter> store : writers.entrySet()) {
          long t0 = System.nanoTime();
          apply(store.getKey(), store.getValue(), epoch);
          timings.merge(store.getKey() + ".apply", System.nanoTime() - t0, Long::sum);
        }
        for (Map.Entry<String, StoreWriter> store : writers.entrySet()) {
          long t0 = System.nanoTime();
          tracker.report(store.getKey(), store.getValue().makeVisible());
          timings.merge(store.getKey() + ".visible", System.nanoTime() - t0, Long::sum);
        }
        epochs.incrementAndGet();
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        failure = t;
        return;
      }
    }
  }

  private static void apply(String name, StoreWriter writer, Epoch epoch)
      throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      ApplyResult result = writer.apply(epoch);
      if (result.succeeded()) {
        return;
      }
      if (result.firstFatal().isPresent() || attempt == 20) {
        throw new IllegalStateException(
            "store " + name + " failed epoch " + epoch.version() + ": " + result.failures());
      }
      if (result.failures().stream().allMatch(f -> f.outcome() == WriteOutcome.RETRYABLE)) {
        Thread.sleep(50L * attempt); // back-off before the retry, as a lane does
      }
    }
  }

  /** What the source held for {@code key} at stamp {@code at}: the version and the document. */
  public Optional<Map.Entry<Long, Map<String, Object>>> expected(String key, Version at) {
    ConcurrentSkipListMap<Long, Optional<Map<String, Object>>> versions = history.get(key);
    if (versions == null) {
      return Optional.empty();
    }
    Map.Entry<Long, Optional<Map<String, Object>>> e = versions.floorEntry(at.asLong());
    if (e == null || e.getValue().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Map.entry(e.getKey(), e.getValue().get()));
  }

  /** The keys whose document at {@code at} satisfies {@code matches}. */
  public List<String> expectedMatches(Version at, Predicate<Map<String, Object>> matches) {
    List<String> out = new ArrayList<>();
    for (String key : history.keySet()) {
      expected(key, at).filter(e -> matches.test(e.getValue())).ifPresent(e -> out.add(key));
    }
    return out;
  }

  /** Waits until everything committed so far is in the frontier. */
  public Stamp awaitQuiet(long timeoutMillis) throws InterruptedException {
    Stamp target;
    synchronized (commitLock) {
      target = Stamp.of(SOURCE, Version.of(lsn));
    }
    return tracker
        .awaitCovering(target, java.time.Duration.ofMillis(timeoutMillis))
        .orElseThrow(
            () ->
                new AssertionError("frontier " + tracker.frontier() + " did not reach " + target));
  }

  /** The engine's failure, if it stopped on one. */
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    running = false;
    engine.interrupt();
    try {
      engine.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writers.values().forEach(StoreWriter::close);
    try (var c =
        java.sql.DriverManager.getConnection(
            stack.postgres().jdbcUrl(), stack.postgres().user(), stack.postgres().password())) {
      c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (java.sql.SQLException e) {
      // the devstack's database goes away with the JVM anyway
    }
  }
}
