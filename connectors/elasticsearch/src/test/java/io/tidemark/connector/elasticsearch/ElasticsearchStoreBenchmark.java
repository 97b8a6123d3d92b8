package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.util.BinaryData;
import co.elastic.clients.util.ContentType;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Versioned against plain, in one run, on the same cluster and index settings (design §9 figures):
 *
 * <ul>
 *   <li>writes: N distinct keys written M times (round 1 inserts, then updates), as plain
 *       overwrites ({@code index} by key) against versioned epochs of {@code epoch} writes through
 *       {@link ElasticsearchStore#apply}; both refreshed by a cadence thread every {@code
 *       refreshMillis} (plain: {@code _refresh}; versioned: {@code makeVisible()});
 *   <li>searches: K text queries, p50 latency of plain search (latest documents) against search at
 *       the watermark, alternating query by query; with the whole history kept, then after a purge
 *       at the watermark.
 * </ul>
 *
 * Each write variant runs {@code repeats} times, alternating, on fresh indices; the figures are
 * medians. See the module README for the command.
 */
public final class ElasticsearchStoreBenchmark {

  private static final String PLAIN_INDEX = "bench-plain";
  private static final String PREFIX = "bench-v-";
  private static final String COLLECTION = "ads";
  private static final String SOURCE = "bench";

  private final int keys = Integer.getInteger("bench.keys", 20_000);
  private final int rounds = Integer.getInteger("bench.rounds", 5);
  private final int epochSize = Integer.getInteger("bench.epoch", 1_000);
  private final int queries = Integer.getInteger("bench.queries", 1_000);
  private final int repeats = Integer.getInteger("bench.repeats", 3);
  private final int refreshMillis = Integer.getInteger("bench.refreshMillis", 200);
  private final int cacheSize = Integer.getInteger("bench.cache", 100_000);
  private final String url;
  private final List<String> vocabulary = vocabulary(2_000);

  /** Epoch versions keep growing across runs, above any watermark an earlier run recorded. */
  private long nextVersion = 0x1_0000_0000L;

  private ElasticsearchStoreBenchmark(String url) {
    this.url = url;
  }

  public static void main(String[] args) throws Exception {
    String url = System.getProperty(TestCluster.URL_PROPERTY);
    if (url != null && !url.isBlank()) {
      new ElasticsearchStoreBenchmark(url).run();
      return;
    }
    // A node of its own, stopped here: under exec:java the build's JVM may end without running
    // the shared stack's shutdown hook, which would leave Elasticsearch behind.
    try (Devstack stack = Devstack.start(StoreKind.ELASTICSEARCH)) {
      new ElasticsearchStoreBenchmark(stack.elasticsearch().httpUrl()).run();
    }
  }

  private void run() throws Exception {
    System.out.printf(
        Locale.ROOT,
        "keys=%d rounds=%d epoch=%d queries=%d repeats=%d refreshMillis=%d cache=%d%n",
        keys,
        rounds,
        epochSize,
        queries,
        repeats,
        refreshMillis,
        cacheSize);
    ElasticsearchStoreConfig config =
        ElasticsearchStoreConfig.of(url).withIndexPrefix(PREFIX).withKeyCacheSize(cacheSize);
    try (Cluster cluster = new Cluster(config)) {
      ElasticsearchClient client = cluster.client();
      try (ElasticsearchStore store = ElasticsearchStore.open(config)) {
        Version recorded = store.watermark().getOrElse(SOURCE, Version.ZERO);
        nextVersion = Math.max(nextVersion, recorded.asLong() + 1);
      }
      if (Boolean.getBoolean("bench.searchOnly")) {
        searchPhase(client, config);
        return;
      }
      writes(client, config, Math.min(keys, 5_000), 2, "warm-up (discarded)");
      double[] ratios = new double[repeats];
      double[] plainRates = new double[repeats];
      double[] versionedRates = new double[repeats];
      double[] paired = new double[repeats];
      for (int i = 0; i < repeats; i++) {
        double[] rates = writes(client, config, keys, rounds, "repeat " + (i + 1));
        plainRates[i] = rates[0];
        versionedRates[i] = rates[1];
        ratios[i] = rates[1] / rates[0];
        paired[i] = rates[2];
      }
      System.out.printf(
          Locale.ROOT,
          "WRITE  median of %d: plain overwrite %.0f docs/s | versioned %.0f writes/s | ratio %.2fx"
              + " (per repeat: %s) | paired-epoch ratio %.2fx (per repeat: %s)%n",
          repeats,
          median(plainRates),
          median(versionedRates),
          median(ratios),
          Arrays.toString(Arrays.stream(ratios).map(r -> Math.round(r * 100) / 100.0).toArray()),
          median(paired),
          Arrays.toString(Arrays.stream(paired).map(r -> Math.round(r * 100) / 100.0).toArray()));

      if (!Boolean.getBoolean("bench.skipSearch")) {
        searchPhase(client, config);
      }
    }
  }

