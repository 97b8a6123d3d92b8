package io.tidemark.benchmarks;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.devstack.Devstack;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.AddrUtil;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.MemcachedClient;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The stores on their own: the workload's rows written straight into each store as fast as its
 * client allows (an Elasticsearch bulk of 1,000 then a refresh, a pipelined Redis {@code SET}, a
 * Memcached {@code set}, a PostgreSQL upsert batch of 1,000 per transaction), and the plain reads a
 * service makes today (a search, a {@code GET}, a {@code get}, a {@code SELECT} by key). The copies
 * it writes stay as the baseline for the read latencies.
 */
final class RawStores implements AutoCloseable {

  static final String INDEX = "raw-ads";
  static final String KEY_PREFIX = "raw:ads:";
  static final String TABLE = "raw.ads";
  static final int BATCH = 1000;
  static final List<String> STORES = ReadLatency.STORES;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Devstack stack;
  private final RestClient rest;
  private final ElasticsearchClient elasticsearch;
  private final Jedis redis;
  private final MemcachedClient memcached;
  private final Connection db;
  private final PreparedStatement select;
  private final HttpClient http = HttpClient.newHttpClient();

  RawStores(Devstack stack) throws IOException, SQLException {
    this.stack = stack;
    var es = stack.elasticsearch();
    rest = RestClient.builder(new HttpHost(es.host(), es.port(), "http")).build();
    elasticsearch =
        new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper()));
    redis = new Jedis(stack.redis().host(), stack.redis().port());
    memcached = memcached(stack);
    var pg = stack.postgres();
    db = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
    try (Statement s = db.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS raw");
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (key text PRIMARY KEY, doc jsonb)");
    }
    select = db.prepareStatement("SELECT doc::text FROM " + TABLE + " WHERE key = ?");
    elasticsearch
        .indices()
        .create(
            c ->
                c.index(INDEX)
                    .withJson(
                        new StringReader(
                            "{\"settings\":{\"index\":{\"refresh_interval\":\"1s\"}}}")));
  }

  static MemcachedClient memcached(Devstack stack) throws IOException {
    return new MemcachedClient(
        new ConnectionFactoryBuilder()
            .setProtocol(ConnectionFactoryBuilder.Protocol.TEXT)
            .setOpTimeout(10_000)
            .setDaemon(true)
            .build(),
        AddrUtil.getAddresses(stack.memcached().address()));
  }

  /**
   * Writes rows 1..{@code rows} into every store, once to warm up (inserts) and then {@code rounds}
   * times (overwrites), and returns per store the median rows per second of those.
   */
  Map<String, Double> writeRates(Workload workload, int rows, int rounds) throws Exception {
    List<String> ids = new ArrayList<>(rows);
    List<String> json = new ArrayList<>(rows);
    List<Map<String, Object>> docs = new ArrayList<>(rows);
    for (long id = 1; id <= rows; id++) {
      Map<String, Object> doc = workload.row(id);
      ids.add(Long.toString(id));
      docs.add(doc);
      json.add(JSON.writeValueAsString(doc));
    }
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    for (int round = -1; round < rounds; round++) { // round -1 warms up (new index, JIT)
      for (String store : STORES) {
        long start = System.nanoTime();
        switch (store) {
          case "Elasticsearch" -> writeSearch(ids, docs);
          case "Redis" -> writeRedis(ids, json);
          case "Memcached" -> writeMemcached(ids, json);
          default -> writePostgres(ids, json);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round >= 0) {
          rates.computeIfAbsent(store, s -> new ArrayList<>()).add(rows / seconds);
        }
      }
    }
    Map<String, Double> medians = new LinkedHashMap<>();
    rates.forEach((store, list) -> medians.put(store, Samples.median(list)));
    return medians;
  }

  /** Of the last Elasticsearch round: milliseconds in bulks, and in the refresh after them. */
  long lastBulkMillis;

  long lastRefreshMillis;

  private void writeSearch(List<String> ids, List<Map<String, Object>> docs) throws IOException {
    long start = System.nanoTime();
    for (int from = 0; from < ids.size(); from += BATCH) {
      BulkRequest.Builder bulk = new BulkRequest.Builder().index(INDEX);
      for (int i = from; i < Math.min(ids.size(), from + BATCH); i++) {
        String id = ids.get(i);
        Map<String, Object> doc = docs.get(i);
        bulk.operations(o -> o.index(x -> x.id(id).document(doc)));
      }
      if (elasticsearch.bulk(bulk.build()).errors()) {
        throw new IllegalStateException("the raw bulk into " + INDEX + " had item errors");
      }
    }
    long bulked = System.nanoTime();
    elasticsearch.indices().refresh(r -> r.index(INDEX)); // written means searchable, here too
    lastBulkMillis = (bulked - start) / 1_000_000;
    lastRefreshMillis = (System.nanoTime() - bulked) / 1_000_000;
  }

  private void writeRedis(List<String> ids, List<String> json) {
    for (int from = 0; from < ids.size(); from += BATCH) {
      Pipeline pipeline = redis.pipelined();
      for (int i = from; i < Math.min(ids.size(), from + BATCH); i++) {
        pipeline.set(KEY_PREFIX + ids.get(i), json.get(i));
      }
      pipeline.sync();
    }
  }

  private void writeMemcached(List<String> ids, List<String> json) throws Exception {
    for (int from = 0; from < ids.size(); from += BATCH) {
      List<Future<Boolean>> acks = new ArrayList<>(BATCH);
      for (int i = from; i < Math.min(ids.size(), from + BATCH); i++) {
        acks.add(memcached.set(KEY_PREFIX + ids.get(i), 0, json.get(i)));
      }
      for (Future<Boolean> ack : acks) {
        if (!ack.get(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("memcached refused a raw set");
        }
      }
    }
  }

  private void writePostgres(List<String> ids, List<String> json) throws SQLException {
    db.setAutoCommit(false);
    try (PreparedStatement upsert =
        db.prepareStatement(
            "INSERT INTO "
                + TABLE
                + " (key, doc) VALUES (?, ?::jsonb) ON CONFLICT (key) DO UPDATE SET doc ="
                + " excluded.doc")) {
      for (int from = 0; from < ids.size(); from += BATCH) {
        for (int i = from; i < Math.min(ids.size(), from + BATCH); i++) {
          upsert.setString(1, ids.get(i));
          upsert.setString(2, json.get(i));
          upsert.addBatch();
        }
        upsert.executeBatch();
        db.commit();
      }
    } finally {
      db.setAutoCommit(true);
    }
  }

  // ---- plain reads (one thread at a time) ---------------------------------------------------

  /** A plain search of the copy: the same query the Tidemark reader sends, without the filter. */
  int search(String word, int size) throws IOException {
    return elasticsearch
        .search(
            r ->
                r.index(INDEX)
                    .size(size)
                    .query(
                        q ->
                            q.simpleQueryString(
                                s -> s.query(word).fields(List.of("*")).lenient(true))),
            ObjectNode.class)
        .hits()
        .hits()
        .size();
  }

  // A service decodes the document it reads, as the client library does: so do these.

  Map<String, Object> redisGet(long id) throws IOException {
    return decode(redis.get(KEY_PREFIX + id));
  }

  Map<String, Object> memcachedGet(long id) throws IOException {
    return decode((String) memcached.get(KEY_PREFIX + id));
  }

  Map<String, Object> postgresGet(long id) throws SQLException, IOException {
    select.setString(1, Long.toString(id));
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? decode(rs.getString(1)) : null;
    }
  }

  private static Map<String, Object> decode(String json) throws IOException {
    return json == null ? null : JSON.readValue(json, MAP);
  }

  private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};

  // ---- what the servers are -------------------------------------------------------------------

  /** Per store, the server's version as it reports it. */
  Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("Elasticsearch", elasticsearchVersion());
    try {
      String info = redis.info("server");
      versions.put("Redis", field(info, "redis_version"));
    } catch (RuntimeException e) {
      versions.put("Redis", "unknown (" + e.getMessage() + ")");
    }
    versions.put(
        "Memcached", memcached.getVersions().values().stream().findFirst().orElse("unknown"));
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      versions.put("PostgreSQL", rs.getString(1));
    } catch (SQLException e) {
      versions.put("PostgreSQL", "unknown (" + e.getMessage() + ")");
    }
    return versions;
  }

  private String elasticsearchVersion() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          stack.elasticsearch().httpUrl()
                              + "/_nodes/_local?filter_path=**.version"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode nodes = JSON.readTree(response.body()).path("nodes");
      return nodes.elements().hasNext() ? nodes.elements().next().path("version").asText() : "?";
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /** The value of {@code name:value} in Redis' INFO text. */
  static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "?";
  }

  @Override
  public void close() throws IOException, SQLException {
    memcached.shutdown(1, TimeUnit.SECONDS);
    redis.close();
    select.close();
    db.close();
    rest.close();
  }
}
