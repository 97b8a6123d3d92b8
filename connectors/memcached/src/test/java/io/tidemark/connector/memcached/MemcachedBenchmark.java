package io.tidemark.connector.memcached;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;

/**
 * Versioned writes (gets + cas of a version list) and snapshot reads against plain set/get, in the
 * same run on the same Memcached (a private devstack one unless {@code
 * -Dmemcached.address=host:port} names one). Prints medians and ratios; asserts nothing.
 *
 * <pre>
 * ./mvnw -q -B -pl connectors/memcached test-compile exec:java \
 *   -Dexec.mainClass=io.tidemark.connector.memcached.MemcachedBenchmark -Dexec.classpathScope=test
 * </pre>
 *
 * Knobs (system properties): {@code bench.keys} (20000), {@code bench.chunk} (keys per epoch,
 * 2000), {@code bench.rounds} (measured passes over all keys, 9), {@code bench.reads} (read samples
 * per variant, 20000).
 *
 * <p>Writes are measured in pairs: one epoch of a chunk of keys, and plain sets of the same keys,
 * back to back (order alternating), so both see the same moment of a machine whose load swings; the
 * figure to trust is the median of the pairs' ratios.
 */
public final class MemcachedBenchmark {

  private static final int KEYS = Integer.getInteger("bench.keys", 20_000);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 9);
  private static final int CHUNK = Integer.getInteger("bench.chunk", 2_000);
  private static final int READS = Integer.getInteger("bench.reads", 20_000);
  private static final String COLLECTION = "ads";

  private MemcachedBenchmark() {}

  public static void main(String[] args) throws Exception {
    String address = System.getProperty("memcached.address");
    if (address != null) {
      run(address);
      return;
    }
    try (Devstack own = Devstack.builder().stores(StoreKind.MEMCACHED).start()) {
      run(own.memcached().address());
    }
  }

  private static void run(String address) throws Exception {
    List<Map<String, Object>> docs = documents();
    System.out.printf(
        Locale.ROOT,
        "memcached %s: %d keys in epochs of %d, documents of ~%d bytes JSON, %d passes, %d reads%n",
        address,
        KEYS,
        CHUNK,
        Documents.encode(docs.get(0)).length,
        ROUNDS,
        READS);
    try (MemcachedStore store =
        MemcachedStore.open(
            MemcachedStoreConfig.of("bench", address)
                .withTimeout(java.time.Duration.ofSeconds(10)))) {
      // Plain set/get go through the store's own client: same connection, same I/O thread.
      MemcachedClient plainClient = store.client();
      // ------------------------------------------------------------------ writes
      long version = 1_000_000; // high enough that every horizon below is positive
      List<Double> plain = new ArrayList<>();
      List<Double> versioned = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      int chunks = Math.max(1, KEYS / CHUNK);
      for (int round = -2; round < ROUNDS; round++) { // 2 warm-up passes
        for (int c = 0; c < chunks; c++) {
          int first = c * CHUNK;
          version += 100;
          // Two passes back: each key keeps about three readable versions.
          store.purge(COLLECTION, Version.of(version - 2L * chunks * 100));
          double p;
          double v;
          if (((round + c) & 1) == 0) {
            p = plainSetRound(plainClient, docs, first);
            v = versionedRound(store, docs, version, first);
          } else {
            v = versionedRound(store, docs, version, first);
            p = plainSetRound(plainClient, docs, first);
          }
          if (round >= 0) {
            plain.add(p);
            versioned.add(v);
            ratios.add(v / p);
          }
        }
      }
      double plainRate = median(plain);
      double versionedRate = median(versioned);
      List<Double> sorted = new ArrayList<>(ratios);
      sorted.sort(null);
      System.out.printf(
          Locale.ROOT,
          "write: set %,.0f/s | versioned %,.0f/s = %.2fx | median of %d paired ratios %.2fx"
              + " (quartiles %.2f-%.2f)%n",
          plainRate,
          versionedRate,
          versionedRate / plainRate,
          ratios.size(),
          median(ratios),
          sorted.get(sorted.size() / 4),
          sorted.get(sorted.size() * 3 / 4));
      long bytes = 0;
      int sampled = 0;
      for (int i = 0; i < KEYS; i += 97) {
        byte[] value =
            plainClient.get(
                MemcachedLayout.cacheKey(COLLECTION, "key-" + i), RawTranscoder.INSTANCE);
        if (value != null) {
          bytes += value.length;
          sampled++;
        }
      }
      Map<String, String> stats = plainClient.getStats().values().iterator().next();
      System.out.printf(
          Locale.ROOT,
          "memcached: %s items, %s evictions, %s bytes%n",
          stats.get("curr_items"),
          stats.get("evictions"),
          stats.get("bytes"));
      System.out.printf(
          Locale.ROOT,
          "versioned item size: %.0f bytes on average (a plain value: %d bytes)%n",
          bytes / (double) Math.max(1, sampled),
          Documents.encode(docs.get(0)).length);

      // ------------------------------------------------------------------- reads
      // Read at a snapshot one epoch back: the entry found is closed by a newer one.
      Version at = Version.of(version - 1);
      Random random = new Random(7);
      long[][] ns = new long[3][READS];
      for (int i = -5_000; i < READS; i++) {
        String key = "key-" + random.nextInt(KEYS);
        // Rotate the order, so no variant always runs first (or right after another).
        for (int j = 0; j < 3; j++) {
          int variant = Math.floorMod(i + j, 3);
          long start = System.nanoTime();
          boolean found =
              switch (variant) {
                case 0 -> {
                  byte[] value = plainClient.get("plain:" + key, RawTranscoder.INSTANCE);
                  yield value != null && Documents.decode(value, 0, value.length) != null;
                }
                case 1 -> store.get(COLLECTION, key, at).isFound();
                default -> store.latest(COLLECTION, key).isFound();
              };
          long took = System.nanoTime() - start;
          if (!found) {
            throw new IllegalStateException("benchmark read " + variant + " missed " + key);
          }
          if (i >= 0) {
            ns[variant][i] = took;
          }
        }
      }
      long[] plainNs = ns[0];
      long[] snapshotNs = ns[1];
      long[] latestNs = ns[2];
      double plainP50 = percentile(plainNs, 50);
      System.out.printf(
          Locale.ROOT,
          "read p50: get %.1f us | versioned at S (one get) %.1f us = %.2fx | latest %.1f us"
              + " = %.2fx%n",
          plainP50 / 1e3,
          percentile(snapshotNs, 50) / 1e3,
          percentile(snapshotNs, 50) / plainP50,
          percentile(latestNs, 50) / 1e3,
          percentile(latestNs, 50) / plainP50);
      System.out.printf(
          Locale.ROOT,
          "read p99: get %.1f us | versioned at S %.1f us%n",
          percentile(plainNs, 99) / 1e3,
          percentile(snapshotNs, 99) / 1e3);
    }
  }

  /** Sets a chunk of keys' JSON (encoding included, as the store does), waiting for every reply. */
  private static double plainSetRound(
      MemcachedClient client, List<Map<String, Object>> docs, int first) throws Exception {
    long start = System.nanoTime();
    List<Future<Boolean>> futures = new ArrayList<>(CHUNK);
    for (int i = first; i < first + CHUNK; i++) {
      futures.add(
          client.set(
              "plain:key-" + i, 0, Documents.encode(docs.get(i & 63)), RawTranscoder.INSTANCE));
    }
    for (Future<Boolean> future : futures) {
      if (!future.get(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("plain set failed");
      }
    }
    return CHUNK / ((System.nanoTime() - start) / 1e9);
  }

  /** One epoch writing a chunk of keys. */
  private static double versionedRound(
      MemcachedStore store, List<Map<String, Object>> docs, long version, int first) {
    Epoch.Builder builder = Epoch.builder("bench");
    for (int i = first; i < first + CHUNK; i++) {
      builder.add(Write.upsert(COLLECTION, "key-" + i, docs.get(i & 63)));
    }
    Epoch epoch = builder.build(Version.of(version));
    long start = System.nanoTime();
    if (!store.apply(epoch).succeeded()) {
      throw new IllegalStateException("benchmark epoch failed");
    }
    return CHUNK / ((System.nanoTime() - start) / 1e9);
  }

  /** The same ad-like documents as the Redis benchmark (about 300 bytes of JSON). */
  static List<Map<String, Object>> documents() {
    Random random = new Random(42);
    String[] words = {"red", "blue", "bike", "car", "lamp", "chair", "house", "boat", "tree"};
    List<Map<String, Object>> docs = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("title", words[random.nextInt(words.length)] + " " + words[random.nextInt(9)]);
      doc.put("price", random.nextInt(100_000) / 100.0);
      doc.put("currency", "EUR");
      doc.put("city", "Lyon");
      doc.put("seller", "user-" + random.nextInt(1_000_000));
      doc.put("published", "2026-11-22T10:" + (10 + random.nextInt(50)) + ":00Z");
      doc.put("tags", List.of(words[random.nextInt(9)], words[random.nextInt(9)]));
      doc.put(
          "description",
          "Well kept, rarely used; pick-up only. " + "Contact me for details. ".repeat(4));
      docs.add(doc);
    }
    return docs;
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  private static double percentile(long[] values, int percent) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
  }
}
