package io.tidemark.client;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One consistent cut S across every store: a key read and a search at S return exactly the source
 * as of S, whichever store answers (design §3.1). Immutable and cheap; take one per request and
 * pass {@link #token()} downstream.
 *
 * <p>Reads take a {@link ConsistencyLevel} (default {@link ConsistencyLevel#SNAPSHOT}):
 *
 * <ul>
 *   <li>{@code SNAPSHOT}: each store read at S (version filter).
 *   <li>{@code AT_LEAST}: each store's latest value. S is at or below the frontier, which every
 *       attached store had reached when it was published, so the answer is at least as new as S
 *       (causal) but may be newer, and two stores may disagree.
 *   <li>{@code LATEST}: each store's latest value, nothing promised; the same reads as {@code
 *       AT_LEAST} here, since a snapshot is never above the frontier.
 * </ul>
 *
 * <p>Key reads go to the collection's caches first, in the configured order; a cache answer (a
 * value, or a deletion marker covering S) is final, a miss or an unreachable cache moves on to the
 * read database (or, without one, the search index) at the same S. Detached stores are skipped when
 * they are caches and refused ({@link StoreUnavailableException}) otherwise.
 */
public final class Snapshot {

  /** How many hits a search returns when the caller does not say. */
  public static final int DEFAULT_SEARCH_SIZE = 10;

  private final Tidemark tidemark;
  private final Stamp stamp;

  Snapshot(Tidemark tidemark, Stamp stamp) {
    this.tidemark = tidemark;
    this.stamp = stamp;
  }

  /** The cut: source → version. */
  public Stamp stamp() {
    return stamp;
  }

  /** The token text, e.g. {@code tm1:listings@0/16B3748}: send it as {@code Tidemark-Snapshot}. */
  public String token() {
    return stamp.token();
  }

  // ---- key reads --------------------------------------------------------------------------

  /** The row {@code id} of {@code collection} at S: cache first, then the read database. */
  public Optional<Document> get(String collection, String id) {
    return get(collection, id, ConsistencyLevel.SNAPSHOT);
  }

  /** The row {@code id} of {@code collection} at this level; see the class comment. */
  public Optional<Document> get(String collection, String id, ConsistencyLevel level) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(level, "level");
    Route route = tidemark.route(collection);
    Version at = level == ConsistencyLevel.SNAPSHOT ? at(route) : null;
    Set<String> detached = tidemark.detachedStores();
    for (Route.NamedReader cache : route.caches()) {
      if (detached.contains(cache.name()) || !cacheCovers(cache, route, level)) {
        continue;
      }
      Lookup lookup;
      try {
        lookup = read(cache.reader(), collection, id, at);
      } catch (io.tidemark.protocol.store.StoreUnavailableException e) {
        continue; // a cache that cannot answer is a miss: slower, still exact
      }
      if (!lookup.isMiss()) {
        return document(lookup, id, cache.name());
      }
    }
    Route.NamedReader authority = route.authority();
    return document(readAttached(authority, collection, id, at, detached), id, authority.name());
  }

  /**
   * The row {@code id} from one kind of store only (to compare stores, or to bypass the cache).
   * Unlike {@link #get}, the answer may be a {@linkplain Lookup#isMiss() miss} when asking caches.
   *
   * @throws UnknownCollectionException when the collection has no store of that kind
   */
  public Lookup lookup(String collection, String id, ReadFrom from, ConsistencyLevel level) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(level, "level");
    Route route = tidemark.route(collection);
    Version at = level == ConsistencyLevel.SNAPSHOT ? at(route) : null;
    Set<String> detached = tidemark.detachedStores();
    switch (from) {
      case CACHE:
        if (route.caches().isEmpty()) {
          throw noStore(route, "cache");
        }
        for (Route.NamedReader cache : route.caches()) {
          if (!cacheCovers(cache, route, level)) {
            continue; // behind this snapshot: it cannot answer for it
          }
          Lookup lookup = readAttached(cache, collection, id, at, detached);
          if (!lookup.isMiss()) {
            return lookup;
          }
        }
        return Lookup.miss();
      case DB:
        if (route.db() == null) {
          throw noStore(route, "read database");
        }
        return readAttached(route.db(), collection, id, at, detached);
      default:
        if (route.search() == null) {
          throw noStore(route, "search index");
        }
        return readAttached(route.search(), collection, id, at, detached);
    }
  }

  /** The name of the store {@link #lookup} asks for this kind (the first cache, for caches). */
  public String storeName(String collection, ReadFrom from) {
    Route route = tidemark.route(collection);
    switch (from) {
      case CACHE:
        return route.caches().isEmpty() ? "" : route.caches().get(0).name();
      case DB:
        return route.db() == null ? "" : route.db().name();
      default:
        return route.search() == null ? "" : route.search().name();
    }
  }

  // ---- search -----------------------------------------------------------------------------

  /** The {@value #DEFAULT_SEARCH_SIZE} best rows matching {@code text} at S. */
  public List<Document> search(String collection, String text) {
    return search(collection, text, DEFAULT_SEARCH_SIZE, ConsistencyLevel.SNAPSHOT);
  }

  /** The {@code size} best rows matching {@code text} at S. */
  public List<Document> search(String collection, String text, int size) {
    return search(collection, text, size, ConsistencyLevel.SNAPSHOT);
  }

  /**
   * The {@code size} best rows matching {@code text} (Elasticsearch's simple query syntax over the
   * store's search fields), at this level.
   */
  public List<Document> search(String collection, String text, int size, ConsistencyLevel level) {
    Objects.requireNonNull(text, "text");
    Route.NamedReader index = index(collection);
    SearchReader reader = (SearchReader) index.reader();
    try {
      List<Entry> hits =
          level == ConsistencyLevel.SNAPSHOT
              ? reader.search(collection, text, at(tidemark.route(collection)), size)
              : reader.searchLatest(collection, text, size);
      return documents(hits, index.name());
    } catch (io.tidemark.protocol.store.StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  /** The {@code size} best rows matching an Elasticsearch query at S. */
  public List<Document> search(String collection, Query query, int size) {
    return search(collection, query, size, ConsistencyLevel.SNAPSHOT);
  }

  /**
   * The {@code size} best rows matching an Elasticsearch query, at this level. The query sees the
   * documents' own fields; the version filter is added around it.
   *
   * @throws IllegalArgumentException when the collection's search store is not Elasticsearch
   */
  public List<Document> search(String collection, Query query, int size, ConsistencyLevel level) {
    Objects.requireNonNull(query, "query");
    Route.NamedReader index = index(collection);
    if (!(index.reader() instanceof ElasticsearchStore)) {
      throw new IllegalArgumentException(
          "store '"
              + index.name()
              + "' is not Elasticsearch: search it with text, search(collection, text, size)");
    }
    ElasticsearchStore es = (ElasticsearchStore) index.reader();
    try {
      List<Entry> hits =
          level == ConsistencyLevel.SNAPSHOT
              ? es.search(collection, query, at(tidemark.route(collection)), size)
              : es.searchLatest(collection, query, size);
      return documents(hits, index.name());
    } catch (io.tidemark.protocol.store.StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private Route.NamedReader index(String collection) {
    Route route = tidemark.route(collection);
    if (route.search() == null) {
      throw noStore(route, "search index");
    }
    if (tidemark.detachedStores().contains(route.search().name())) {
      throw detached(route.search().name());
    }
    return route.search();
  }

  /** The version to read the route's collection at: its source's entry in S. */
  /**
   * Whether a cache may answer at this level. A cache that lost its data (restarted empty, flushed)
   * while the coordinator replays older epochs into it holds entries that look current but are not
   * yet closed by the epochs still to come: until its watermark reaches the snapshot again, it is
   * skipped (a miss: slower, still exact). In steady state every cache is at or above the frontier
   * and this costs one map lookup.
   */
  private boolean cacheCovers(Route.NamedReader cache, Route route, ConsistencyLevel level) {
    if (level == ConsistencyLevel.LATEST) {
      return true;
    }
    Optional<Version> needed = stamp.get(route.source());
    if (needed.isEmpty()) {
      return level != ConsistencyLevel.SNAPSHOT;
    }
    FrontierSource.StoreStatus status = tidemark.storeStatus(cache.name());
    return status != null
        && !status.watermark().getOrElse(route.source(), Version.ZERO).isBefore(needed.get());
  }

  private Version at(Route route) {
    Optional<Version> version = stamp.get(route.source());
    if (version.isEmpty()) {
      throw new SnapshotNotReadyException(
          "snapshot not ready: "
              + stamp
              + " does not name source '"
              + route.source()
              + "' of collection '"
              + route.collection()
              + "'; the frontier has not reached it yet (every store must apply its first epoch)");
    }
    return version.get();
  }

  private static Lookup read(StoreReader reader, String collection, String id, Version at) {
    return at == null ? reader.latest(collection, id) : reader.get(collection, id, at);
  }

  private static Lookup readAttached(
      Route.NamedReader store, String collection, String id, Version at, Set<String> detached) {
    if (detached.contains(store.name())) {
      throw detached(store.name());
    }
    try {
      return read(store.reader(), collection, id, at);
    } catch (io.tidemark.protocol.store.StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  private static Optional<Document> document(Lookup lookup, String id, String store) {
    if (!lookup.isFound()) {
      return Optional.empty(); // absent (or a miss from an authoritative store: not there)
    }
    Entry entry = lookup.entry().orElseThrow();
    return Optional.of(new Document(id, entry.range().from(), entry.document(), store));
  }

  private static List<Document> documents(List<Entry> hits, String store) {
    List<Document> out = new ArrayList<>(hits.size());
    for (Entry e : hits) {
      out.add(new Document(e.key(), e.range().from(), e.document(), store));
    }
    return Collections.unmodifiableList(out);
  }

  private static UnknownCollectionException noStore(Route route, String kind) {
    return new UnknownCollectionException(
        "collection '"
            + route.collection()
            + "' has no "
            + kind
            + "; it is read from "
            + route.storeNames());
  }

  private static StoreUnavailableException detached(String store) {
    return new StoreUnavailableException(
        store,
        "store '"
            + store
            + "' is detached: the frontier no longer waits for it, so it may be behind any"
            + " snapshot; its reads are refused until it is rebuilt and attached again",
        null);
  }

  private static StoreUnavailableException unavailable(
      io.tidemark.protocol.store.StoreUnavailableException e) {
    return new StoreUnavailableException(e.store(), e.getMessage(), e);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Snapshot && ((Snapshot) o).stamp.equals(stamp);
  }

  @Override
  public int hashCode() {
    return stamp.hashCode();
  }

  @Override
  public String toString() {
    return "Snapshot[" + stamp + "]";
  }
}
