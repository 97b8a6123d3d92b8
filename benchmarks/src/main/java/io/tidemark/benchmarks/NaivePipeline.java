package io.tidemark.benchmarks;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Change;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Projection;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.source.postgres.PostgresSource;
import io.tidemark.source.postgres.PostgresSourceConfig.ReplicaIdentity;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import net.spy.memcached.AddrUtil;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.MemcachedClient;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The pipeline teams build without Tidemark: Debezium (the same {@link PostgresSource}, on a slot
 * of its own) and, per store, a writer that puts each changed row's latest value straight into the
 * store, batch after batch, as a Kafka Connect sink would: an Elasticsearch bulk of index/delete by
 * id into an index refreshed every second ({@code refresh_interval: 1s}, set explicitly: the
 * default skips refreshes on an index nobody searched for 30 s), Redis {@code SET key json}
 * pipelined, Memcached {@code set key json}, and a PostgreSQL upsert into a plain table, one
 * transaction per batch. No versions, no frontier, no coalescing of a key's changes within a batch.
 *
 * <p>The store writers run in parallel, each with its own queue, as four sink connectors would. The
 * offset is acknowledged when every writer has written a transaction.
 *
 * <p>Readable means: a probe row's new value is returned by a read from every store (an
 * Elasticsearch search, not a realtime get), polled every {@code pollMillis}.
 */
final class NaivePipeline implements io.tidemark.benchmarks.Pipeline {

  static final String SOURCE = "naive";
  static final String INDEX = "naive-ads";
  static final String KEY_PREFIX = "naive:ads:";
  static final List<String> STORES = List.of("search", "cache", "memo", "readdb");
  static final int QUEUE_TRANSACTIONS = 4096;
  static final int MAX_BATCH_CHANGES = 2000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Devstack stack;
  private final String table;
  private final Path stateDir;
  private final String refreshInterval;
  private final long pollNanos;
  private final FrontierTracker progress = new FrontierTracker(STORES);
  private final List<Sink> sinks = new ArrayList<>();
  private final Map<String, Samples> detail = new LinkedHashMap<>();
  private volatile String failure = "";
  private volatile boolean running = true;
  private PostgresSource source;
  private RestClient restClient;
  private ElasticsearchClient elasticsearch;
  private MemcachedClient memcached;
  private Prober prober;
  private Jedis sinkRedis;
  private Connection sinkDb;

  NaivePipeline(
      Devstack stack, String table, Path stateDir, String refreshInterval, long pollMillis) {
    this.stack = stack;
    this.table = table;
    this.stateDir = stateDir;
    this.refreshInterval = refreshInterval;
    this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
    detail.put("applied in all 4 (acknowledged, not yet searchable)", new Samples());
    for (String store : STORES) {
      detail.put("readable in " + store, new Samples());
    }
  }

  @Override
  public String name() {
    return "naive";
  }

  @Override
  public String source() {
    return SOURCE;
  }

  Connection connect() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  @Override
  public void start() throws Exception {
    var pg = stack.postgres();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS naive");
      s.execute("CREATE TABLE IF NOT EXISTS naive.ads (key text PRIMARY KEY, doc jsonb NOT NULL)");
    }
    var es = stack.elasticsearch();
    restClient = RestClient.builder(new HttpHost(es.host(), es.port(), "http")).build();
    elasticsearch =
        new ElasticsearchClient(new RestClientTransport(restClient, new JacksonJsonpMapper()));
    elasticsearch
        .indices()
        .create(
            c ->
                c.index(INDEX)
                    .withJson(
                        new StringReader(
                            "{\"settings\":{\"index\":{\"refresh_interval\":\""
                                + refreshInterval
                                + "\"}}}")));
    memcached = memcachedClient();
    sinks.add(new Sink("search", this::writeSearch));
    sinkRedis = new Jedis(stack.redis().host(), stack.redis().port());
    Jedis redis = sinkRedis;
    sinks.add(new Sink("cache", changes -> writeCache(redis, changes)));
    sinks.add(new Sink("memo", this::writeMemo));
    sinkDb = connect();
    sinkDb.setAutoCommit(false);
    Connection readdb = sinkDb;
    sinks.add(new Sink("readdb", changes -> writeReaddb(readdb, changes)));
    sinks.forEach(Sink::start);
    prober = new Prober();
    prober.start();

