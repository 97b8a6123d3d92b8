package io.tidemark.connector.memcached;

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
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.spy.memcached.AddrUtil;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.OperationTimeoutException;
import net.spy.memcached.ops.OperationException;

/**
 * Memcached as a Tidemark cache: writer and snapshot reader of the versioned layout described in
 * {@link MemcachedLayout}. Never authoritative: a key it does not hold at a snapshot is a
 * {@linkplain Lookup#miss() miss}, and the caller reads the read database at the same snapshot.
 *
 * <p><b>Writes</b> need no read in the usual case: a version of a key whose list this instance
 * wrote is one {@code append} of the new entry, and a key it does not know is one {@code add} of a
 * new list, all sent before any reply is awaited. A key whose list needs trimming (past {@code
 * maxVersionsPerKey}, past the item size, or holding enough entries no longer readable from the
 * horizon), or whose append or add was not stored (evicted, or written by another instance), is
 * read with multi-key {@code gets} commands ({@link BulkGetsClient}) and stored whole with {@code
 * cas} (or {@code add} when missing), retrying a key whose CAS lost to another writer up to {@code
 * maxCasAttempts} times. A read is one {@code get}.
 *
 * <p><b>Watermark.</b> Memcached may evict or flush anything, so the watermark lives in this
 * instance: per source, the newest epoch whose every write succeeded here. It is mirrored in the
 * item {@code tm:watermark:<source>} after the epoch's data, and a new instance starts from that
 * item when it is still there (it was written only after its data). After a flush, a restart of
 * memcached, or an eviction, the cache is still consistent: every lost key is a miss, never a wrong
 * answer, and epochs applied since start new lists at their own version. So the watermark it
 * reports then is simply what this instance applied; it never covers an epoch that did not succeed.
 *
 * <p><b>Purge</b> removes nothing and returns 0: a key's list is trimmed when it is written and
 * needs it (to the horizon last given to {@link #purge}, and to {@code maxVersionsPerKey}), lists
 * of keys that are no longer written are bounded by that, and memcached evicts what is not used.
 * Enumerating keys to trim them is not possible in memcached anyway.
 *
 * <p><b>Large values.</b> A list must fit in one item (the server's {@code item_size_max}, read
 * from {@code stats settings}; {@code -I 2m} allows documents of about 2 MB). Older versions are
 * dropped first; a version too large even alone is recorded as "not cached", so reads at it miss
 * and fall back to the read database, and the lane goes on.
 *
 * <p>Several servers: keys are spread by consistent hashing, and an operation on a server that is
 * down fails at once (no redistribution to another server, which would later hand back stale lists
 * when the first one returns); the epoch is then retried.
 *
 * <p>Thread-safe: {@link #apply} runs on one lane thread, everything else from any thread.
 */
public final class MemcachedStore implements StoreWriter, StoreReader {

  /**
   * How many keys' lists the writer remembers (about 150 bytes each, so ~15 MB): a key beyond them
   * is written with an {@code add}, or read and rewritten, as on first contact.
   */
  static final int KNOWN_KEYS = 100_000;

  /** Room for the item header, key and CAS in an item of {@code item_size_max} bytes. */
  static final int ITEM_OVERHEAD = 1024;

  /** A restarted server is found again within this many seconds (spymemcached's default: 30). */
  private static final long MAX_RECONNECT_DELAY_SECONDS = 2;

  private final MemcachedStoreConfig config;
  private final BulkGetsClient client;
  private final long timeoutMillis;

  private volatile Stamp watermark = Stamp.empty();
  private final Set<String> seeded = ConcurrentHashMap.newKeySet();
  private final Map<String, Version> horizons = new ConcurrentHashMap<>();