  /**
   * The last write repeat left both indices in place: the plain one with each key's latest
   * document, the versioned one with every version of every key. Searched three times: as the
   * writes left them (many small segments, deletes not yet merged away), force-merged with the
   * history kept, and after a purge at the watermark (only the current versions left).
   */
  private void searchPhase(ElasticsearchClient client, ElasticsearchStoreConfig config)
      throws Exception {
    try (ElasticsearchStore store = ElasticsearchStore.open(config)) {
      Version at = store.watermark().get(SOURCE).orElseThrow();
      String versioned = store.indexName(COLLECTION);
      searches(client, store, at, "as written, history kept (" + rounds + " versions per key)");
      forceMerge(client, versioned);
      searches(client, store, at, "force-merged, history kept");
      long purged = store.purge(COLLECTION, at);
      store.makeVisible();
      System.out.printf(Locale.ROOT, "  purged %d superseded versions at %s%n", purged, at);
      forceMerge(client, versioned);
      searches(client, store, at, "force-merged, purged at the watermark");
    }
  }

  /** Both indices down to one segment each, refreshed. */
  private static void forceMerge(ElasticsearchClient client, String versioned) throws Exception {
    for (String index : List.of(versioned, PLAIN_INDEX)) {
      client.indices().forcemerge(f -> f.index(index).maxNumSegments(1L));
      client.indices().refresh(r -> r.index(index));
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Writes the same changes both ways, interleaved batch by batch (alternating which goes first),
   * so that both see the same load on a shared machine. A cadence thread refreshes the plain index
   * and calls makeVisible() every {@code refreshMillis}.
   *
   * @return {plain docs/s, versioned writes/s}
   */
  private double[] writes(
      ElasticsearchClient client,
      ElasticsearchStoreConfig config,
      int keyCount,
      int roundCount,
      String label)
      throws Exception {
    recreate(client, PLAIN_INDEX);
    String versionedIndex = Layout.indexName(PREFIX, COLLECTION);
    client.indices().delete(d -> d.index(versionedIndex).ignoreUnavailable(true));
    long plainNanos = 0;
    long versionedNanos = 0;
    long plainCpu = 0;
    long versionedCpu = 0;
    long writes = 0;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    StringBuilder perRound = new StringBuilder();
    List<Double> pairs = new ArrayList<>();
    try (ElasticsearchStore store = ElasticsearchStore.open(config)) {
      store.prepare(COLLECTION); // created outside the timings, like the plain index
      ScheduledExecutorService cadence = Executors.newSingleThreadScheduledExecutor();
      try {
        cadence.scheduleWithFixedDelay(
            () -> {
              try {
                client.indices().refresh(r -> r.index(PLAIN_INDEX));
                store.makeVisible();
              } catch (Exception e) {
                System.err.println("cadence refresh failed: " + e);
              }
            },
            refreshMillis,
            refreshMillis,
            TimeUnit.MILLISECONDS);
        for (int round = 1; round <= roundCount; round++) {
          List<Map<String, Object>> documents = documents(keyCount, round);
          List<Epoch> epochs = new ArrayList<>();
          for (int from = 0; from < keyCount; from += epochSize) {
            Epoch.Builder builder = Epoch.builder(SOURCE);
            for (int k = from; k < Math.min(keyCount, from + epochSize); k++) {
              builder.add(Write.upsert(COLLECTION, key(k), documents.get(k)));
            }
            nextVersion += 1_000;
            epochs.add(builder.build(Version.of(nextVersion)));
          }
          long roundPlain = plainNanos;
          long roundVersioned = versionedNanos;
          for (int b = 0; b < epochs.size(); b++) {
            Epoch epoch = epochs.get(b);
            long pairPlain = plainNanos;
            long pairVersioned = versionedNanos;
            for (int pass = 0; pass < 2; pass++) {
              boolean plain = (pass == 0) == (b % 2 == 0);
              long start = System.nanoTime();
              long cpu = threads.getCurrentThreadCpuTime();
              if (plain) {
                plainBulk(client, epoch);
                plainNanos += System.nanoTime() - start;
                plainCpu += threads.getCurrentThreadCpuTime() - cpu;
              } else {
                ApplyResult result = store.apply(epoch);
                versionedNanos += System.nanoTime() - start;
                versionedCpu += threads.getCurrentThreadCpuTime() - cpu;
                if (!result.succeeded()) {
                  throw new IllegalStateException(
                      "versioned apply failed: " + result.failures().get(0));
                }
              }
            }
            writes += epoch.writes().size();
            pairs.add((double) (plainNanos - pairPlain) / (versionedNanos - pairVersioned));
          }
          perRound.append(
              String.format(
                  Locale.ROOT,
                  " %.2f",
                  (double) (plainNanos - roundPlain) / (versionedNanos - roundVersioned)));
        }
      } finally {
        cadence.shutdown();
        cadence.awaitTermination(30, TimeUnit.SECONDS);
      }
      long start = System.nanoTime();
      client.indices().refresh(r -> r.index(PLAIN_INDEX));
      plainNanos += System.nanoTime() - start;
      start = System.nanoTime();
      store.makeVisible();
      versionedNanos += System.nanoTime() - start;
    }
    double plainRate = writes / (plainNanos / 1e9);
    double versionedRate = writes / (versionedNanos / 1e9);
    double pairedMedian = median(pairs.stream().mapToDouble(Double::doubleValue).toArray());
    System.out.printf(
        Locale.ROOT,
        "  %s: %d writes each; plain %.0f docs/s, versioned %.0f writes/s (%.2fx); median of"
            + " %d paired epochs %.2fx; per round%s; client cpu per 1000 writes: plain %.1f ms,"
            + " versioned %.1f ms%n",
        label,
        writes,
        plainRate,
        versionedRate,
        versionedRate / plainRate,
        pairs.size(),
        pairedMedian,
        perRound,
        plainCpu / 1e6 / (writes / 1000.0),
        versionedCpu / 1e6 / (writes / 1000.0));
    return new double[] {plainRate, versionedRate, pairedMedian};
  }

  /** The plain way: each key's document overwritten in place, serialized the same way. */
  private static void plainBulk(ElasticsearchClient client, Epoch epoch) throws Exception {
    List<BulkOperation> ops = new ArrayList<>(epoch.writes().size());
    for (Write write : epoch.writes()) {
      BinaryData source =
          BinaryData.of(Json.payload(write.document()), ContentType.APPLICATION_JSON);
      ops.add(
          BulkOperation.of(
              b -> b.index(i -> i.index(PLAIN_INDEX).id(write.key()).document(source))));
    }
    BulkResponse response = client.bulk(b -> b.operations(ops));
    if (response.errors()) {
      throw new IllegalStateException("plain bulk had errors: " + response.items().get(0));
    }
  }

  private static void recreate(ElasticsearchClient client, String index) throws Exception {
    client.indices().delete(d -> d.index(index).ignoreUnavailable(true));
    client
        .indices()
        .create(
            c ->
                c.index(index)
                    .withJson(
                        new StringReader("{\"settings\":" + Layout.COLLECTION_SETTINGS + "}")));
  }

  // ---- searches -------------------------------------------------------------------------------

  private void searches(
      ElasticsearchClient client, ElasticsearchStore store, Version at, String label)
      throws Exception {
    Random random = new Random(7);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < queries; i++) {
      texts.add(random.nextBoolean() ? word(random) : word(random) + " " + word(random));
    }
    SnapshotReader texter = new SnapshotReader(null, null, List.of("*"));
    // Warm-up.
    for (int i = 0; i < Math.min(200, queries); i++) {
      plainSearch(client, texter.text(texts.get(i)));
      store.search(COLLECTION, texts.get(i), at, 10);
    }
    long[] plain = new long[queries];
    long[] snapshot = new long[queries];
    long plainHits = 0;
    long snapshotHits = 0;
    for (int i = 0; i < queries; i++) {
      Query query = texter.text(texts.get(i));
      boolean plainFirst = i % 2 == 0;
      for (int pass = 0; pass < 2; pass++) {
        if ((pass == 0) == plainFirst) {
          long start = System.nanoTime();
          plainHits += plainSearch(client, query);
          plain[i] = System.nanoTime() - start;
        } else {
          long start = System.nanoTime();
          List<Entry> hits = store.search(COLLECTION, texts.get(i), at, 10);
          snapshot[i] = System.nanoTime() - start;
          snapshotHits += hits.size();
        }
      }
    }
    double plainP50 = percentile(plain, 0.5) / 1e6;
    double snapshotP50 = percentile(snapshot, 0.5) / 1e6;
    System.out.printf(
        Locale.ROOT,
        "SEARCH %s: plain p50 %.2f ms (p90 %.2f) | at S p50 %.2f ms (p90 %.2f) | ratio %.2fx"
            + " | hits %d vs %d%n",
        label,
        plainP50,
        percentile(plain, 0.9) / 1e6,
        snapshotP50,
        percentile(snapshot, 0.9) / 1e6,
        snapshotP50 / plainP50,
        plainHits,
        snapshotHits);
  }

  private static int plainSearch(ElasticsearchClient client, Query query) throws Exception {
    return client
        .search(
            s ->
                s.index(PLAIN_INDEX)
                    .ignoreUnavailable(true)
                    .query(query)
                    .size(10)
                    .trackTotalHits(t -> t.enabled(false)),
            Cluster.Source.class)
        .hits()
        .hits()
        .size();
  }

  // ---- data -----------------------------------------------------------------------------------

  private static String key(int k) {
    return "ad-" + k;
  }

  /** A classified ad of about 500 bytes, different in every round. */
  private List<Map<String, Object>> documents(int keyCount, int round) {
    Random random = new Random(31L * round + keyCount);
    List<Map<String, Object>> documents = new ArrayList<>(keyCount);
    for (int k = 0; k < keyCount; k++) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("title", words(random, 4 + random.nextInt(5)));
      doc.put("description", words(random, 30 + random.nextInt(30)));
      doc.put("price", random.nextInt(1_000_000) / 100.0);
      doc.put("category", vocabulary.get(random.nextInt(20)));
      doc.put("city", vocabulary.get(20 + random.nextInt(50)));
      doc.put("seller", "user-" + random.nextInt(5_000));
      doc.put("round", round);
      documents.add(doc);
    }
    return documents;
  }

  private String words(Random random, int count) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        text.append(' ');
      }
      text.append(word(random));
    }
    return text.toString();
  }

  /** Zipf-like: low ranks far more often, as in real text. */
  private String word(Random random) {
    double u = random.nextDouble();
    return vocabulary.get((int) (vocabulary.size() * u * u * u));
  }

  private static List<String> vocabulary(int size) {
    String[] syllables = {
      "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "ba", "go", "vi", "ze", "hu", "fa", "je"
    };
    Random random = new Random(1);
    List<String> words = new ArrayList<>(size);
    while (words.size() < size) {
      StringBuilder word = new StringBuilder();
      int parts = 2 + random.nextInt(3);
      for (int i = 0; i < parts; i++) {
        word.append(syllables[random.nextInt(syllables.length)]);
      }
      if (!words.contains(word.toString())) {
        words.add(word.toString());
      }
    }
    return words;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted.length % 2 == 1
        ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  private static double percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }
}
