package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreWriter;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Elasticsearch as a Tidemark store: versioned writes, snapshot reads and searches, watermark and
 * purge (design §4).
 *
 * <p>Layout: one index per collection ({@code <prefix><collection>}, lower-cased, forbidden
 * characters replaced by {@code _}); one document per version of a key, id {@code key@version}
 * (keys too long for a 512-byte id are replaced by their SHA-256 there), routed by key, with the
 * bookkeeping fields {@code _tm_key} (keyword), {@code _tm_from} and {@code _tm_to} (longs holding
 * the unsigned versions in an order-preserving encoding). They never appear in returned documents,
 * and text searches do not look in them.
 *
 * <p>Visibility: {@link #apply} sends bulks back to back without waiting for a refresh; {@link
 * #makeVisible} refreshes the collection indices and then moves the watermark to the newest epoch
 * acknowledged before that refresh began, recording it in the {@code tidemark-meta} index. Reads
 * are searches, so they see exactly what the last refresh published.
 *
 * <p>Thread safety: {@link #apply} from one lane thread; everything else from any thread.
 */
public final class ElasticsearchStore implements StoreWriter, SearchReader {

  private final ElasticsearchStoreConfig config;
  private final Cluster cluster;
  private final Indices indices;
  private final Watermarks watermarks;
  private final VersionedWriter writer;
  private final SnapshotReader reader;
  private final Purger purger;

  private ElasticsearchStore(ElasticsearchStoreConfig config) {
    this.config = config;
    this.cluster = new Cluster(config);
    this.indices = new Indices(cluster, config.indexPrefix());
    this.watermarks = new Watermarks(cluster, config.indexPrefix());
    this.writer = new VersionedWriter(cluster, indices, watermarks, config);
    this.reader = new SnapshotReader(cluster, indices, config.searchFields());
    this.purger = new Purger(cluster, indices);
  }

  /**
   * A store on the cluster the configuration names. Does not contact the cluster: indices are
   * created on first write and the watermark is read on first use.
   */
  public static ElasticsearchStore open(ElasticsearchStoreConfig config) {
    return new ElasticsearchStore(Objects.requireNonNull(config, "config"));
  }

  public ElasticsearchStoreConfig config() {
    return config;
  }

  /**
   * Creates (or checks) the index of a collection now rather than at its first write; the benchmark
   * uses it to keep index creation out of its timings. From the lane thread.
   */
  void prepare(String collection) throws IOException {
    writer.prepare(collection);
  }

  /** The index that holds {@code collection}. */
  public String indexName(String collection) {
    return indices.nameOf(collection);
  }

  // ---- write side -------------------------------------------------------------------------

  @Override
  public ApplyResult apply(Epoch epoch) {
    return writer.apply(Objects.requireNonNull(epoch, "epoch"));
  }

  @Override
  public Stamp makeVisible() {
    try {
      return watermarks.makeVisible(indices);
    } catch (IOException | ElasticsearchException e) {
      throw cluster.failure("making writes visible (refresh, then watermark)", e);
    }
  }

  @Override
  public Stamp watermark() {
    try {
      return watermarks.current();
    } catch (IOException | ElasticsearchException e) {
      throw cluster.failure("reading the watermark", e);
    }
  }

  @Override
  public long purge(String collection, Version horizon) {
    return purger.purge(
        Objects.requireNonNull(collection, "collection"),
        Objects.requireNonNull(horizon, "horizon"));
  }

  // ---- read side --------------------------------------------------------------------------

  @Override
  public Lookup get(String collection, String key, Version at) {
    return reader.get(collection, key, at);
  }

  @Override
  public Lookup latest(String collection, String key) {
    return reader.latest(collection, key);
  }

  /** Always: a version the index lacks did not exist at that snapshot (from the horizon on). */
  @Override
  public boolean authoritative() {
    return true;
  }

  /**
   * The documents matching {@code text} (Elasticsearch's simple query syntax over the configured
   * search fields) as of {@code at}, best first, at most {@code size} (0 to 10,000).
   */
  @Override
  public List<Entry> search(String collection, String text, Version at, int size) {
    return search(collection, reader.text(text), at, size);
  }

  @Override
  public List<Entry> searchLatest(String collection, String text, int size) {
    return searchLatest(collection, reader.text(text), size);
  }

  /**
   * The documents matching an Elasticsearch query as of {@code at}, best first, at most {@code
   * size}. The query sees the documents' own fields; the version filter is added around it.
   */
  public List<Entry> search(String collection, Query query, Version at, int size) {
    Objects.requireNonNull(at, "at");
    return reader.search(collection, query, Filters.visibleAt(at), size, "searching at " + at);
  }

  /** The current documents matching an Elasticsearch query, best first, at most {@code size}. */
  public List<Entry> searchLatest(String collection, Query query, int size) {
    return reader.search(collection, query, Filters.current(), size, "searching latest");
  }

  /**
   * Calls {@code each} with every entry of {@code collection} visible at {@code at}, in key order:
   * the whole collection as of that snapshot (for checking it against its source).
   */
  public void scan(String collection, Version at, java.util.function.Consumer<Entry> each) {
    reader.scan(
        Objects.requireNonNull(collection, "collection"), at, 5_000, Objects.requireNonNull(each));
  }

  /**
   * Deletes {@code collection}'s index and every watermark this store recorded, leaving the store
   * as if nothing had been written to it. For rebuilding a store from scratch ({@code tidemark
   * migrate backfill}); never call it on a store that readers use. Use a new instance afterwards:
   * this one remembers what it wrote.
   */
  @Override
  public void clear(String collection) {
    String index = indices.nameOf(Objects.requireNonNull(collection, "collection"));
    try {
      cluster.client().indices().delete(d -> d.index(index).ignoreUnavailable(true));
      watermarks.clear();
    } catch (IOException | ElasticsearchException e) {
      throw cluster.failure("clearing collection '" + collection + "'", e);
    }
    indices.forget(collection);
  }

  /** Releases the HTTP connections. Does not stop the cluster. */
  @Override
  public void close() {
    cluster.close();
  }
}
