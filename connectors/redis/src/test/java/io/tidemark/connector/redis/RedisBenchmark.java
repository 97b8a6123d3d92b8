package io.tidemark.connector.redis;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.Write;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Versioned writes and snapshot reads against plain SET/GET, in the same run on the same Redis (a
 * private devstack Redis unless {@code -Dredis.address=host:port} names one). Prints medians and
 * ratios; asserts nothing (timings are noisy on a shared machine).
 *
 * <pre>
 * ./mvnw -q -B -pl connectors/redis test-compile exec:java \
 *   -Dexec.mainClass=io.tidemark.connector.redis.RedisBenchmark -Dexec.classpathScope=test
 * </pre>
 *
 * Knobs (system properties): {@code bench.keys} (20000), {@code bench.chunk} (keys per epoch,
 * 2000), {@code bench.rounds} (measured passes over all keys, 9), {@code bench.reads} (read samples
 * per variant, 20000).
 *
 * <p>Writes are measured chunk by chunk: one epoch of a chunk of keys and each reference variant on
 * the same keys, back to back in rotating order, so all see the same moment of a machine whose load
 * swings; the figure to trust is the median of the per-chunk ratios.
 */
public final class RedisBenchmark {

  private static final int KEYS = Integer.getInteger("bench.keys", 20_000);
  private static final int CHUNK = Integer.getInteger("bench.chunk", 2_000);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 9);
  private static final int READS = Integer.getInteger("bench.reads", 20_000);
  private static final String COLLECTION = "ads";

  private RedisBenchmark() {}

  public static void main(String[] args) throws Exception {
    String address = System.getProperty("redis.address");
    if (address != null) {
      run(address);
      return;
    }
    try (Devstack own = Devstack.builder().stores(StoreKind.REDIS).start()) {
      run(own.redis().host() + ":" + own.redis().port());
    }
  }

  private static void run(String address) throws Exception {
    RedisStoreConfig config = RedisStoreConfig.of("bench", address);
    List<Map<String, Object>> docs = documents();
    System.out.printf(
        Locale.ROOT,
        "redis %s: %d keys per epoch, documents of ~%d bytes JSON, %d rounds, %d reads%n",
        address,
        KEYS,
        Documents.encode(docs.get(0)).length,
        ROUNDS,
        READS);

    try (RedisStore batched = RedisStore.open(config);
        ConnectionPool pool =
            new ConnectionPool(
                new HostAndPort(config.host(), config.port()),
                DefaultJedisClientConfig.builder().build())) {
      // ------------------------------------------------------------------ writes
      long[] version = {1_000_000}; // high enough that every horizon below is positive
      List<Double> plain = new ArrayList<>();
      List<Double> versioned = new ArrayList<>();
      List<Double> purged = new ArrayList<>();
      List<Double> lua = new ArrayList<>();
      List<Double> zadd = new ArrayList<>();
      List<Double> zaddTrim = new ArrayList<>();
      List<Double> append = new ArrayList<>();
      List<Double> pairs = new ArrayList<>();
      List<Double> luaPairs = new ArrayList<>();
      int chunks = Math.max(1, KEYS / CHUNK);
      for (int round = -2; round < ROUNDS; round++) { // 2 warm-up passes
        for (int c = 0; c < chunks; c++) {
          int first = c * CHUNK;
          version[0] += 100;
          // Rotate the order, so no variant always runs first (or right after another).
          double[] rates = new double[6];
          for (int j = 0; j < 6; j++) {
            int variant = Math.floorMod(round * chunks + c + j, 6);
            switch (variant) {
              case 0 -> rates[0] = plainSetRound(pool, docs, first);
              case 1 -> rates[1] = versionedRound(batched, docs, version[0], first);
              case 2 -> rates[2] = luaRound(pool, docs, version[0], chunks, first);
              case 3 -> rates[3] = zaddRound(pool, docs, version[0], false, first);
              case 4 -> rates[4] = zaddRound(pool, docs, version[0], true, first);
              default -> rates[5] = appendRound(pool, docs, version[0], first);
            }
          }
          if (round >= 0) {
            plain.add(rates[0]);
            versioned.add(rates[1]);
            lua.add(rates[2]);
            zadd.add(rates[3]);
            zaddTrim.add(rates[4]);
            append.add(rates[5]);
            pairs.add(rates[1] / rates[0]);
            luaPairs.add(rates[2] / rates[0]);
          }
        }
        // Once per pass, as the coordinator purges on a cadence: two passes stay readable.
        long start = System.nanoTime();
        batched.purge(COLLECTION, Version.of(version[0] - 2L * chunks * 100));
        purged.add(CHUNK / ((System.nanoTime() - start) / 1e9));
      }
      double plainRate = median(plain);
      double versionedRate = median(versioned);
      List<Double> sorted = new ArrayList<>(pairs);
      sorted.sort(null);
      System.out.printf(
          Locale.ROOT,
          "write: pipelined SET %,.0f/s | versioned apply (write mark + pipelined ZADD) %,.0f/s ="
              + " %.2fx | median of %d paired ratios %.2fx (quartiles %.2f-%.2f)"
              + " | previous layout's Lua path, paired: %.2fx%n",
          plainRate,
          versionedRate,
          versionedRate / plainRate,
          pairs.size(),
          median(pairs),
          sorted.get(sorted.size() / 4),
          sorted.get(sorted.size() * 3 / 4),
          median(luaPairs));
      System.out.printf(
          Locale.ROOT,
          "write reference: previous layout's Lua check+add+trim for every key (%d keys per call)"
              + " %,.0f/s = %.2fx | bare pipelined ZADD %,.0f/s = %.2fx"
              + " | ZADD + ZREMRANGEBYRANK cap in the write path %,.0f/s = %.2fx%n",
          RedisStore.KEYS_PER_CALL,
          median(lua),
          median(lua) / plainRate,
          median(zadd),
          median(zadd) / plainRate,
          median(zaddTrim),
          median(zaddTrim) / plainRate);
      System.out.printf(
          Locale.ROOT,
          "write reference, another layout (not used): APPEND of the new version to a string"
              + " holding ~3 versions (as the Memcached store does) %,.0f/s = %.2fx%n",
          median(append),
          median(append) / plainRate);
      System.out.printf(
          Locale.ROOT,
          "purge (SCAN + trim script, off the write path): %,.0f keys/s%n",
          median(purged.subList(Math.min(3, purged.size() - 1), purged.size())));

      // ------------------------------------------------------------------- reads
      // Each key now has a few versions; read at a snapshot one epoch back, so the entry found has
      // a newer one above it (the usual case for a snapshot at the frontier under writes).
      Version at = Version.of(version[0] - 1);
      Random random = new Random(7);
      long[][] ns = new long[4][READS];
      for (int i = -5_000; i < READS; i++) {
        String key = "key-" + random.nextInt(KEYS);
        // Rotate the order, so no variant always runs first (or right after another).
        for (int j = 0; j < 4; j++) {
          int variant = Math.floorMod(i + j, 4);
          long start = System.nanoTime();
          boolean found =
              switch (variant) {
                case 0 -> plainGet(pool, key) != null;
                case 1 -> luaGet(pool, key, at).isFound();
                case 2 -> batched.get(COLLECTION, key, at).isFound();
                default -> batched.latest(COLLECTION, key).isFound();
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
      long[] luaNs = ns[1];
      long[] pipelinedNs = ns[2];
      long[] latestNs = ns[3];
      double plainP50 = percentile(plainNs, 50);
      System.out.printf(
          Locale.ROOT,
          "read p50: GET %.1f us | at S with a Lua script (not used) %.1f us = %.2fx"
              + " | at S as the store reads (ZRANGE -2 -1) %.1f us = %.2fx"
              + " | latest (ZRANGE -1 -1) %.1f us = %.2fx%n",
          plainP50 / 1e3,
          percentile(luaNs, 50) / 1e3,
          percentile(luaNs, 50) / plainP50,
          percentile(pipelinedNs, 50) / 1e3,
          percentile(pipelinedNs, 50) / plainP50,
          percentile(latestNs, 50) / 1e3,
          percentile(latestNs, 50) / plainP50);
      System.out.printf(
          Locale.ROOT,
          "read p99: GET %.1f us | versioned at S %.1f us%n",
          percentile(plainNs, 99) / 1e3,
          percentile(pipelinedNs, 99) / 1e3);

      // ------------------------------------------------------------------ codec
      // Best of five passes, so the figure is the steady-state cost, not the JIT's warm-up.
      double encodeNs = Double.MAX_VALUE;
      double decodeNs = Double.MAX_VALUE;
      long sink = 0;
      byte[] json = Documents.encode(docs.get(0));
      for (int pass = 0; pass < 5; pass++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 100_000; i++) {
          sink += Documents.encode(docs.get(i & 63)).length;
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < 100_000; i++) {
          sink += Documents.decode(json, 0, json.length).size();
        }
        long t2 = System.nanoTime();
        encodeNs = Math.min(encodeNs, (t1 - t0) / 100_000.0);
        decodeNs = Math.min(decodeNs, (t2 - t1) / 100_000.0);
      }
      System.out.printf(
          Locale.ROOT,
          "JSON: encode %.2f us, decode %.2f us per document; a versioned write costs %.2f us,"
              + " a SET %.2f us (%d)%n",
          encodeNs / 1e3,
          decodeNs / 1e3,
          1e6 / versionedRate,
          1e6 / plainRate,
          sink % 10);
      try (Connection connection = pool.getResource()) {
        connection.sendCommand(
            Protocol.Command.OBJECT,
            "ENCODING".getBytes(StandardCharsets.US_ASCII),
            RedisLayout.dataKey(COLLECTION, "key-1"));
        Object encoding = connection.getOne();
        connection.sendCommand(Protocol.Command.INFO, "memory");
        String info = new String((byte[]) connection.getOne(), StandardCharsets.UTF_8);
        System.out.printf(
            Locale.ROOT,
            "memory: %s; encoding of a versioned key: %s%n",
            info.lines().filter(l -> l.startsWith("used_memory_human")).findFirst().orElse("?"),
            new String((byte[]) encoding, StandardCharsets.US_ASCII));
      }
    }
  }

  /** Writes every key with pipelined SETs of its JSON (encoding included, as the store does). */
  private static double plainSetRound(
      ConnectionPool pool, List<Map<String, Object>> docs, int first) {
    long start = System.nanoTime();
    try (Connection connection = pool.getResource()) {
      Pipeline pipeline = new Pipeline(connection);
      for (int i = first; i < first + CHUNK; i++) {
        pipeline.set(
            ("plain:" + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8),
            Documents.encode(docs.get(i % docs.size())));
      }
      pipeline.sync();
    }
    return CHUNK / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * The floor of any sorted-set layout: one bare ZADD per key, or (with {@code trim}) a ZADD and a
   * ZREMRANGEBYRANK keeping the newest 64, as a cap enforced in the write path would cost. Then,
   * untimed, keep three versions: the store's keys hold as many when the next epoch comes (its
   * purge keeps two epochs readable).
   */
  private static double zaddRound(
      ConnectionPool pool, List<Map<String, Object>> docs, long version, boolean trim, int first) {
    String prefix = trim ? "zaddtrim:" : "zadd:";
    long start = System.nanoTime();
    try (Connection connection = pool.getResource()) {
      Pipeline pipeline = new Pipeline(connection);
      for (int i = first; i < first + CHUNK; i++) {
        byte[] key = (prefix + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8);
        pipeline.zadd(
            key,
            0,
            RedisLayout.documentMember(
                Version.of(version), Documents.encode(docs.get(i % docs.size()))));
        if (trim) {
          pipeline.zremrangeByRank(key, 0, -65);
        }
      }
      pipeline.sync();
      double rate = CHUNK / ((System.nanoTime() - start) / 1e9);
      for (int i = first; i < first + CHUNK; i++) {
        pipeline.zremrangeByRank(
            (prefix + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8), 0, -4);
      }
      pipeline.sync();
      return rate;
    }
  }

  /**
   * Another layout's write, for reference: APPEND of the new version's member to a string that
   * holds the key's versions (as the Memcached store lays them out); then, untimed, cut the string
   * back to about three versions.
   */
  private static double appendRound(
      ConnectionPool pool, List<Map<String, Object>> docs, long version, int first) {
    long start = System.nanoTime();
    try (Connection connection = pool.getResource()) {
      Pipeline pipeline = new Pipeline(connection);
      for (int i = first; i < first + CHUNK; i++) {
        pipeline.append(
            ("append:" + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8),
            RedisLayout.documentMember(
                Version.of(version), Documents.encode(docs.get(i % docs.size()))));
      }
      pipeline.sync();
      double rate = CHUNK / ((System.nanoTime() - start) / 1e9);
      for (int i = first; i < first + CHUNK; i++) {
        byte[] member =
            RedisLayout.documentMember(
                Version.of(version), Documents.encode(docs.get(i % docs.size())));
        byte[] three = new byte[member.length * 3];
        for (int k = 0; k < 3; k++) {
          System.arraycopy(member, 0, three, k * member.length, member.length);
        }
        pipeline.set(
            ("append:" + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8), three);
      }
      pipeline.sync();
      return rate;
    }
  }

  /**
   * The previous layout's write path, for comparison in the same run: the checked script (check,
   * add, trim) for every key, {@link RedisStore#KEYS_PER_CALL} keys per EVALSHA.
   */
  private static double luaRound(
      ConnectionPool pool, List<Map<String, Object>> docs, long version, int chunks, int first) {
    byte[] sha = RedisScripts.sha1(RedisScripts.WRITE);
    byte[] cap = {'6', '4'};
    byte[] bound = RedisLayout.atOrBelow(version - 2L * chunks * 100);
    try (Connection connection = pool.getResource()) {
      Pipeline load = new Pipeline(connection);
      load.scriptLoad(RedisScripts.bytes(RedisScripts.WRITE), RedisLayout.SOURCES_KEY);
      load.sync();
      long start = System.nanoTime();
      Pipeline pipeline = new Pipeline(connection);
      for (int from = first; from < first + CHUNK; from += RedisStore.KEYS_PER_CALL) {
        int last = Math.min(first + CHUNK, from + RedisStore.KEYS_PER_CALL);
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> args = new ArrayList<>();
        args.add(cap);
        for (int i = from; i < last; i++) {
          keys.add(("lua:" + COLLECTION + ":key-" + i).getBytes(StandardCharsets.UTF_8));
          args.add(
              RedisLayout.documentMember(
                  Version.of(version), Documents.encode(docs.get(i % docs.size()))));
          args.add(bound);
        }
        pipeline.evalsha(sha, keys, args);
      }
      pipeline.sync();
      return CHUNK / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** One epoch writing a chunk of keys. */
  private static double versionedRound(
      RedisStore store, List<Map<String, Object>> docs, long version, int first) {
    Epoch.Builder builder = Epoch.builder("bench");
    for (int i = first; i < first + CHUNK; i++) {
      builder.add(Write.upsert(COLLECTION, "key-" + i, docs.get(i % docs.size())));
    }
    Epoch epoch = builder.build(Version.of(version));
    long start = System.nanoTime();
    if (!store.apply(epoch).succeeded()) {
      throw new IllegalStateException("benchmark epoch failed");
    }
    return CHUNK / ((System.nanoTime() - start) / 1e9);
  }

  private static Map<String, Object> plainGet(ConnectionPool pool, String key) {
    byte[] value;
    try (Connection connection = pool.getResource()) {
      connection.sendCommand(
          Protocol.Command.GET,
          ("plain:" + COLLECTION + ":" + key).getBytes(StandardCharsets.UTF_8));
      value = (byte[]) connection.getOne();
    }
    return value == null ? null : Documents.decode(value, 0, value.length);
  }

  /** The alternative read: one Lua call returning the member at or below S and the next version. */
  private static final String READ_SCRIPT =
      """
      local below = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[1], '-', 'LIMIT', 0, 1)
      if not below[1] then
        return false
      end
      local above = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], '+', 'LIMIT', 0, 1)
      if above[1] then
        return {below[1], string.sub(above[1], 1, 8)}
      end
      return {below[1]}
      """;

  private static final byte[] READ_SHA = RedisScripts.sha1(READ_SCRIPT);

  private static Lookup luaGet(ConnectionPool pool, String key, Version at) {
    Object reply;
    try (Connection connection = pool.getResource()) {
      List<byte[]> keys = List.of(RedisLayout.dataKey(COLLECTION, key));
      List<byte[]> args =
          List.of(RedisLayout.atOrBelow(at.asLong()), RedisLayout.above(at.asLong()));
      byte[][] command = new byte[2 + keys.size() + args.size()][];
      command[0] = READ_SHA;
      command[1] = "1".getBytes(StandardCharsets.US_ASCII);
      command[2] = keys.get(0);
      command[3] = args.get(0);
      command[4] = args.get(1);
      connection.sendCommand(Protocol.Command.EVALSHA, command);
      reply = connection.getMany(1).get(0);
      if (reply instanceof JedisNoScriptException) {
        connection.sendCommand(
            Protocol.Command.SCRIPT,
            "LOAD".getBytes(StandardCharsets.US_ASCII),
            RedisScripts.bytes(READ_SCRIPT));
        connection.getOne();
        connection.sendCommand(Protocol.Command.EVALSHA, command);
        reply = connection.getOne();
      }
    }
    List<?> found = (List<?>) reply;
    return RedisLayout.lookup(
        key, (byte[]) found.get(0), found.size() > 1 ? (byte[]) found.get(1) : null, at);
  }

  /** A few ad-like documents of about 300 bytes of JSON. */
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

  /** The median over rounds of {@code a / b} measured in the same round. */
  private static double medianRatio(List<Double> a, List<Double> b) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      ratios.add(a.get(i) / b.get(i));
    }
    return median(ratios);
  }

  private static String ratios(List<Double> a, List<Double> b) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < a.size(); i++) {
      out.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", a.get(i) / b.get(i)));
    }
    return out.toString();
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
