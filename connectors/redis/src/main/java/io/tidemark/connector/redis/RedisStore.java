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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * Redis as a Tidemark cache: writer and snapshot reader of the versioned layout described in {@link
 * RedisLayout}. Never authoritative: a key it does not hold at a snapshot is a {@linkplain
 * Lookup#miss() miss}, and the caller reads the read database at the same snapshot.
 *
 * <p><b>Writes.</b> Each epoch is one pipeline of plain commands, no script: per collection a
 * {@code ZADD tm:written GT} that raises the collection's write mark to the epoch's version, then
 * one {@code ZADD key 0 member} per write (idempotent: the same member is added once). The mark,
 * sent first, is what lets a later instance trust the plain ZADD: a version below it (a replay
 * after a crash, where a previous instance already wrote newer versions) is sent through the
 * checked script instead, which refuses a version below the key's newest member. Trimming is left
 * to {@link #purge}, which the coordinator runs on a cadence anyway. Only when every write
 * succeeded is the source's watermark written to {@code tm:watermark:<source>} (one more round
 * trip), so Redis never holds a watermark ahead of its data.
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
  private static final byte[] MINUS_TWO = {'-', '2'};

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

  /**
   * Per collection, the latest horizon given to {@link #purge}; purge and checked writes trim to
   * it.
   */
  private final Map<String, Version> horizons = new ConcurrentHashMap<>();

  /**
   * Per collection, an unsigned version at or above every version any writer has added to it: the
   * write mark Redis held at first contact, joined with this instance's writes. A write at or above
   * it is a plain ZADD; one below it takes the checked script.
   */
  private final Map<String, Long> written = new ConcurrentHashMap<>();

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
    try {
      return call(connection -> write(connection, epoch));
    } catch (JedisAccessControlException e) {
      return ApplyResult.all(epoch, WriteOutcome.FATAL, failure("writing", e).getMessage());
    } catch (JedisException e) {
      // Connection lost or timed out part-way: some writes may have landed. Writes are idempotent
      // by (key, version), so retrying the whole epoch is safe.
      return ApplyResult.all(epoch, WriteOutcome.RETRYABLE, failure("writing", e).getMessage());
    }
  }

  /**
   * Sends the epoch in one pipeline: first the write marks of its collections, then a ZADD per
   * write at or above its collection's mark, then the others (below the mark) as checked EVALSHA
   * calls of {@link #keysPerCall} keys. Redis runs a connection's commands in order, so a mark is
   * in place (and in any persisted state) before the members it covers. Members are encoded while
   * the pipeline streams out, so Redis works on the first commands while later ones are encoded.
   * Then, only when every write succeeded, the watermark.
   */
  private ApplyResult write(Connection connection, Epoch epoch) {
    long version = epoch.version().asLong();
    List<Write> writes = epoch.writes();
    int n = writes.size();
    WriteResult[] results = new WriteResult[n];

    // The collections whose mark this epoch raises (or restates: Redis may have lost it in a
    // restart while this instance kept its copy).
    Map<String, Response<Long>> marks = new LinkedHashMap<>();
    boolean[] plain = new boolean[n];
    Pipeline pipeline = new Pipeline(connection);
    double mark = RedisLayout.markAtOrAbove(version);
    for (int i = 0; i < n; i++) {
      String collection = writes.get(i).collection();
      try {
        RedisLayout.requireCollection(collection);
      } catch (IllegalArgumentException e) {
        results[i] = WriteResult.fatal(writes.get(i), e.getMessage());
        continue;
      }
      plain[i] = Long.compareUnsigned(version, written.getOrDefault(collection, 0L)) >= 0;
      if (plain[i] && !marks.containsKey(collection)) {
        marks.put(
            collection,
            pipeline.zadd(
                RedisLayout.WRITTEN_KEY,
                mark,
                collection.getBytes(StandardCharsets.UTF_8),
                ZAddParams.zAddParams().gt()));
      }
    }

    List<Response<Object>> added = new ArrayList<>(Collections.nCopies(n, null));
    Batch checked = new Batch();
    for (int i = 0; i < n; i++) {
      if (results[i] != null) {
        continue;
      }
      Write write = writes.get(i);
      byte[] member;
      try {
        member =
            write.isDelete()
                ? RedisLayout.deletionMember(epoch.version())
                : RedisLayout.documentMember(epoch.version(), Documents.encode(write.document()));
      } catch (IllegalArgumentException e) {
        results[i] = WriteResult.fatal(write, e.getMessage());
        continue;
      }
      byte[] key = RedisLayout.dataKey(write.collection(), write.key());
      if (plain[i]) {
        // The score as ready bytes: Jedis' zadd(double) formats it on every call.
        added.set(i, pipeline.sendCommand(Protocol.Command.ZADD, key, ZERO, member));
      } else {
        Version horizon = horizons.get(write.collection());
        checked.add(
            i, key, member, horizon == null ? NO_HORIZON : RedisLayout.atOrBelow(horizon.asLong()));
      }
    }
    List<Response<Object>> scripts = sendChecked(pipeline, checked);
    pipeline.sync();

    Map<String, String> refusedMarks = new HashMap<>();
    for (Map.Entry<String, Response<Long>> e : marks.entrySet()) {
      try {
        e.getValue().get();
      } catch (JedisDataException refused) {
        refusedMarks.put(e.getKey(), String.valueOf(refused.getMessage()));
      }
    }
    for (int i = 0; i < n; i++) {
      if (added.get(i) == null) {
        continue;
      }
      Write write = writes.get(i);
      String refused = refusedMarks.get(write.collection());
      if (refused != null) {
        // Its member may have landed without the mark that must cover it; the retry sends both.
        results[i] =
            WriteResult.retryable(
                write,
                "redis at "
                    + config.address()
                    + " refused the write mark of collection "
                    + write.collection()
                    + ", which must precede its data: "
                    + refused);
        continue;
      }
      Object reply;
      try {
        reply = added.get(i).get();
      } catch (JedisDataException e) {
        reply = e;
      }
      results[i] = writeResult(write, reply, 0);
    }
    List<Object> replies = checkedReplies(scripts);
    if (replies.contains(NOSCRIPT)) {
      // Redis lost its script cache (restart): load it and send the checked writes again. Calls
      // that did run answer "already there" the second time.
      loadScript(connection, WRITE);
      Pipeline again = new Pipeline(connection);
      List<Response<Object>> resent = sendChecked(again, checked);
      again.sync();
      replies = checkedReplies(resent);
      if (replies.contains(NOSCRIPT)) {
        throw new JedisDataException("NOSCRIPT after loading the write script");
      }
    }
    for (int b = 0, first = 0; first < checked.size(); b++, first += keysPerCall) {
      int last = Math.min(first + keysPerCall, checked.size());
      for (int j = first; j < last; j++) {
        int i = checked.index(j);
        results[i] = writeResult(writes.get(i), replies.get(b), j - first);
      }
    }
    for (String collection : marks.keySet()) {
      if (!refusedMarks.containsKey(collection)) {
        written.merge(collection, version, RedisStore::maxUnsigned);
      }
    }
    // A partial epoch (part of the initial snapshot) leaves the watermark for the whole one.
    if (!epoch.partial() && Arrays.stream(results).allMatch(r -> r.outcome().succeeded())) {
      recordWatermark(connection, epoch.source(), epoch.version());
    }
    return new ApplyResult(epoch.version(), Arrays.asList(results));
  }

  private static long maxUnsigned(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0 ? a : b;
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

  private List<Response<Object>> sendChecked(Pipeline pipeline, Batch checked) {
    List<Response<Object>> responses = new ArrayList<>();
    for (int first = 0; first < checked.size(); first += keysPerCall) {
      int last = Math.min(first + keysPerCall, checked.size());
      List<byte[]> keys = new ArrayList<>(last - first);
      List<byte[]> args = new ArrayList<>(1 + 2 * (last - first));
      args.add(cap);
      for (int j = first; j < last; j++) {
        keys.add(checked.key(j));
        args.add(checked.member(j));
        args.add(checked.bound(j));
      }
      responses.add(pipeline.evalsha(WRITE.sha, keys, args));
    }
    return responses;
  }

  private static List<Object> checkedReplies(List<Response<Object>> responses) {
    List<Object> replies = new ArrayList<>(responses.size());
    for (Response<Object> response : responses) {
      try {
        replies.add(response.get());
      } catch (JedisNoScriptException e) {
        replies.add(NOSCRIPT);
      } catch (JedisDataException e) {
        replies.add(e);
      }
    }
    return replies;
  }

  /** Stands for a NOSCRIPT reply among the checked writes' replies. */
  private static final Object NOSCRIPT = new Object();

  /** The checked writes, in epoch order: where each came from, its key, member and trim bound. */
  private static final class Batch {
    private final List<Integer> indexes = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();
    private final List<byte[]> members = new ArrayList<>();
    private final List<byte[]> bounds = new ArrayList<>();

    void add(int index, byte[] key, byte[] member, byte[] bound) {
      indexes.add(index);
      keys.add(key);
      members.add(member);
      bounds.add(bound);
    }

    int size() {
      return indexes.size();
    }

    int index(int j) {
      return indexes.get(j);
    }

    byte[] key(int j) {
      return keys.get(j);
    }

    byte[] member(int j) {
      return members.get(j);
    }

    byte[] bound(int j) {
      return bounds.get(j);
    }
  }

  private WriteResult writeResult(Write write, Object reply, int index) {
    Object code = reply instanceof List<?> codes ? codes.get(index) : reply;
    if (code instanceof Long added) {
      // ZADD: 1 added, 0 already there. Checked write: also -1, a newer version is there.
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
              Response<List<Tuple>> marks =
                  members.zrangeWithScores(RedisLayout.WRITTEN_KEY, 0, -1);
              members.sync();
              for (Tuple mark : marks.get()) {
                written.merge(
                    new String(mark.getBinaryElement(), StandardCharsets.UTF_8),
                    RedisLayout.markVersion(mark.getScore()),
                    RedisStore::maxUnsigned);
              }
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
   * Trims every key of the collection to the horizon, keeping the member visible at it, and to
   * {@code maxVersionsPerKey} (SCAN plus the trim script, per SCAN page). This is the only place
   * plain writes are trimmed; the horizon is also remembered for the rare checked writes.
   */
  @Override
  public long purge(String collection, Version horizon) {
    RedisLayout.requireCollection(collection);
    horizons.merge(collection, horizon, Version::max);
    byte[] bound = RedisLayout.atOrBelow(horizon.asLong());
    List<byte[]> args = List.of(bound, cap);
    try {
      return call(
          connection -> {
            long[] removed = {0};
            forEachKeyPage(
                connection,
                collection,
                keys -> {
                  for (int first = 0; first < keys.size(); first += keysPerCall) {
                    List<byte[]> batch =
                        keys.subList(first, Math.min(first + keysPerCall, keys.size()));
                    removed[0] += (Long) evalsha(connection, TRIM, batch, args);
                  }
                });
            return removed[0];
          });
    } catch (JedisException e) {
      throw failure("purging " + collection, e);
    }
  }

  /**
   * Deletes every key of the collection (SCAN, then UNLINK per page), its write mark and every
   * watermark key, so the store is as if nothing had been written to it.
   */
  @Override
  public void clear(String collection) {
    RedisLayout.requireCollection(collection);
    try {
      call(
          connection -> {
            forEachKeyPage(
                connection,
                collection,
                keys -> {
                  if (!keys.isEmpty()) {
                    Pipeline unlink = new Pipeline(connection);
                    unlink.unlink(keys.toArray(new byte[0][]));
                    unlink.sync();
                  }
                });
            Pipeline marks = new Pipeline(connection);
            Response<Set<byte[]>> sources = marks.smembers(RedisLayout.SOURCES_KEY);
            marks.zrem(RedisLayout.WRITTEN_KEY, collection.getBytes(StandardCharsets.UTF_8));
            marks.sync();
            Pipeline watermarks = new Pipeline(connection);
            for (byte[] source : sources.get()) {
              watermarks.del(RedisLayout.watermarkKey(new String(source, StandardCharsets.UTF_8)));
            }
            watermarks.del(RedisLayout.SOURCES_KEY);
            watermarks.sync();
            return null;
          });
    } catch (JedisException e) {
      throw failure("clearing " + collection, e);
    }
    written.remove(collection);
    watermark = Stamp.empty();
  }

  /** Calls {@code each} with every SCAN page of the collection's keys, until the scan ends. */
  private static void forEachKeyPage(
      Connection connection, String collection, java.util.function.Consumer<List<byte[]>> each) {
    ScanParams params =
        new ScanParams().match(RedisLayout.scanPattern(collection)).count(SCAN_COUNT);
    byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    do {
      Pipeline scan = new Pipeline(connection);
      Response<ScanResult<byte[]>> reply = scan.scan(cursor, params, ZSET);
      scan.sync();
      ScanResult<byte[]> page = reply.get();
      cursor = page.getCursorAsBytes();
      each.accept(page.getResult());
    } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
  }

  // ---------------------------------------------------------------- reading

  /**
   * Usually one command: the key's two newest members ({@code ZRANGE key -2 -1}, from the tail of
   * the set, so its cost does not grow with the versions the key holds) decide a read at a recent
   * snapshot, the common case. When both are newer than {@code at}, a second round trip finds the
   * entry further back.
   */
  @Override
  public Lookup get(String collection, String key, Version at) {
    RedisLayout.requireCollection(collection);
    byte[] dataKey = RedisLayout.dataKey(collection, key);
    List<byte[]> newest = newest(collection, key, dataKey, MINUS_TWO);
    if (newest == null) {
      return Lookup.miss();
    }
    Lookup decided = RedisLayout.lookupFromNewest(key, newest, at);
    return decided != null ? decided : getFurtherBack(collection, key, dataKey, at);
  }

  /**
   * The key's newest members, from {@code first} (a negative rank: -2 for the two newest) to the
   * newest, oldest first: one {@code ZRANGE} from the tail of the set. Null when the key holds
   * something other than a Tidemark sorted set.
   */
  private List<byte[]> newest(String collection, String key, byte[] dataKey, byte[] first) {
    Object reply;
    try {
      reply =
          call(
              connection -> {
                connection.sendCommand(Protocol.Command.ZRANGE, dataKey, first, MINUS_ONE);
                return connection.getMany(1).get(0);
              });
    } catch (JedisException e) {
      throw failure("reading " + collection + "/" + key, e);
    }
    if (reply instanceof JedisDataException e) {
      requireForeignValue(collection, key, e);
      return null;
    }
    @SuppressWarnings("unchecked")
    List<byte[]> members = (List<byte[]>) reply;
    return members;
  }

  /**
   * One round trip: the newest member at or below {@code at} and the member after it (whose version
   * ends the range), as two pipelined ZRANGEBYLEX sent straight on the connection. Measured against
   * a Lua script returning both, and against a Jedis Pipeline: both cost more (see the README).
   */
  private Lookup getFurtherBack(String collection, String key, byte[] dataKey, Version at) {
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
        requireForeignValue(collection, key, e);
        return Lookup.miss();
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
    List<byte[]> newest = newest(collection, key, RedisLayout.dataKey(collection, key), MINUS_ONE);
    return newest == null || newest.isEmpty()
        ? Lookup.miss()
        : RedisLayout.latest(key, newest.get(0));
  }

  /**
   * A key that holds something other than a Tidemark sorted set (WRONGTYPE) is not known to the
   * cache: its reads are misses. Writes to it fail fatally and name the key, which is where the
   * problem shows. Any other error is the store's.
   */
  private void requireForeignValue(String collection, String key, JedisDataException e) {
    if (!String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
      throw failure("reading " + collection + "/" + key, e);
    }
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
