package io.tidemark.client;

import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStore;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.protocol.ReadAdmission;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.store.StoreReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The read path: takes snapshots and reads every store at them (design §5).
 *
 * <pre>{@code
 * Tidemark tidemark = Tidemark.builder()
 *     .frontier(FrontierSource.remote(URI.create("http://127.0.0.1:7070")))
 *     .source("listings")
 *     .store(ElasticsearchStoreConfig.of("http://127.0.0.1:9200").withStoreName("search"))
 *     .store(RedisStoreConfig.of("cache", "127.0.0.1:6379"))
 *     .store(PostgresStoreConfig.of(jdbcUrl, user, password).withStoreName("readdb"))
 *     .collection("ads", "search", "cache", "readdb")
 *     .build();
 *
 * Snapshot s = tidemark.snapshot();                       // at the current frontier
 * List<Document> hits = s.search("ads", "red bicycle");   // the index at S
 * Optional<Document> ad = s.get("ads", hits.get(0).id()); // cache, else read database, at S
 * String token = s.token();                               // pass it on: Tidemark-Snapshot header
 *
 * Snapshot mine = tidemark.snapshotAtLeast(myCommitToken, Duration.ofSeconds(1)); // read-your-writes
 * }</pre>
 *
 * <p>Thread-safe; build one per application and share it. {@link #close()} closes the stores it
 * opened from connection settings and the frontier source, not readers passed in open.
 */
public final class Tidemark implements AutoCloseable {

  private final FrontierSource frontier;
  private final Map<String, Route> routes;
  private final Set<String> collectionSources;
  private final List<StoreReader> owned;
  private final boolean ownsFrontier;

  private Tidemark(Builder b, Map<String, Route> routes, List<StoreReader> owned) {
    this.frontier = b.frontier;
    this.ownsFrontier = b.ownsFrontier;
    this.routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    Set<String> sources = new TreeSet<>();
    routes.values().forEach(r -> sources.add(r.source()));
    this.collectionSources = Collections.unmodifiableSet(sources);
    this.owned = List.copyOf(owned);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A snapshot at the current frontier.
   *
   * @throws SnapshotNotReadyException when no frontier has been published yet
   * @throws StoreUnavailableException when a remote frontier source cannot be reached
   */
  public Snapshot snapshot() {
    Stamp at = frontier.frontier();
    if (at.isEmpty()) {
      throw new SnapshotNotReadyException(
          "snapshot not ready: no frontier has been published yet (every store must apply the"
              + " first epoch); retry shortly");
    }
    return new Snapshot(this, at);
  }

  /** The current frontier's token, to pass on; see {@link #snapshot()}. */
  public String token() {
    return snapshot().token();
  }

  /**
   * A snapshot exactly at {@code token}, checked against the horizon and the frontier. Sources this
   * deployment does not know (another service's, carried along in the token) are kept in the
   * snapshot's token but not checked; known sources the token leaves out are read at the frontier.
   *
   * @throws BadTokenException when the token is malformed
   * @throws SnapshotExpiredException when it is below the horizon
   * @throws SnapshotNotReadyException when it is above the frontier
   */
  public Snapshot snapshot(String token) {
    return snapshot(parse(token));
  }

  /** A snapshot exactly at {@code stamp}; see {@link #snapshot(String)}. */
  public Snapshot snapshot(Stamp stamp) {
    Objects.requireNonNull(stamp, "stamp");
    Stamp current = frontier.frontier();
    Stamp known = known(stamp, current);
    ReadAdmission admission = ReadAdmission.check(known, current, frontier.horizon());
    if (!admission.isReadable() && admission.verdict() != ReadAdmission.Verdict.EXPIRED) {
      // The frontier in hand may be a remembered one: ask the coordinator before refusing.
      try {
        current = frontier.awaitCovering(known, Duration.ZERO).orElse(current);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      known = known(stamp, current);
      admission = ReadAdmission.check(known, current, frontier.horizon());
    }
    switch (admission.verdict()) {
      case READABLE:
        return new Snapshot(this, complete(stamp, current));
      case EXPIRED:
        throw new SnapshotExpiredException(admission.message());
      default:
        throw new SnapshotNotReadyException(admission.message());
    }
  }

  /**
   * A snapshot at the frontier once it covers {@code token}: read-your-writes (a writer's own
   * commit LSN, {@code tm1:listings@<lsn>}) and tokens passed in by other services. The snapshot
   * may be newer than the token; it is never older.
   *
   * @param timeout how long to wait for the frontier; zero to look once
   * @throws BadTokenException when the token is malformed
   * @throws SnapshotNotReadyException when the frontier did not cover it in time
   */
  public Snapshot snapshotAtLeast(String token, Duration timeout) {
    return snapshotAtLeast(parse(token), timeout);
  }

  /** See {@link #snapshotAtLeast(String, Duration)}. */
  public Snapshot snapshotAtLeast(Stamp stamp, Duration timeout) {
    Objects.requireNonNull(stamp, "stamp");
    Objects.requireNonNull(timeout, "timeout");
    Stamp known = known(stamp, frontier.frontier());
    Optional<Stamp> covering;
    try {
      covering = frontier.awaitCovering(known, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnapshotNotReadyException(
          "snapshot not ready: interrupted while waiting for the frontier to reach " + stamp);
    }
    return atLeast(stamp, covering, timeout);
  }

  /**
   * {@link #snapshotAtLeast(String, Duration)} without holding the calling thread while it waits:
   * for servers that wait for many tokens at once. Completes exceptionally with the same typed
   * exceptions (wrapped in a {@link java.util.concurrent.CompletionException} where the future API
   * does so).
   */
  public java.util.concurrent.CompletableFuture<Snapshot> snapshotAtLeastAsync(
      String token, Duration timeout) {
    Stamp stamp;
    try {
      stamp = parse(token);
    } catch (BadTokenException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    Objects.requireNonNull(timeout, "timeout");
    Stamp known = known(stamp, frontier.frontier());
    return frontier
        .whenCovering(known, timeout)
        .thenApply(covering -> atLeast(stamp, covering, timeout));
  }

  private Snapshot atLeast(Stamp stamp, Optional<Stamp> covering, Duration timeout) {
    if (covering.isEmpty() || covering.get().isEmpty()) {
      throw new SnapshotNotReadyException(
          "snapshot not ready: the frontier "
              + frontier.frontier()
              + " did not reach "
              + stamp
              + " within "
              + timeout
              + "; wait longer, or check the coordinator's store lag (GET /v1/frontier)");
    }
    return new Snapshot(this, complete(stamp, covering.get()).join(covering.get()));
  }

  /** The configured collections. */
  public Set<String> collections() {
    return routes.keySet();
  }

  /** The names of the stores {@code collection} is read from, as configured. */
  public List<String> stores(String collection) {
    return route(collection).storeNames();
  }

  /** Where this instance learns the frontier. */
  public FrontierSource frontierSource() {
    return frontier;
  }

  // ---- for Snapshot ----------------------------------------------------------------------

  Route route(String collection) {
    Route route = routes.get(collection);
    if (route == null) {
      throw new UnknownCollectionException(
          "unknown collection '" + collection + "': collections are " + routes.keySet());
    }
    return route;
  }

  Set<String> detachedStores() {
    return frontier.detachedStores();
  }

  /** What the frontier source knows of a store (its watermark), or null. */
  FrontierSource.StoreStatus storeStatus(String store) {
    return frontier.stores().get(store);
  }

  // ---- stamps -----------------------------------------------------------------------------

  private static Stamp parse(String token) {
    try {
      return SnapshotToken.parse(token);
    } catch (io.tidemark.protocol.BadTokenException e) {
      throw new BadTokenException(e);
    }
  }

  /**
   * The part of {@code stamp} this deployment can check: the sources of its collections and of its
   * frontier. Other sources belong to other services and only travel along.
   */
  private Stamp known(Stamp stamp, Stamp current) {
    Stamp known = stamp;
    for (String source : stamp.sources()) {
      if (!collectionSources.contains(source) && current.get(source).isEmpty()) {
        known = without(known, source);
      }
    }
    return known;
  }

  private static Stamp without(Stamp stamp, String source) {
    Map<String, io.tidemark.protocol.Version> rest = new LinkedHashMap<>(stamp.asMap());
    rest.remove(source);
    return Stamp.of(rest);
  }

  /** {@code stamp} with every source it leaves out taken from {@code current}. */
  private static Stamp complete(Stamp stamp, Stamp current) {
    Stamp out = stamp;
    for (Map.Entry<String, io.tidemark.protocol.Version> e : current.asMap().entrySet()) {
      if (stamp.get(e.getKey()).isEmpty()) {
        out = out.with(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** Closes the stores opened from connection settings, and an owned frontier source. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (StoreReader reader : owned) {
      try {
        reader.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (ownsFrontier) {
      frontier.close();
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "Tidemark[frontier=" + frontier + ", collections=" + routes.keySet() + "]";
  }

  /**
   * Configures a {@link Tidemark}: where the frontier comes from, the stores (connection settings
   * or open readers, each under its deployment name), and each collection's source and stores.
   */
  public static final class Builder {
    private FrontierSource frontier;
    private boolean ownsFrontier = true;
    private String defaultSource;
    private final Map<String, Supplier<StoreReader>> openers = new LinkedHashMap<>();
    private final Map<String, StoreReader> given = new LinkedHashMap<>();
    private final Map<String, String> collectionSource = new LinkedHashMap<>();
    private final Map<String, List<String>> collectionStores = new LinkedHashMap<>();

    private Builder() {}

    /** Where the frontier comes from; {@link Tidemark#close()} closes it. */
    public Builder frontier(FrontierSource source) {
      this.frontier = Objects.requireNonNull(source, "source");
      this.ownsFrontier = true;
      return this;
    }

    /** Where the frontier comes from, shared with others: {@link Tidemark#close()} leaves it. */
    public Builder sharedFrontier(FrontierSource source) {
      this.frontier = Objects.requireNonNull(source, "source");
      this.ownsFrontier = false;
      return this;
    }

    /** The source (e.g. {@code listings}) of collections added without one. */
    public Builder source(String source) {
      Stamp.of(source, io.tidemark.protocol.Version.ZERO); // validates the name
      this.defaultSource = source;
      return this;
    }

    /** An Elasticsearch index store, named by {@link ElasticsearchStoreConfig#storeName()}. */
    public Builder store(ElasticsearchStoreConfig config) {
      return opener(config.storeName(), () -> ElasticsearchStore.open(config));
    }

    /** A Redis cache, named by {@link RedisStoreConfig#storeName()}. */
    public Builder store(RedisStoreConfig config) {
      return opener(config.storeName(), () -> RedisStore.open(config));
    }

    /** A Memcached cache, named by {@link MemcachedStoreConfig#storeName()}. */
    public Builder store(MemcachedStoreConfig config) {
      return opener(config.storeName(), () -> MemcachedStore.open(config));
    }

    /** A PostgreSQL read database, named by {@link PostgresStoreConfig#storeName()}. */
    public Builder store(PostgresStoreConfig config) {
      return opener(config.storeName(), () -> PostgresStore.open(config));
    }

    /**
     * A store reader that is already open, under its deployment name. Its role follows from it: a
     * {@link io.tidemark.protocol.store.SearchReader} is a search index, another authoritative
     * reader a read database, a non-authoritative one a cache. {@link Tidemark#close()} leaves it
     * open.
     */
    public Builder store(String name, StoreReader reader) {
      requireNewStore(name);
      given.put(name, Objects.requireNonNull(reader, "reader"));
      return this;
    }

    private Builder opener(String name, Supplier<StoreReader> opener) {
      requireNewStore(name);
      openers.put(name, opener);
      return this;
    }

    private void requireNewStore(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a store needs a name, e.g. cache");
      }
      if (openers.containsKey(name) || given.containsKey(name)) {
        throw new IllegalArgumentException("store '" + name + "' is given twice");
      }
    }

    /**
     * A collection of the {@linkplain #source default source}, read from these stores. Key reads
     * try its caches in this order, then its read database (or, without one, its search index).
     */
    public Builder collection(String name, String... stores) {
      return collection(name, null, List.of(stores));
    }

    /** A collection of {@code source}, read from these stores. */
    public Builder collection(String name, String source, Collection<String> stores) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a collection needs a name, e.g. ads");
      }
      if (collectionStores.containsKey(name)) {
        throw new IllegalArgumentException("collection '" + name + "' is given twice");
      }
      if (stores.isEmpty()) {
        throw new IllegalArgumentException(
            "collection '" + name + "' names no store; name the stores it is copied into");
      }
      if (source != null) {
        Stamp.of(source, io.tidemark.protocol.Version.ZERO); // validates the name
      }
      collectionSource.put(name, source);
      collectionStores.put(name, List.copyOf(stores));
      return this;
    }

    /**
     * Opens the stores given by connection settings (connectors connect lazily, so a store that is
     * down now does not fail this) and checks the collections.
     *
     * @throws IllegalArgumentException naming what is missing or inconsistent
     */
    public Tidemark build() {
      if (frontier == null) {
        throw new IllegalStateException(
            "no frontier source: call frontier(FrontierSource.remote(URI.create(\"http://127.0.0.1:7070\")))"
                + " or frontier(FrontierSource.inProcess(...))");
      }
      Set<String> allStores = new HashSet<>(openers.keySet());
      allStores.addAll(given.keySet());
      for (Map.Entry<String, List<String>> c : collectionStores.entrySet()) {
        for (String store : c.getValue()) {
          if (!allStores.contains(store)) {
            throw new IllegalArgumentException(
                "collection '"
                    + c.getKey()
                    + "' names unknown store '"
                    + store
                    + "'; stores given: "
                    + new TreeSet<>(allStores));
          }
        }
        if (collectionSource.get(c.getKey()) == null && defaultSource == null) {
          throw new IllegalArgumentException(
              "collection '"
                  + c.getKey()
                  + "' has no source: call source(\"listings\") or collection(name, source, stores)");
        }
      }
      List<StoreReader> owned = new ArrayList<>();
      Map<String, StoreReader> readers = new LinkedHashMap<>(given);
      try {
        for (Map.Entry<String, Supplier<StoreReader>> o : openers.entrySet()) {
          StoreReader reader = o.getValue().get();
          owned.add(reader);
          readers.put(o.getKey(), reader);
        }
        Map<String, Route> routes = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> c : collectionStores.entrySet()) {
          List<Route.NamedReader> named = new ArrayList<>();
          for (String store : c.getValue()) {
            named.add(new Route.NamedReader(store, readers.get(store)));
          }
          String source = collectionSource.get(c.getKey());
          routes.put(
              c.getKey(), Route.of(c.getKey(), source == null ? defaultSource : source, named));
        }
        return new Tidemark(this, routes, owned);
      } catch (RuntimeException e) {
        owned.forEach(StoreReader::close);
        throw e;
      }
    }
  }
}
