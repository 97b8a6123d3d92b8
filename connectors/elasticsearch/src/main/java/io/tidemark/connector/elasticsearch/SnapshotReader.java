package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.VersionRange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Reads at a version and latest reads. Every read is a search, so it sees exactly what the last
 * refresh published, the same data the watermark speaks for; a real-time GET would also see
 * acknowledged but unrefreshed versions.
 *
 * <p>Hits come back with their full source, bookkeeping fields included, and those are taken out
 * here: the range is read from them and the document returned without them. That costs less than
 * having Elasticsearch filter the source and load the fields separately.
 */
final class SnapshotReader {

  /** Elasticsearch's default {@code index.max_result_window}. */
  static final int MAX_SIZE = 10_000;

  private final Cluster cluster;
  private final Indices indices;
  private final List<String> searchFields;

  SnapshotReader(Cluster cluster, Indices indices, List<String> searchFields) {
    this.cluster = cluster;
    this.indices = indices;
    this.searchFields = searchFields;
  }

  /** A text query over the configured fields, Elasticsearch's simple query syntax. */
  Query text(String text) {
    Objects.requireNonNull(text, "text");
    return Query.of(
        q -> q.simpleQueryString(s -> s.query(text).fields(searchFields).lenient(true)));
  }

  Lookup get(String collection, String key, Version at) {
    Objects.requireNonNull(at, "at");
    return byKey(collection, key, Filters.visibleAt(at), "reading key '" + key + "' at " + at);
  }

  Lookup latest(String collection, String key) {
    return byKey(collection, key, Filters.current(), "reading the latest of key '" + key + "'");
  }

  private Lookup byKey(String collection, String key, Query version, String what) {
    Objects.requireNonNull(key, "key");
    String index = indices.nameOrNull(collection);
    if (index == null) {
      return Lookup.absent();
    }
    Query query =
        Query.of(
            q ->
                q.bool(
                    b ->
                        b.filter(f -> f.term(t -> t.field(Layout.KEY).value(FieldValue.of(key))))
                            .filter(version)));
    try {
      SearchResponse<Cluster.Source> response =
          cluster
              .client()
              .search(
                  s ->
                      s.index(index)
                          .routing(Layout.routing(Layout.idKey(key)))
                          .ignoreUnavailable(true)
                          .query(query)
                          .size(1)
                          .trackTotalHits(t -> t.enabled(false))
                          .sort(o -> o.field(f -> f.field(Layout.FROM).order(SortOrder.Desc))),
                  Cluster.Source.class);
      List<Hit<Cluster.Source>> hits = response.hits().hits();
      return hits.isEmpty() ? Lookup.absent() : Lookup.found(entry(hits.get(0).source()));
    } catch (IOException | ElasticsearchException e) {
      if (Cluster.isIndexMissing(e)) {
        return Lookup.absent();
      }
      throw cluster.failure(what + " in collection '" + collection + "'", e);
    }
  }

  /** The documents matching {@code query} among those selected by {@code version}, best first. */
  List<Entry> search(String collection, Query query, Query version, int size, String what) {
    Objects.requireNonNull(query, "query");
    if (size < 0 || size > MAX_SIZE) {
      throw new IllegalArgumentException("size " + size + " is out of range: use 0 to " + MAX_SIZE);
    }
    String index = indices.nameOrNull(collection);
    if (index == null) {
      return List.of();
    }
    Query wrapped = Query.of(q -> q.bool(b -> b.must(query).filter(version)));
    try {
      SearchResponse<Cluster.Source> response =
          cluster
              .client()
              .search(
                  s ->
                      s.index(index)
                          .ignoreUnavailable(true)
                          .query(wrapped)
                          .size(size)
                          .trackTotalHits(t -> t.enabled(false)),
                  Cluster.Source.class);
      List<Entry> entries = new ArrayList<>(response.hits().hits().size());
      for (Hit<Cluster.Source> hit : response.hits().hits()) {
        entries.add(entry(hit.source()));
      }
      return Collections.unmodifiableList(entries);
    } catch (IOException | ElasticsearchException e) {
      if (Cluster.isIndexMissing(e)) {
        return List.of();
      }
      throw cluster.failure(what + " in collection '" + collection + "'", e);
    }
  }

  /**
   * Every entry of {@code collection} visible at {@code at}, in key order (byte order of the keys),
   * fetched {@code pageSize} at a time with {@code search_after}. Sees what the last refresh
   * published, like every read.
   */
  void scan(String collection, Version at, int pageSize, java.util.function.Consumer<Entry> each) {
    Objects.requireNonNull(at, "at");
    if (pageSize < 1 || pageSize > MAX_SIZE) {
      throw new IllegalArgumentException(
          "pageSize " + pageSize + " is out of range: use 1 to " + MAX_SIZE);
    }
    String index = indices.nameOrNull(collection);
    if (index == null) {
      return;
    }
    Query visible = Filters.visibleAt(at);
    List<FieldValue> after = null;
    while (true) {
      List<FieldValue> from = after;
      SearchResponse<Cluster.Source> response;
      try {
        response =
            cluster
                .client()
                .search(
                    s -> {
                      s.index(index)
                          .ignoreUnavailable(true)
                          .query(visible)
                          .size(pageSize)
                          .trackTotalHits(t -> t.enabled(false))
                          .sort(o -> o.field(f -> f.field(Layout.KEY).order(SortOrder.Asc)));
                      if (from != null) {
                        s.searchAfter(from);
                      }
                      return s;
                    },
                    Cluster.Source.class);
      } catch (IOException | ElasticsearchException e) {
        if (Cluster.isIndexMissing(e)) {
          return;
        }
        throw cluster.failure("scanning collection '" + collection + "' at " + at, e);
      }
      List<Hit<Cluster.Source>> hits = response.hits().hits();
      for (Hit<Cluster.Source> hit : hits) {
        each.accept(entry(hit.source()));
      }
      if (hits.size() < pageSize) {
        return;
      }
      after = hits.get(hits.size() - 1).sort();
    }
  }

  /**
   * A hit's source as an entry: the range from the bookkeeping fields, the document without them.
   */
  static Entry entry(Cluster.Source source) {
    String key = (String) source.remove(Layout.KEY);
    Version from = Layout.decode(((Number) source.remove(Layout.FROM)).longValue());
    Version to = Layout.decode(((Number) source.remove(Layout.TO)).longValue());
    return new Entry(key, new VersionRange(from, to), Collections.unmodifiableMap(source));
  }
}
