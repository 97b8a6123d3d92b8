package io.tidemark.benchmarks;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.client.Document;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.devstack.Devstack;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import redis.clients.jedis.Jedis;

/**
 * The read-heavy mix's readers: the classified-ads story of the 404. A reader searches the index
 * for one of the ads written last (its id, a word of its title), takes the hit, and loads that
 * row's detail the way the detail page does (cache, else the read database), then compares the two
 * copies by the row's revision: the detail missing is a <b>404 after search</b>, the detail older
 * than the hit is a <b>stale detail</b>. Naive readers read each store's latest value; Tidemark
 * readers read both at one snapshot.
 */
final class ReadMix {

  /** What one story read saw. */
  enum Outcome {
    /** The detail is the hit's row at the same revision. */
    CONSISTENT,
    /** The search found nothing (not a story read; counted apart). */
    NO_HITS,
    /** The hit's row has no detail. */
    NOT_FOUND_AFTER_SEARCH,
    /** The detail's revision is older than the hit's. */
    STALE_DETAIL,
    /**
     * The detail's revision is newer than the hit's (the index lags; not counted as an anomaly).
     */
    NEWER_DETAIL
  }

  /** One reader's story, on connections of its own. */
  interface Story extends AutoCloseable {
    Outcome read(SplittableRandom random) throws Exception;

    @Override
    default void close() throws java.io.IOException, java.sql.SQLException {}
  }

  /** What the readers did together. */
  record Result(Map<Outcome, Long> outcomes, Histogram latencyNanos, double seconds, long errors) {

    long reads() {
      return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Story reads (search + detail) per second. */
    double readsPerSecond() {
      return reads() / seconds;
    }

    /** Story reads that found a hit. */
    long stories() {
      return reads() - outcomes.getOrDefault(Outcome.NO_HITS, 0L);
    }

    long count(Outcome o) {
      return outcomes.getOrDefault(o, 0L);
    }

    /** A count as a share of the story reads that found a hit. */
    double rate(Outcome o) {
      return stories() == 0 ? Double.NaN : (double) count(o) / stories();
    }
  }

  interface StoryFactory {
    Story open() throws Exception;
  }

  private ReadMix() {}

  /** Runs {@code readers} threads of stories for {@code duration}. */
  static Result run(StoryFactory stories, int readers, Duration duration) throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<long[]> counts = new ArrayList<>();
    List<Histogram> histograms = new ArrayList<>();
    long[] errors = new long[readers];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    for (int r = 0; r < readers; r++) {
      long[] mine = new long[Outcome.values().length];
      Histogram histogram = new Histogram(3);
      counts.add(mine);
      histograms.add(histogram);
      int reader = r;
      threads.add(
          new Thread(
              () -> {
                SplittableRandom random = new SplittableRandom(31L * reader + 7);
                try (Story story = stories.open()) {
                  while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    Outcome outcome;
                    try {
                      outcome = story.read(random);
                    } catch (Exception e) {
                      if (++errors[reader] > 100) {
                        throw e; // not a hiccup: stop and say why
                      }
                      continue;
                    }
                    histogram.recordValue(System.nanoTime() - t0);
                    mine[outcome.ordinal()]++;
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bench-reader-" + r));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a reader failed: " + failure.get(), failure.get());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    Histogram all = new Histogram(3);
    for (int r = 0; r < readers; r++) {
      for (Outcome o : Outcome.values()) {
        outcomes.merge(o, counts.get(r)[o.ordinal()], Long::sum);
      }
      all.add(histograms.get(r));
    }
    long errorCount = 0;
    for (long e : errors) {
      errorCount += e;
    }
    return new Result(outcomes, all, seconds, errorCount);
  }

  /** Compares the hit's revision with the detail's. */
  static Outcome compare(long hitRev, Optional<Long> detailRev) {
    if (detailRev.isEmpty()) {
      return Outcome.NOT_FOUND_AFTER_SEARCH;
    }
    long d = detailRev.get();
    return d == hitRev
        ? Outcome.CONSISTENT
        : d < hitRev ? Outcome.STALE_DETAIL : Outcome.NEWER_DETAIL;
  }

  static long rev(Map<String, Object> doc) {
    Object rev = doc.get("rev");
    if (rev instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalStateException("a row without a numeric rev: " + doc);
  }

  /** Tidemark: search and detail at one snapshot, through the client library. */
  static StoryFactory tidemark(Tidemark client, Workload workload) {
    return () ->
        random -> {
          String id = Long.toString(workload.recentId(random));
          Snapshot s = client.snapshot();
          List<Document> hits = s.search(TidemarkPipeline.COLLECTION, id, 10);
          Document hit = hits.stream().filter(h -> h.id().equals(id)).findFirst().orElse(null);
          if (hit == null) {
            return Outcome.NO_HITS;
          }
          Optional<Document> detail = s.get(TidemarkPipeline.COLLECTION, id);
          return compare(rev(hit.doc()), detail.map(d -> rev(d.doc())));
        };
  }

  /** Naive: the latest value of each store, as a service reads them today. */
  static StoryFactory naive(Devstack stack, Workload workload) {
    return () -> new NaiveStory(stack, workload);
  }

  private static final class NaiveStory implements Story {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Workload workload;
    private final RestClient rest;
    private final ElasticsearchClient elasticsearch;
    private final Jedis redis;
    private final Connection db;
    private final PreparedStatement select;

    NaiveStory(Devstack stack, Workload workload) throws Exception {
      this.workload = workload;
      var es = stack.elasticsearch();
      rest = RestClient.builder(new HttpHost(es.host(), es.port(), "http")).build();
      elasticsearch =
          new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper()));
      redis = new Jedis(stack.redis().host(), stack.redis().port());
      var pg = stack.postgres();
      db = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
      select = db.prepareStatement("SELECT doc->>'rev' FROM naive.ads WHERE key = ?");
    }

    @Override
    public Outcome read(SplittableRandom random) throws Exception {
      String id = Long.toString(workload.recentId(random));
      List<Hit<ObjectNode>> hits =
          elasticsearch
              .search(
                  r ->
                      r.index(NaivePipeline.INDEX)
                          .size(10)
                          .query(
                              q ->
                                  q.simpleQueryString(
                                      s -> s.query(id).fields(List.of("*")).lenient(true))),
                  ObjectNode.class)
              .hits()
              .hits();
      Hit<ObjectNode> hit = hits.stream().filter(h -> id.equals(h.id())).findFirst().orElse(null);
      if (hit == null) {
        return Outcome.NO_HITS;
      }
      long hitRev = hit.source().path("rev").asLong();
      String cached = redis.get(NaivePipeline.KEY_PREFIX + hit.id());
      if (cached != null) {
        JsonNode doc = JSON.readTree(cached);
        return compare(hitRev, Optional.of(doc.path("rev").asLong()));
      }
      select.setString(1, hit.id());
      try (ResultSet rs = select.executeQuery()) {
        return compare(hitRev, rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty());
      }
    }

    @Override
    public void close() throws java.io.IOException, java.sql.SQLException {
      select.close();
      db.close();
      redis.close();
      rest.close();
    }
  }
}
