package io.tidemark.connector.redis;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Redis as a Tidemark cache: writer and snapshot reader of the versioned layout described in {@link
 * RedisLayout}. Never authoritative: a key it does not hold at a snapshot is a {@linkplain
 * Lookup#miss() miss}, and the caller reads the read database at the same snapshot.
 *
 * <p><b>Writes.</b> Each epoch is sent as pipelined EVALSHA calls of one Lua script, each call
 * adding and trimming a batch of keys atomically per key. Only when every write succeeded is the
 * source's watermark written to {@code tm:watermark:<source>} (one more round trip), so Redis never
 * holds a watermark ahead of its data.
 *
 * <p><b>Watermark after losing data.</b> {@link #watermark()} reports, per source, the larger of
 * what Redis' watermark key said when this instance first reached it and what this instance has
 * applied since. If Redis restarts empty (no persistence) or is flushed, it still answers
 * consistently: every key it lost is a miss, never a wrong answer, and every epoch applied since
 * adds its versions on top of empty sets, which are correct ranges from their version on. So "every
 * epoch up to W is applied" still holds in the only sense a cache promises: no read at a snapshot
 * up to W returns anything but the source's value. The next epoch rewrites the watermark key. This
 * does not cover eviction under an {@code allkeys-*} maxmemory policy combined with a replay from
 * an older offset: run Redis with {@code noeviction} or a {@code volatile-*} policy (Tidemark's
 * keys carry no TTL, so those never evict them).
 *
 * <p><b>Memory.</b> Sorted sets stay compact (listpack) only while members are at most {@code
 * zset-max-listpack-value} bytes (default 64); larger members cost about four times the memory. Set
 * it to the largest usual document plus 9 bytes, e.g. {@code zset-max-listpack-value 4096}.
 *
 * <p>Thread-safe: {@link #apply} runs on one lane thread, everything else from any thread.
 */
public final class RedisStore implements StoreWriter, StoreReader {

  /** Keys per EVALSHA call: amortizes the script call without holding Redis for long. */
  static final int KEYS_PER_CALL = 64;

  private static final int SCAN_COUNT = 1000;
  private static final byte[] ZSET = "zset".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NO_HORIZON = new byte[0];
  private static final byte[] LIMIT = "LIMIT".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ZERO = {'0'};
  private static final byte[] ONE = {'1'};
  private static final byte[] MINUS_ONE = {'-', '1'};

  /** SCRIPT LOAD's routing hint, which a standalone Redis ignores. */
  private static final byte[] SOME_KEY = RedisLayout.SOURCES_KEY;

  private static final Script WRITE = new Script(RedisScripts.WRITE);
  private static final Script TRIM = new Script(RedisScripts.TRIM);

  private final RedisStoreConfig config;
  private final ConnectionPool pool;
  private final byte[] cap;
  private final int keysPerCall;

  /** Per source, what Redis said at first contact joined with what this instance applied. */
  private volatile Stamp watermark = Stamp.empty();

  private volatile boolean seeded;

  /** Per collection, the latest horizon given to {@link #purge}; writes trim to it. */
  private final Map<String, Version> horizons = new ConcurrentHashMap<>();

  private RedisStore(RedisStoreConfig config, int keysPerCall) {
    this.config = config;
    this.keysPerCall = keysPerCall;
    this.cap = Integer.toString(config.maxVersionsPerKey()).getBytes(StandardCharsets.US_ASCII);
    ConnectionPoolConfig poolConfig = new ConnectionPoolConfig();
    poolConfig.setMaxTotal(config.maxConnections());
    poolConfig.setMaxIdle(config.maxConnections());
    poolConfig.setMinIdle(0);
    poolConfig.setMaxWait(config.timeout());
    poolConfig.setJmxEnabled(false);
    this.pool =
        new ConnectionPool(
            new HostAndPort(config.host(), config.port()),
            DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) config.connectTimeout().toMillis())
                .socketTimeoutMillis((int) config.timeout().toMillis())
                .clientName("tidemark-" + config.storeName())
                .build(),
            poolConfig);
  }

  /**
   * A store on the Redis at {@code config.address()}. Connects lazily: a Redis that is down now
   * makes writes retryable and reads unavailable until it is back, and opening never fails for it.
   */
  public static RedisStore open(RedisStoreConfig config) {
    return open(config, KEYS_PER_CALL);
  }

  /** For the benchmark: how many keys one script call takes. */
  static RedisStore open(RedisStoreConfig config, int keysPerCall) {
    RedisStore store = new RedisStore(config, keysPerCall);
    try {
      store.seedWatermark();
    } catch (JedisException e) {
      // Reached again on the first apply or watermark call.
    }
    return store;
  }

  // ---------------------------------------------------------------- writing

  @Override
  public ApplyResult apply(Epoch epoch) {
    try {
      seedWatermark();
    } catch (JedisException e) {
      return ApplyResult.all(
          epoch, WriteOutcome.RETRYABLE, failure("reading the watermark", e).getMessage());
    }
    Version done = watermark.getOrElse(epoch.source(), null);
    if (done != null && !epoch.version().isAfter(done)) {
      return ApplyResult.all(epoch, WriteOutcome.ALREADY_APPLIED, "");
    }

    List<Write> writes = epoch.writes();
    WriteResult[] results = new WriteResult[writes.size()];
    List<Integer> sent = new ArrayList<>(writes.size());
    List<byte[]> keys = new ArrayList<>(writes.size());
    List<byte[]> members = new ArrayList<>(writes.size());
    List<byte[]> bounds = new ArrayList<>(writes.size());
    for (int i = 0; i < writes.size(); i++) {
      Write write = writes.get(i);
      try {
        RedisLayout.requireCollection(write.collection());
        byte[] member =
            write.isDelete()
                ? RedisLayout.deletionMember(epoch.version())
                : RedisLayout.documentMember(epoch.version(), Documents.encode(write.document()));
        keys.add(RedisLayout.dataKey(write.collection(), write.key()));
        members.add(member);
        Version horizon = horizons.get(write.collection());
        bounds.add(horizon == null ? NO_HORIZON : RedisLayout.atOrBelow(horizon.asLong()));
        sent.add(i);
      } catch (IllegalArgumentException e) {
        results[i] = WriteResult.fatal(write, e.getMessage());
      }
    }

    try {
      WriteResult[] prepared = results;
      return call(
          connection -> {
            WriteResult[] out = prepared.clone();
            List<Object> replies = runWrites(connection, keys, members, bounds);
            for (int b = 0, first = 0; first < sent.size(); b++, first += keysPerCall) {
              Object reply = replies.get(b);
              int last = Math.min(first + keysPerCall, sent.size());
              for (int j = first; j < last; j++) {
                out[sent.get(j)] = writeResult(writes.get(sent.get(j)), reply, j - first);
              }
            }
            // A partial epoch (part of the initial snapshot) leaves the watermark for the whole
            // one.
            if (!epoch.partial() && Arrays.stream(out).allMatch(r -> r.outcome().succeeded())) {
              recordWatermark(connection, epoch.source(), epoch.version());
            }
            return new ApplyResult(epoch.version(), Arrays.asList(out));
          });
    } catch (JedisAccessControlException e) {
      return ApplyResult.all(epoch, WriteOutcome.FATAL, failure("writing", e).getMessage());
    } catch (JedisException e) {
      // Connection lost or timed out part-way: some writes may have landed. Writes are idempotent
      // by (key, version), so retrying the whole epoch is safe.
      return ApplyResult.all(epoch, WriteOutcome.RETRYABLE, failure("writing", e).getMessage());
    }
  }

  /**
   * Runs {@code action} on a pooled connection. When the connection turns out dead (Redis restarted
   * since it was opened), drops every idle connection and runs it once more on a fresh one; every
   * action here is idempotent. A timeout is not retried: the server is slow or frozen, and waiting
   * twice would only double the delay.
   */
  private <T> T call(Function<Connection, T> action) {
    try (Connection connection = pool.getResource()) {
      return action.apply(connection);
    } catch (JedisConnectionException e) {
      if (timedOut(e)) {
        throw e;
      }
      pool.clear();
      try (Connection connection = pool.getResource()) {
        return action.apply(connection);
      }
    }
  }

  private static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** One reply per call of {@link #keysPerCall} keys, each a list of results or an exception. */
  private List<Object> runWrites(
      Connection connection, List<byte[]> keys, List<byte[]> members, List<byte[]> bounds) {
    for (int attempt = 0; ; attempt++) {
      Pipeline pipeline = new Pipeline(connection);
      List<Response<Object>> responses = new ArrayList<>();
      for (int first = 0; first < keys.size(); first += keysPerCall) {
        int last = Math.min(first + keysPerCall, keys.size());
        List<byte[]> args = new ArrayList<>(1 + 2 * (last - first));
        args.add(cap);
        for (int i = first; i < last; i++) {
          args.add(members.get(i));
          args.add(bounds.get(i));
        }
        responses.add(pipeline.evalsha(WRITE.sha, keys.subList(first, last), args));
      }
      pipeline.sync();
      List<Object> replies = new ArrayList<>(responses.size());
      boolean missingScript = false;
      for (Response<Object> response : responses) {
        try {
          replies.add(response.get());
        } catch (JedisNoScriptException e) {
          missingScript = true;
        } catch (JedisDataException e) {
          replies.add(e);
        }
      }
      if (!missingScript) {
        return replies;
      }
      if (attempt > 0) {
        throw new JedisDataException("NOSCRIPT after loading the write script");
      }
      // Redis lost its script cache (restart): load it and send again. Batches that did run are
      // answered "already there" the second time.
      loadScript(connection, WRITE);
    }
  }

  private WriteResult writeResult(Write write, Object reply, int index) {
    Object code = reply instanceof List<?> codes ? codes.get(index) : reply;
    if (code instanceof Long added) {
      return added == 1 ? WriteResult.applied(write) : WriteResult.alreadyApplied(write);
    }
    String error =
        code instanceof JedisDataException e
            ? String.valueOf(e.getMessage())
            : code instanceof byte[] text
                ? new String(text, StandardCharsets.UTF_8)
                : String.valueOf(code);
    String message = "redis at " + config.address() + " refused " + write + ": " + error;
    if (code instanceof JedisBusyException || error.startsWith("OOM")) {
      return WriteResult.retryable(
          write, message + " (Redis is busy or full: raise maxmemory, purge more often, or wait)");
    }
    if (error.startsWith("WRONGTYPE")) {
      return WriteResult.fatal(
          write,
          message + " (the key holds something other than a Tidemark sorted set; delete it)");
    }
    return WriteResult.fatal(write, message);
  }

  /** Writes the source's watermark after its data, then moves this instance's watermark. */
  private void recordWatermark(Connection connection, String source, Version version) {
    Pipeline pipeline = new Pipeline(connection);
    pipeline.set(
        RedisLayout.watermarkKey(source), version.toString().getBytes(StandardCharsets.US_ASCII));
    pipeline.sadd(RedisLayout.SOURCES_KEY, source.getBytes(StandardCharsets.UTF_8));
    pipeline.sync();
    advance(source, version);
  }

  private synchronized void advance(String source, Version version) {
    watermark = watermark.join(Stamp.of(source, version));
  }

  /** Learns the watermarks Redis holds, once; until it succeeds, every write tries again. */
  private void seedWatermark() {
    if (seeded) {
      return;
    }
    Map<String, byte[]> found =
        call(
            connection -> {
              Pipeline members = new Pipeline(connection);
              Response<Set<byte[]>> names = members.smembers(RedisLayout.SOURCES_KEY);
              members.sync();
              List<byte[]> sources = new ArrayList<>(names.get());
              Pipeline pipeline = new Pipeline(connection);
              List<Response<byte[]>> values = new ArrayList<>();
              for (byte[] source : sources) {
                values.add(
                    pipeline.get(
                        RedisLayout.watermarkKey(new String(source, StandardCharsets.UTF_8))));
              }
              pipeline.sync();
              Map<String, byte[]> out = new HashMap<>();
              for (int i = 0; i < sources.size(); i++) {
                if (values.get(i).get() != null) {
                  out.put(new String(sources.get(i), StandardCharsets.UTF_8), values.get(i).get());
                }
              }
              return out;
            });
    for (Map.Entry<String, byte[]> e : found.entrySet()) {
      try {
        advance(e.getKey(), Version.parse(new String(e.getValue(), StandardCharsets.US_ASCII)));
      } catch (IllegalArgumentException notOurs) {
        // Not a version: the source's next epoch overwrites it.
      }
    }
    seeded = true;
  }

  @Override
  public Stamp makeVisible() {
    // A write Redis acknowledged is visible to every reader.
    return watermark();
  }

  @Override
  public Stamp watermark() {
    if (!seeded) {
      try {
        seedWatermark();
      } catch (JedisException e) {
        // Not reachable: report what this instance knows, which is never ahead of its data.
      }
    }
    return watermark;
  }

  /**
   * Trims every key of the collection to the horizon (SCAN plus the trim script, pipelined per SCAN
   * page) and remembers the horizon, so later writes trim their keys to it as well.
   */
  @Override
  public long purge(String collection, Version horizon) {
    RedisLayout.requireCollection(collection);
    horizons.merge(collection, horizon, Version::max);
    byte[] bound = RedisLayout.atOrBelow(horizon.asLong());
    List<byte[]> args = List.of(bound);
    ScanParams params =
        new ScanParams().match(RedisLayout.scanPattern(collection)).count(SCAN_COUNT);
    try {
      return call(
          connection -> {
            long removed = 0;
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
              Pipeline scan = new Pipeline(connection);
              Response<ScanResult<byte[]>> reply = scan.scan(cursor, params, ZSET);
              scan.sync();
              ScanResult<byte[]> page = reply.get();
              cursor = page.getCursorAsBytes();
              List<byte[]> keys = page.getResult();
              for (int first = 0; first < keys.size(); first += keysPerCall) {
                List<byte[]> batch =
                    keys.subList(first, Math.min(first + keysPerCall, keys.size()));
                removed += (Long) evalsha(connection, TRIM, batch, args);
              }
            } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
            return removed;
          });
    } catch (JedisException e) {
      throw failure("purging " + collection, e);
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * One round trip: the newest member at or below {@code at} and the member after it (whose version
   * ends the range), as two pipelined ZRANGEBYLEX sent straight on the connection. Measured against
   * a Lua script returning both, and against a Jedis Pipeline: both cost more (see the README).
   */
  @Override
  public Lookup get(String collection, String key, Version at) {
    RedisLayout.requireCollection(collection);
    byte[] dataKey = RedisLayout.dataKey(collection, key);
    byte[] below = RedisLayout.atOrBelow(at.asLong());
    byte[] above = RedisLayout.above(at.asLong());
    List<Object> replies;
    try {
      replies =
          call(
              connection -> {
                connection.sendCommand(
                    Protocol.Command.ZREVRANGEBYLEX,
                    dataKey,
                    below,
                    RedisLayout.LEX_MIN,
                    LIMIT,
                    ZERO,
                    ONE);
                connection.sendCommand(
                    Protocol.Command.ZRANGEBYLEX,
                    dataKey,
                    above,
                    RedisLayout.LEX_MAX,
                    LIMIT,
                    ZERO,
                    ONE);
                return connection.getMany(2);
              });
    } catch (JedisException e) {
      throw failure("reading " + collection + "/" + key, e);
    }
    for (Object reply : replies) {
      if (reply instanceof JedisDataException e) {
        return foreignValue(collection, key, e);
      }
    }
    return RedisLayout.lookup(key, first(replies.get(0)), first(replies.get(1)), at);
  }

  private static byte[] first(Object reply) {
    List<?> members = (List<?>) reply;
    return members.isEmpty() ? null : (byte[]) members.get(0);
  }

  @Override
  public Lookup latest(String collection, String key) {
    RedisLayout.requireCollection(collection);
    byte[] dataKey = RedisLayout.dataKey(collection, key);
    Object reply;
    try {
      reply =
          call(
              connection -> {
                connection.sendCommand(Protocol.Command.ZRANGE, dataKey, MINUS_ONE, MINUS_ONE);
                return connection.getMany(1).get(0);
              });
    } catch (JedisException e) {
      throw failure("reading " + collection + "/" + key, e);
    }
    if (reply instanceof JedisDataException e) {
      return foreignValue(collection, key, e);
    }
    return RedisLayout.latest(key, first(reply));
  }

  /**
   * A key that holds something other than a Tidemark sorted set (WRONGTYPE) is not known to the
   * cache: a miss. Writes to it fail fatally and name the key, which is where the problem shows.
   */
  private Lookup foreignValue(String collection, String key, JedisDataException e) {
    if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
      return Lookup.miss();
    }
    throw failure("reading " + collection + "/" + key, e);
  }

  @Override
  public boolean authoritative() {
    return false;
  }

  @Override
  public void close() {
    pool.close();
  }

  private static Object evalsha(
      Connection connection, Script script, List<byte[]> keys, List<byte[]> args) {
    try {
      return evalshaOnce(connection, script, keys, args);
    } catch (JedisNoScriptException e) {
      loadScript(connection, script);
      return evalshaOnce(connection, script, keys, args);
    }
  }

  private static Object evalshaOnce(
      Connection connection, Script script, List<byte[]> keys, List<byte[]> args) {
    Pipeline pipeline = new Pipeline(connection);
    Response<Object> reply = pipeline.evalsha(script.sha, keys, args);
    pipeline.sync();
    return reply.get();
  }

  private static void loadScript(Connection connection, Script script) {
    Pipeline pipeline = new Pipeline(connection);
    Response<byte[]> sha = pipeline.scriptLoad(script.body, SOME_KEY);
    pipeline.sync();
    sha.get();
  }

  private StoreUnavailableException failure(String what, JedisException e) {
    String kind = e instanceof JedisConnectionException ? "cannot reach it" : "error";
    return new StoreUnavailableException(
        config.storeName(),
        "redis at " + config.address() + ": " + what + ": " + kind + ": " + e.getMessage(),
        e);
  }

  @Override
  public String toString() {
    return "RedisStore[" + config.storeName() + " at " + config.address() + "]";
  }

  /** A script with its SHA-1. */
  private static final class Script {
    final byte[] body;
    final byte[] sha;

    Script(String text) {
      this.body = RedisScripts.bytes(text);
      this.sha = RedisScripts.sha1(text);
    }
  }
}
