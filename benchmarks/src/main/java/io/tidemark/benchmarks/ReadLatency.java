package io.tidemark.benchmarks;

import io.tidemark.client.ReadFrom;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.protocol.ConsistencyLevel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;

/**
 * Read latency per store and consistency level, against the plain read of the same store that a
 * service makes without Tidemark, all interleaved in one loop on one thread, so every series sees
 * the same noise. Both sides decode the documents from JSON; a search looks for one row's id (a
 * term), so it costs about the same however many rows and versions the index holds. Per round one
 * snapshot is taken (not timed, as a request takes one and reads several times at it), then each
 * series reads one random row, in an order that rotates every round.
 */
final class ReadLatency {

  /** The four stores, as the report names them. */
  static final List<String> STORES = List.of("Elasticsearch", "Redis", "Memcached", "PostgreSQL");

  /** The plain read, then the three levels. */
  static final List<String> KINDS = List.of("plain", "SNAPSHOT", "AT_LEAST", "LATEST");

  private ReadLatency() {}

  /** One read of one series. */
  private interface Read {
    void run(Snapshot s, Snapshot m, long id) throws Exception;
  }

  /**
   * Measures {@code rounds} rounds after {@code rounds / 5} of warm-up.
   *
   * @return store → kind → latency histogram in nanoseconds
   */
  static Map<String, Map<String, Histogram>> measure(
      RawStores raw, Tidemark withRedis, Tidemark withMemcached, int keys, int rounds)
      throws Exception {
    String c = TidemarkPipeline.COLLECTION;
    Map<String, Read> reads = new LinkedHashMap<>();
    reads.put("Elasticsearch/plain", (s, m, id) -> raw.search(Long.toString(id), 10));
    reads.put("Redis/plain", (s, m, id) -> raw.redisGet(id));
    reads.put("Memcached/plain", (s, m, id) -> raw.memcachedGet(id));
    reads.put("PostgreSQL/plain", (s, m, id) -> raw.postgresGet(id));
    for (ConsistencyLevel level : ConsistencyLevel.values()) {
      reads.put("Elasticsearch/" + level, (s, m, id) -> s.search(c, Long.toString(id), 10, level));
      reads.put(
          "Redis/" + level, (s, m, id) -> s.lookup(c, Long.toString(id), ReadFrom.CACHE, level));
      reads.put(
          "Memcached/" + level,
          (s, m, id) -> m.lookup(c, Long.toString(id), ReadFrom.CACHE, level));
      reads.put(
          "PostgreSQL/" + level, (s, m, id) -> s.lookup(c, Long.toString(id), ReadFrom.DB, level));
    }
    List<String> names = new ArrayList<>(reads.keySet());
    Map<String, Histogram> histograms = new LinkedHashMap<>();
    names.forEach(n -> histograms.put(n, new Histogram(3)));
    SplittableRandom random = new SplittableRandom(11);
    int warmup = Math.max(50, rounds / 5);
    for (int round = -warmup; round < rounds; round++) {
      Snapshot s = withRedis.snapshot();
      Snapshot m = withMemcached.snapshot(s.stamp());
      for (int j = 0; j < names.size(); j++) {
        String name = names.get(Math.floorMod(round + j, names.size()));
        long id = 1 + random.nextInt(keys);
        long t0 = System.nanoTime();
        reads.get(name).run(s, m, id);
        long took = System.nanoTime() - t0;
        if (round >= 0) {
          histograms.get(name).recordValue(took);
        }
      }
    }
    Map<String, Map<String, Histogram>> out = new LinkedHashMap<>();
    for (String store : STORES) {
      Map<String, Histogram> kinds = new LinkedHashMap<>();
      for (String kind : KINDS) {
        kinds.put(kind, histograms.get(store + "/" + kind));
      }
      out.put(store, kinds);
    }
    return out;
  }
}
