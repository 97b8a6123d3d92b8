package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch.core.search.Hit;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The watermark and the handoff between the lane that applies epochs and the thread that makes them
 * visible.
 *
 * <p>The lane reports each apply call when its bulks have returned ({@link #acknowledge}). {@link
 * #makeVisible} reads what was acknowledged, then refreshes, then publishes that: a refresh that
 * began after a bulk was acknowledged makes it visible, so the watermark only ever covers refreshed
 * data. The published watermark is kept in one document per source in {@value Layout#META_INDEX},
 * written without a refresh; a new instance refreshes that index before searching it.
 */
final class Watermarks {

  private final Cluster cluster;
  private final String prefix;
  private final Object publishLock = new Object();

  /** Per source, the newest epoch all of whose writes were acknowledged. */
  private final Map<String, Version> acknowledged = new ConcurrentHashMap<>();

  /** Per source, the watermark: acknowledged, then refreshed, then recorded. */
  private final Map<String, Version> published = new ConcurrentHashMap<>();

  private volatile boolean loaded;
  private boolean metaIndexReady; // guarded by publishLock
  private volatile long acknowledgedSequence;
  private volatile long refreshedSequence;

  Watermarks(Cluster cluster, String prefix) {
    this.cluster = cluster;
    this.prefix = prefix;
  }

  /** The watermark of {@code source}; {@link Version#ZERO} when none is recorded. */
  Version of(String source) throws IOException {
    load();
    return published.getOrDefault(source, Version.ZERO);
  }

  Stamp current() throws IOException {
    load();
    return Stamp.of(published);
  }

  /**
   * Called by the lane when the bulks of apply call {@code sequence} have returned; {@code
   * complete} is the epoch's version when every write succeeded, else null.
   */
  void acknowledge(long sequence, String source, Version complete) {
    if (complete != null) {
      acknowledged.merge(source, complete, Version::max);
    }
    acknowledgedSequence = sequence;
  }

  /** The last apply call whose writes a completed refresh made searchable. */
  long refreshedSequence() {
    return refreshedSequence;
  }

  /**
   * Refreshes {@code indices} and moves the watermark to what was acknowledged before the refresh
   * began.
   */
  Stamp makeVisible(Indices indices) throws IOException {
    synchronized (publishLock) {
      load();
      // Read before refreshing: only bulks acknowledged by now are covered by this refresh.
      long sequence = acknowledgedSequence;
      Map<String, Version> candidates = new LinkedHashMap<>(acknowledged);
      indices.refresh(indices.written());
      refreshedSequence = Math.max(refreshedSequence, sequence);
      for (Map.Entry<String, Version> candidate : candidates.entrySet()) {
        String source = candidate.getKey();
        Version version = candidate.getValue();
        if (version.isAfter(published.getOrDefault(source, Version.ZERO))) {
          record(source, version);
          published.put(source, version);
        }
      }
      return Stamp.of(published);
    }
  }

  private void record(String source, Version version) throws IOException {
    if (!metaIndexReady) {
      // Created explicitly: an index request would create it with dynamic mappings instead.
      createMetaIndex();
      metaIndexReady = true;
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("kind", "watermark");
    document.put("index_prefix", prefix);
    document.put("store", cluster.storeName());
    document.put("source", source);
    document.put("version", version.toString());
    document.put("updated", Instant.now().toString());
    write(Layout.watermarkId(prefix, source), document);
  }

  private void write(String id, Map<String, Object> document) throws IOException {
    cluster.client().index(i -> i.index(Layout.META_INDEX).id(id).document(document));
  }

  private void createMetaIndex() throws IOException {
    try {
      cluster
          .client()
          .indices()
          .create(
              c ->
                  c.index(Layout.META_INDEX)
                      .withJson(
                          new StringReader(
                              "{\"settings\":"
                                  + Layout.META_SETTINGS
                                  + ",\"mappings\":"
                                  + Layout.META_MAPPING
                                  + "}")));
    } catch (ElasticsearchException e) {
      if (e.error() == null || !"resource_already_exists_exception".equals(e.error().type())) {
        throw e;
      }
    }
  }

  /**
   * Deletes the recorded watermark documents of this prefix (a store rebuilt from scratch). By id,
   * one by one: a store has one per source, and not every distribution has delete-by-query.
   */
  void clear() throws IOException {
    synchronized (publishLock) {
      List<Hit<Cluster.Source>> recorded = recorded();
      for (Hit<Cluster.Source> hit : recorded) {
        cluster.client().delete(d -> d.index(Layout.META_INDEX).id(hit.id()));
      }
      if (!recorded.isEmpty()) {
        cluster.client().indices().refresh(r -> r.index(Layout.META_INDEX));
      }
      acknowledged.clear();
      published.clear();
      loaded = false;
    }
  }

  /** Reads the recorded watermarks once per instance. */
  private void load() throws IOException {
    if (loaded) {
      return;
    }
    synchronized (publishLock) {
      if (loaded) {
        return;
      }
      for (Hit<Cluster.Source> hit : recorded()) {
        Cluster.Source document = hit.source();
        if (document != null
            && "watermark".equals(document.get("kind"))
            && prefix.equals(document.get("index_prefix"))
            && hit.id()
                .equals(Layout.watermarkId(prefix, String.valueOf(document.get("source"))))) {
          published.merge(
              String.valueOf(document.get("source")),
              Version.parse(String.valueOf(document.get("version"))),
              Version::max);
        }
      }
      loaded = true;
    }
  }

  /**
   * The watermark documents of this prefix, none when the meta index does not exist. Watermarks are
   * written without a refresh (one per makeVisible would be wasteful); the refresh here makes the
   * last one recorded searchable.
   */
  private List<Hit<Cluster.Source>> recorded() throws IOException {
    try {
      cluster.client().indices().refresh(r -> r.index(Layout.META_INDEX).ignoreUnavailable(true));
      return cluster
          .client()
          .search(
              s ->
                  s.index(Layout.META_INDEX)
                      .query(q -> q.term(t -> t.field("index_prefix").value(FieldValue.of(prefix))))
                      .size(10_000),
              Cluster.Source.class)
          .hits()
          .hits();
    } catch (ElasticsearchException e) {
      if (!Cluster.isIndexMissing(e)) {
        throw e;
      }
      return List.of();
    }
  }
}