    source =
        PostgresSource.builder()
            .name(SOURCE)
            .jdbcUrl(pg.jdbcUrl())
            .user(pg.user())
            .password(pg.password())
            .tables(Map.of(table, "ads"))
            .slotName("bench_naive")
            .offsetFile(stateDir.resolve("naive.offsets"))
            .snapshotMode(SnapshotMode.INITIAL)
            .replicaIdentity(ReplicaIdentity.SET_FULL)
            .dropSlotOnStop(true)
            .build();
    source.start(this::accept);
  }

  private MemcachedClient memcachedClient() throws IOException {
    return new MemcachedClient(
        new ConnectionFactoryBuilder()
            .setProtocol(ConnectionFactoryBuilder.Protocol.TEXT)
            .setOpTimeout(10_000)
            .setDaemon(true)
            .build(),
        AddrUtil.getAddresses(stack.memcached().address()));
  }

  /**
   * On Debezium's thread: hands the transaction to every store writer (blocks when one is full).
   */
  private void accept(SourceTransaction tx) {
    try {
      for (Sink sink : sinks) {
        sink.queue.put(tx);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public FrontierTracker progress() {
    return progress;
  }

  /** Why the pipeline stopped, or empty. */
  String failure() {
    return failure;
  }

  Map<String, Samples> probeDetail() {
    return detail;
  }

  @Override
  public void probe(Workload.Probe probe, LongConsumer lag) {
    Samples applied = detail.get("applied in all 4 (acknowledged, not yet searchable)");
    progress
        .whenCovers(Stamp.of(SOURCE, probe.upperLsn()))
        .orTimeout(PipelineBenchmark.PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (f, e) -> applied.add(e == null ? System.nanoTime() - probe.committedNanos() : -1));
    prober.incoming.add(new Pending(probe, lag));
  }

  @Override
  public String indexPattern() {
    return INDEX;
  }

  @Override
  public Map<String, long[]> writeCounts() {
    Map<String, long[]> counts = new TreeMap<>();
    for (Sink sink : sinks) {
      counts.put(sink.store, new long[] {sink.changes.get(), sink.changes.get()});
    }
    return counts;
  }

  // ---- the four store writers ----------------------------------------------------------------

  interface Writer {
    void write(List<Change> changes) throws Exception;
  }

  private static String key(Change change) {
    return Projection.defaultKey(change.key());
  }

  private void writeSearch(List<Change> changes) throws IOException {
    BulkRequest.Builder bulk = new BulkRequest.Builder().index(INDEX);
    for (Change change : changes) {
      String id = key(change);
      if (change.isDelete()) {
        bulk.operations(o -> o.delete(d -> d.id(id)));
      } else {
        Map<String, Object> doc = change.after();
        bulk.operations(o -> o.index(i -> i.id(id).document(doc)));
      }
    }
    BulkResponse response = elasticsearch.bulk(bulk.build());
    if (response.errors()) {
      for (BulkResponseItem item : response.items()) {
        if (item.error() != null) {
          throw new IllegalStateException("bulk item " + item.id() + ": " + item.error().reason());
        }
      }
    }
  }

  private static void writeCache(Jedis redis, List<Change> changes) throws IOException {
    Pipeline pipeline = redis.pipelined();
    for (Change change : changes) {
      String key = KEY_PREFIX + key(change);
      if (change.isDelete()) {
        pipeline.del(key);
      } else {
        pipeline.set(key, JSON.writeValueAsString(change.after()));
      }
    }
    pipeline.sync();
  }

  private void writeMemo(List<Change> changes) throws Exception {
    List<Future<Boolean>> acks = new ArrayList<>(changes.size());
    for (Change change : changes) {
      String key = KEY_PREFIX + key(change);
      acks.add(
          change.isDelete()
              ? memcached.delete(key)
              : memcached.set(key, 0, JSON.writeValueAsString(change.after())));
    }
    for (Future<Boolean> ack : acks) {
      ack.get(10, TimeUnit.SECONDS); // false for a delete of a missing key: fine
    }
  }

  private static void writeReaddb(Connection c, List<Change> changes)
      throws SQLException, IOException {
    try (PreparedStatement upsert =
            c.prepareStatement(
                "INSERT INTO naive.ads (key, doc) VALUES (?, ?::jsonb)"
                    + " ON CONFLICT (key) DO UPDATE SET doc = excluded.doc");
        PreparedStatement delete = c.prepareStatement("DELETE FROM naive.ads WHERE key = ?")) {
      PreparedStatement batching = null;
      for (Change change : changes) {
        PreparedStatement next = change.isDelete() ? delete : upsert;
        if (batching != null && batching != next) {
          batching.executeBatch(); // keep the order of an upsert and a delete of one key
        }
        batching = next;
        next.setString(1, key(change));
        if (!change.isDelete()) {
          next.setString(2, JSON.writeValueAsString(change.after()));
        }
        next.addBatch();
      }
      if (batching != null) {
        batching.executeBatch();
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    }
  }

  /** One store's writer thread: drains its queue in batches, writes, reports how far it got. */
  private final class Sink extends Thread {
    final String store;
    final Writer writer;
    final BlockingQueue<SourceTransaction> queue = new ArrayBlockingQueue<>(QUEUE_TRANSACTIONS);
    final AtomicLong changes = new AtomicLong();

    Sink(String store, Writer writer) {
      super("naive-" + store);
      setDaemon(true);
      this.store = store;
      this.writer = writer;
    }

    @Override
    public void run() {
      List<Change> batch = new ArrayList<>(MAX_BATCH_CHANGES * 2);
      try {
        while (running) {
          SourceTransaction tx = queue.poll(50, TimeUnit.MILLISECONDS);
          if (tx == null) {
            continue;
          }
          Version upTo = tx.version();
          batch.addAll(tx.changes());
          while (batch.size() < MAX_BATCH_CHANGES && (tx = queue.poll()) != null) {
            batch.addAll(tx.changes());
            upTo = tx.version();
          }
          if (!batch.isEmpty()) {
            writer.write(batch);
            changes.addAndGet(batch.size());
            batch.clear();
          }
          if (progress.report(store, Stamp.of(SOURCE, upTo))) {
            progress.frontier().get(SOURCE).ifPresent(source::acknowledge);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        failure = "store " + store + ": " + e;
        System.out.println("naive pipeline stopped: " + failure);
      }
    }
  }

  // ---- readability of probes -----------------------------------------------------------------

  private record Pending(Workload.Probe probe, LongConsumer lag, long[] seenAt) {
    Pending(Workload.Probe probe, LongConsumer lag) {
      this(probe, lag, new long[STORES.size()]);
    }
  }

  /**
   * Polls every store for the probes not yet seen there, one read per store per round (an mget, a
   * bulk get, a search by ids, a select by keys), so polling costs the same however many are open.
   */
  private final class Prober extends Thread {
    final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private final List<Pending> open = new ArrayList<>();

    Prober() {
      super("naive-prober");
      setDaemon(true);
    }

    @Override
    public void run() {
      try (Jedis redis = new Jedis(stack.redis().host(), stack.redis().port());
          Connection db = connect()) {
        MemcachedClient memo = memcachedClient();
        try {
          while (running) {
            long roundStart = System.nanoTime();
            for (Pending p; (p = incoming.poll()) != null; ) {
              open.add(p);
            }
            if (!open.isEmpty()) {
              round(redis, memo, db);
            }
            long sleep = pollNanos - (System.nanoTime() - roundStart);
            if (sleep > 0) {
              java.util.concurrent.locks.LockSupport.parkNanos(sleep);
            }
          }
        } finally {
          memo.shutdown(1, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        failure = "prober: " + e;
        System.out.println("naive prober stopped: " + failure);
      }
    }

    private void round(Jedis redis, MemcachedClient memo, Connection db) throws Exception {
      for (int s = 0; s < STORES.size(); s++) {
        List<Pending> wanted = new ArrayList<>();
        for (Pending p : open) {
          if (p.seenAt[s] == 0) {
            wanted.add(p);
          }
        }
        if (wanted.isEmpty()) {
          continue;
        }
        Map<String, String> titles = read(s, wanted, redis, memo, db);
        long now = System.nanoTime();
        for (Pending p : wanted) {
          if (p.probe.title().equals(titles.get(Long.toString(p.probe.id())))) {
            p.seenAt[s] = now;
            detail.get("readable in " + STORES.get(s)).add(now - p.probe.committedNanos());
          }
        }
      }
      long now = System.nanoTime();
      for (Iterator<Pending> it = open.iterator(); it.hasNext(); ) {
        Pending p = it.next();
        long last = 0;
        boolean everywhere = true;
        for (long seen : p.seenAt) {
          everywhere &= seen != 0;
          last = Math.max(last, seen);
        }
        if (everywhere) {
          p.lag.accept(last - p.probe.committedNanos());
          it.remove();
        } else if (now - p.probe.committedNanos() > PipelineBenchmark.PROBE_TIMEOUT.toNanos()) {
          p.lag.accept(-1);
          it.remove();
        }
      }
    }

    /** Probe id → title, as one store returns them now. */
    private Map<String, String> read(
        int store, List<Pending> wanted, Jedis redis, MemcachedClient memo, Connection db)
        throws Exception {
      List<String> ids = new ArrayList<>(wanted.size());
      for (Pending p : wanted) {
        ids.add(Long.toString(p.probe.id()));
      }
      Map<String, String> titles = new HashMap<>();
      switch (STORES.get(store)) {
        case "search" -> {
          var response =
              elasticsearch.search(
                  r -> r.index(INDEX).query(q -> q.ids(i -> i.values(ids))).size(ids.size()),
                  ObjectNode.class);
          for (var hit : response.hits().hits()) {
            if (hit.source() != null) {
              titles.put(hit.id(), hit.source().path("title").asText());
            }
          }
        }
        case "cache" -> {
          List<String> values =
              redis.mget(ids.stream().map(id -> KEY_PREFIX + id).toArray(String[]::new));
          for (int i = 0; i < ids.size(); i++) {
            if (values.get(i) != null) {
              titles.put(ids.get(i), JSON.readTree(values.get(i)).path("title").asText());
            }
          }
        }
        case "memo" -> {
          Map<String, Object> values =
              memo.getBulk(ids.stream().map(id -> KEY_PREFIX + id).toList());
          for (var e : values.entrySet()) {
            titles.put(
                e.getKey().substring(KEY_PREFIX.length()),
                JSON.readTree((String) e.getValue()).path("title").asText());
          }
        }
        case "readdb" -> {
          try (PreparedStatement select =
              db.prepareStatement("SELECT key, doc->>'title' FROM naive.ads WHERE key = ANY(?)")) {
            Array keys = db.createArrayOf("text", ids.toArray());
            select.setArray(1, keys);
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                titles.put(rs.getString(1), rs.getString(2));
              }
            }
          }
        }
        default -> throw new IllegalStateException("unknown store " + STORES.get(store));
      }
      return titles;
    }
  }

  @Override
  public void close() {
    try {
      if (source != null) {
        source.close(); // drops the slot
      }
      running = false;
      for (Sink sink : sinks) {
        sink.join(5000);
      }
      if (prober != null) {
        prober.join(5000);
      }
      if (memcached != null) {
        memcached.shutdown(1, TimeUnit.SECONDS);
      }
      if (sinkRedis != null) {
        sinkRedis.close();
      }
      if (sinkDb != null) {
        sinkDb.close();
      }
      if (restClient != null) {
        restClient.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
