package io.tidemark.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.devstack.Devstack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import redis.clients.jedis.Jedis;

/**
 * What a pipeline's copies cost the stores: Elasticsearch's index store size ({@code _stats},
 * primaries, after a refresh), PostgreSQL's {@code pg_total_relation_size} of every table in the
 * pipeline's schema, and for the two caches, which the pipelines share one after the other, the
 * growth of Redis' {@code used_memory} and Memcached's {@code bytes} since a reading taken before
 * the pipeline started.
 */
final class Footprint {

  /** Bytes per store at one moment. */
  record Reading(Map<String, Long> bytes) {

    /** This reading's bytes minus a baseline's for the caches (the shared servers). */
    Reading since(Reading baseline) {
      Map<String, Long> out = new LinkedHashMap<>(bytes);
      for (String cache : new String[] {"Redis", "Memcached"}) {
        out.put(cache, bytes.get(cache) - baseline.bytes().get(cache));
      }
      return new Reading(out);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Devstack stack;
  private final HttpClient http = HttpClient.newHttpClient();

  Footprint(Devstack stack) {
    this.stack = stack;
  }

  /**
   * Reads every store; {@code indexPattern} and {@code schema} name the pipeline's index and
   * read-database schema.
   */
  Reading read(String indexPattern, String schema) throws Exception {
    Map<String, Long> bytes = new LinkedHashMap<>();
    bytes.put("Elasticsearch", indexBytes(indexPattern));
    try (Jedis redis = new Jedis(stack.redis().host(), stack.redis().port())) {
      bytes.put("Redis", Long.parseLong(RawStores.field(redis.info("memory"), "used_memory")));
    }
    MemcachedClient memcached = RawStores.memcached(stack);
    try {
      long total = 0;
      for (Map<String, String> stats : memcached.getStats().values()) {
        total += Long.parseLong(stats.getOrDefault("bytes", "0"));
      }
      bytes.put("Memcached", total);
    } finally {
      memcached.shutdown(1, TimeUnit.SECONDS);
    }
    bytes.put("PostgreSQL", schemaBytes(schema));
    return new Reading(bytes);
  }

  private long indexBytes(String pattern) throws Exception {
    String url = stack.elasticsearch().httpUrl() + "/" + pattern;
    http.send(
        HttpRequest.newBuilder(URI.create(url + "/_refresh"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(60))
            .build(),
        HttpResponse.BodyHandlers.discarding());
    HttpResponse<String> stats =
        http.send(
            HttpRequest.newBuilder(URI.create(url + "/_stats/store"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode size =
        JSON.readTree(stats.body())
            .path("_all")
            .path("primaries")
            .path("store")
            .path("size_in_bytes");
    return size.asLong();
  }

  private long schemaBytes(String schema) throws Exception {
    var pg = stack.postgres();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        PreparedStatement s =
            c.prepareStatement(
                "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname,"
                    + " tablename))), 0) FROM pg_tables WHERE schemaname = ?")) {
      s.setString(1, schema);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Rows in the source table now (the live rows every store holds the latest value of). */
  long liveRows(String table) throws Exception {
    var pg = stack.postgres();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + table);
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