  /**
   * What this instance wrote to its most recently written keys (at most {@link #KNOWN_KEYS}): lets
   * a write append to a list instead of reading it first. Used by the lane thread only.
   */
  private final Map<String, MemcachedLayout.Known> written =
      new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, MemcachedLayout.Known> eldest) {
          return size() > KNOWN_KEYS;
        }
      };

  private volatile int maxValueBytes = -1;

  private MemcachedStore(MemcachedStoreConfig config, BulkGetsClient client) {
    this.config = config;
    this.client = client;
    this.timeoutMillis = config.timeout().toMillis();
  }

  /**
   * A store on the servers at {@code config.addresses()}. Connects in the background: servers that
   * are down now make writes retryable and reads unavailable until they are back.
   *
   * @throws StoreUnavailableException when the client cannot be created at all
   */
  public static MemcachedStore open(MemcachedStoreConfig config) {
    // With FailureMode.Cancel an operation on a server whose connection is not up yet fails, so
    // wait (up to the timeout) for the first connections before handing the store out.
    CountDownLatch connected = new CountDownLatch(config.addresses().size());
    ConnectionObserver observer =
        new ConnectionObserver() {
          @Override
          public void connectionEstablished(SocketAddress server, int reconnectCount) {
            connected.countDown();
          }

          @Override
          public void connectionLost(SocketAddress server) {}
        };
    BulkGetsClient client;
    try {
      client =
          new BulkGetsClient(
              new ConnectionFactoryBuilder()
                  .setProtocol(ConnectionFactoryBuilder.Protocol.TEXT)
                  .setOpTimeout(config.timeout().toMillis())
                  .setFailureMode(FailureMode.Cancel)
                  .setLocatorType(ConnectionFactoryBuilder.Locator.CONSISTENT)
                  .setHashAlg(DefaultHashAlgorithm.KETAMA_HASH)
                  .setMaxReconnectDelay(MAX_RECONNECT_DELAY_SECONDS)
                  .setInitialObservers(List.of(observer))
                  .setDaemon(true)
                  .build(),
              AddrUtil.getAddresses(config.addresses()));
    } catch (IOException e) {
      throw new StoreUnavailableException(
          config.storeName(),
          "memcached at " + config.addresses() + ": cannot create the client: " + e.getMessage(),
          e);
    }
    try {
      // Servers that are down now are not waited for beyond the timeout: their operations fail
      // (writes retryable, reads unavailable) until the client reconnects in the background.
      connected.await(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new MemcachedStore(config, client);
  }

  // ---------------------------------------------------------------- writing

  @Override
  public ApplyResult apply(Epoch epoch) {
    try {
      seed(epoch.source());
      maxValueBytes();
    } catch (Unavailable e) {
      return ApplyResult.all(epoch, WriteOutcome.RETRYABLE, e.getMessage());
    }
    Version done = watermark.getOrElse(epoch.source(), null);
    if (done != null && !epoch.version().isAfter(done)) {
      return ApplyResult.all(epoch, WriteOutcome.ALREADY_APPLIED, "");
    }

    List<Write> writes = epoch.writes();
    int n = writes.size();
    WriteResult[] results = new WriteResult[n];
    String[] keys = new String[n];
    byte[][] collections = new byte[n][];
    byte[][] keyBytes = new byte[n][];
    byte[][] payloads = new byte[n][];
    long version = epoch.version().asLong();

    // First the writes that need no read: an append of the new entry to a list this instance
    // wrote, or an add of a new list for a key it does not know. All sent before any is awaited.
    List<Integer> rewrite = new ArrayList<>();
    List<Integer> sent = new ArrayList<>(n);
    List<Future<Boolean>> stores = new ArrayList<>(n);
    List<MemcachedLayout.Known> after = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Write write = writes.get(i);
      try {
        payloads[i] = write.isDelete() ? null : Documents.encode(write.document());
      } catch (IllegalArgumentException e) {
        results[i] = WriteResult.fatal(write, e.getMessage());
        continue;
      }
      keys[i] = MemcachedLayout.cacheKey(write.collection(), write.key());
      collections[i] = write.collection().getBytes(StandardCharsets.UTF_8);
      keyBytes[i] = write.key().getBytes(StandardCharsets.UTF_8);
      byte[] entry = MemcachedLayout.entry(version, payloads[i]);
      int header = MemcachedLayout.headerSize(collections[i], keyBytes[i]);
      MemcachedLayout.Known known = written.get(keys[i]);
      switch (MemcachedLayout.route(
          known,
          version,
          header,
          entry.length,
          horizons.get(write.collection()),
          config.maxVersionsPerKey(),
          maxValueBytes)) {
        case ADD -> {
          sent.add(i);
          stores.add(
              client.add(
                  keys[i],
                  0,
                  MemcachedLayout.newList(collections[i], keyBytes[i], entry),
                  RawTranscoder.INSTANCE));
          after.add(new MemcachedLayout.Known(new long[] {version}, header + entry.length));
        }
        case APPEND -> {
          sent.add(i);
          stores.add(client.append(keys[i], entry, RawTranscoder.INSTANCE));
          after.add(known.plus(version, entry.length));
        }
        case ALREADY_THERE -> results[i] = WriteResult.alreadyApplied(write);
        case REWRITE -> rewrite.add(i);
      }
    }
    for (int s = 0; s < sent.size(); s++) {
      int i = sent.get(s);
      Write write = writes.get(i);
      Boolean stored;
      try {
        stored = awaitStore(stores.get(s), "writing " + write);
      } catch (Unavailable e) {
        results[i] = WriteResult.retryable(write, e.getMessage());
        continue;
      }
      if (Boolean.TRUE.equals(stored)) {
        results[i] = WriteResult.applied(write);
        written.put(keys[i], after.get(s));
      } else {
        // The list was evicted (append), another writer added one (add), or the server refused
        // the append (too large): read it and store it whole.
        rewrite.add(i);
      }
    }
    rewrite.sort(null);

    List<Integer> pending = rewrite;
    for (int attempt = 1; attempt <= config.maxCasAttempts() && !pending.isEmpty(); attempt++) {
      BulkGetsClient.Found found;
      try {
        List<String> pendingKeys = new ArrayList<>(pending.size());
        for (int i : pending) {
          pendingKeys.add(keys[i]);
        }
        found = client.getsMany(pendingKeys, timeoutMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        for (int i : pending) {
          results[i] = WriteResult.retryable(writes.get(i), where() + ": interrupted");
        }
        pending = List.of();
        break;
      }
      List<Integer> storing = new ArrayList<>(pending.size());
      List<Future<?>> casStores = new ArrayList<>(pending.size());
      List<byte[]> values = new ArrayList<>(pending.size());
      for (int i : pending) {
        Write write = writes.get(i);
        if (found.failed().contains(keys[i])) {
          results[i] =
              WriteResult.retryable(
                  write,
                  where()
                      + ": reading "
                      + write
                      + ": no answer within "
                      + timeoutMillis
                      + " ms, or the server is down");
          continue;
        }
        CASValue<byte[]> current = found.values().get(keys[i]);
        MemcachedLayout.Update update =
            MemcachedLayout.write(
                current == null ? null : current.getValue(),
                collections[i],
                keyBytes[i],
                version,
                payloads[i],
                horizons.get(write.collection()),
                config.maxVersionsPerKey(),
                maxValueBytes);
        if (update instanceof MemcachedLayout.AlreadyThere) {
          results[i] = WriteResult.alreadyApplied(write);
          MemcachedLayout.Known known = MemcachedLayout.Known.of(current.getValue());
          if (known != null) {
            written.put(keys[i], known);
          }
          continue;
        }
        byte[] value = ((MemcachedLayout.Store) update).value();
        storing.add(i);
        values.add(value);
        casStores.add(
            current == null
                ? client.add(keys[i], 0, value, RawTranscoder.INSTANCE)
                : client.asyncCAS(keys[i], current.getCas(), value, RawTranscoder.INSTANCE));
      }
      List<Integer> conflicts = new ArrayList<>();
      for (int s = 0; s < storing.size(); s++) {
        int i = storing.get(s);
        Write write = writes.get(i);
        Object reply;
        try {
          reply = await(casStores.get(s), "writing " + write);
        } catch (Unavailable e) {
          results[i] = WriteResult.retryable(write, e.getMessage());
          continue;
        }
        if (Boolean.TRUE.equals(reply) || reply == CASResponse.OK) {
          results[i] = WriteResult.applied(write);
          MemcachedLayout.Known known = MemcachedLayout.Known.of(values.get(s));
          if (known != null) {
            written.put(keys[i], known);
          }
        } else if (Boolean.FALSE.equals(reply)
            || reply == CASResponse.EXISTS
            || reply == CASResponse.NOT_FOUND) {
          // Another writer added, changed or evicted the key since our gets: read it again.
          conflicts.add(i);
        } else {
          results[i] =
              WriteResult.retryable(write, where() + ": unexpected reply " + reply + " to store");
        }
      }
      pending = conflicts;
    }
    for (int i : pending) {
      results[i] =
          WriteResult.retryable(
              writes.get(i),
              where()
                  + ": the key kept changing between gets and cas ("
                  + config.maxCasAttempts()
                  + " attempts); another writer is updating it");
    }

    boolean allSucceeded = Arrays.stream(results).allMatch(r -> r.outcome().succeeded());
    // A partial epoch (part of the initial snapshot) leaves the watermark for the whole one.
    if (allSucceeded && !epoch.partial()) {
      advance(epoch.source(), epoch.version());
      mirrorWatermark(epoch.source(), epoch.version());
    }
    return new ApplyResult(epoch.version(), Arrays.asList(results));
  }

  /** Best effort: the item only spares a new instance a replay, and may be evicted any time. */
  private void mirrorWatermark(String source, Version version) {
    try {
      await(
          client.set(
              MemcachedLayout.watermarkKey(source),
              0,
              version.toString().getBytes(StandardCharsets.US_ASCII),
              RawTranscoder.INSTANCE),
          "writing the watermark");
    } catch (Unavailable e) {
      // The instance's watermark holds; the next epoch writes the item again.
    }
  }

  private synchronized void advance(String source, Version version) {
    watermark = watermark.join(Stamp.of(source, version));
  }

  /** The first time a source is seen, starts from the watermark item if memcached still has it. */
  private void seed(String source) {
    if (seeded.contains(source)) {
      return;
    }
    byte[] value =
        await(
            client.asyncGet(MemcachedLayout.watermarkKey(source), RawTranscoder.INSTANCE),
            "reading the watermark of " + source);
    if (value != null) {
      try {
        advance(source, Version.parse(new String(value, StandardCharsets.US_ASCII)));
      } catch (IllegalArgumentException e) {
        // Not ours; the next epoch overwrites it.
      }
    }
    seeded.add(source);
  }

  /** The largest value every server accepts, read once from {@code stats settings}. */
  int maxValueBytes() {
    int known = maxValueBytes;
    if (known > 0) {
      return known;
    }
    Map<SocketAddress, Map<String, String>> stats;
    try {
      stats = client.getStats("settings");
    } catch (RuntimeException e) {
      throw new Unavailable(where() + ": reading stats settings: " + e, e);
    }
    long smallest = Long.MAX_VALUE;
    int answered = 0;
    for (Map<String, String> settings : stats.values()) {
      String text = settings.get("item_size_max");
      if (text != null) {
        smallest = Math.min(smallest, Long.parseLong(text.trim()));
        answered++;
      }
    }
    if (answered < config.addresses().size()) {
      throw new Unavailable(
          where()
              + ": "
              + answered
              + " of "
              + config.addresses().size()
              + " servers answered stats settings (item_size_max), which every write needs",
          null);
    }
    known = (int) Math.min(Integer.MAX_VALUE, smallest - ITEM_OVERHEAD);
    maxValueBytes = known;
    return known;
  }

  @Override
  public Stamp makeVisible() {
    // A value memcached acknowledged is visible to every reader.
    return watermark;
  }

  @Override
  public Stamp watermark() {
    return watermark;
  }

  /**
   * Remembers the horizon, so that every later write of a key of this collection drops the versions
   * that end at or before it; removes nothing now and returns 0 (see the class comment).
   */
  @Override
  public long purge(String collection, Version horizon) {
    horizons.merge(collection, horizon, Version::max);
    return 0;
  }

  /**
   * Memcached cannot list or delete keys by prefix, so this flushes the whole cache (other
   * collections only miss until written again: a cache is never the only copy) and forgets the
   * watermark and what this instance wrote.
   */
  @Override
  public void clear(String collection) {
    java.util.Objects.requireNonNull(collection, "collection");
    String what = "flushing to clear collection '" + collection + "'";
    Boolean flushed;
    try {
      flushed = await(client.flush(), what);
    } catch (Unavailable e) {
      throw new StoreUnavailableException(config.storeName(), e.getMessage(), e.getCause());
    }
    if (!Boolean.TRUE.equals(flushed)) {
      throw new StoreUnavailableException(
          config.storeName(), where() + ": " + what + ": flush_all was refused", null);
    }
    synchronized (this) {
      watermark = Stamp.empty();
    }
    written.clear();
  }

  // ---------------------------------------------------------------- reading

  @Override
  public Lookup get(String collection, String key, Version at) {
    byte[] value = read(collection, key);
    return MemcachedLayout.lookup(value, collection.getBytes(StandardCharsets.UTF_8), key, at);
  }

  @Override
  public Lookup latest(String collection, String key) {
    byte[] value = read(collection, key);
    return MemcachedLayout.latest(value, collection.getBytes(StandardCharsets.UTF_8), key);
  }

  private byte[] read(String collection, String key) {
    try {
      return await(
          client.asyncGet(MemcachedLayout.cacheKey(collection, key), RawTranscoder.INSTANCE),
          "reading " + collection + "/" + key);
    } catch (Unavailable e) {
      throw new StoreUnavailableException(config.storeName(), e.getMessage(), e.getCause());
    }
  }

  /** For the benchmark: plain get/set on the very same connection, for a like-for-like figure. */
  BulkGetsClient client() {
    return client;
  }

  @Override
  public boolean authoritative() {
    return false;
  }

  @Override
  public void close() {
    client.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- errors

  private <T> T await(Future<T> future, String what) {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new Unavailable(where() + ": " + what + ": interrupted", e);
    } catch (TimeoutException | OperationTimeoutException e) {
      future.cancel(true);
      throw new Unavailable(
          where() + ": " + what + ": no answer within " + config.timeout().toMillis() + " ms", e);
    } catch (ExecutionException | IllegalStateException e) {
      // Cancelled (CancellationException is an IllegalStateException): the server is down
      // (FailureMode.Cancel) or the connection was reset; or the client is shutting down.
      throw new Unavailable(where() + ": " + what + ": " + describe(e), e);
    }
  }

  /**
   * The reply to an append or add: true stored, false not stored, and also false when the server
   * answered with an error (an append past the item size limit), so the caller falls back to
   * reading and rewriting the list. Throws {@link Unavailable} when there is no answer.
   */
  private Boolean awaitStore(Future<Boolean> future, String what) {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof OperationException) {
        return Boolean.FALSE;
      }
      throw new Unavailable(where() + ": " + what + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new Unavailable(where() + ": " + what + ": interrupted", e);
    } catch (TimeoutException | OperationTimeoutException e) {
      future.cancel(true);
      throw new Unavailable(
          where() + ": " + what + ": no answer within " + config.timeout().toMillis() + " ms", e);
    } catch (IllegalStateException e) {
      throw new Unavailable(where() + ": " + what + ": " + describe(e), e);
    }
  }

  private static String describe(Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  private String where() {
    return "memcached store '"
        + config.storeName()
        + "' at "
        + String.join(",", config.addresses());
  }

  @Override
  public String toString() {
    return "MemcachedStore[" + config.storeName() + " at " + config.addresses() + "]";
  }

  /** A server could not be reached or did not answer; writes retry, reads report unavailable. */
  private static final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
