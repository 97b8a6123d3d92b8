package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch.indices.RefreshResponse;
import co.elastic.clients.elasticsearch.indices.get_mapping.IndexMappingRecord;
import co.elastic.clients.json.JsonData;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The collection indices this store writes: created on first use with the layout's mapping, checked
 * when they exist already, and refreshed.
 */
final class Indices {

  private final Cluster cluster;
  private final String prefix;

  /** collection → its index, for the collections this instance has prepared. */
  private final Map<String, String> ready = new ConcurrentHashMap<>();

  Indices(Cluster cluster, String prefix) {
    this.cluster = cluster;
    this.prefix = prefix;
  }

  String nameOf(String collection) {
    return Layout.indexName(prefix, collection);
  }

  /**
   * The collection's index, or null when the collection makes no valid index name: nothing can have
   * been written to it (such writes are refused), so reads find nothing there.
   */
  String nameOrNull(String collection) {
    try {
      return nameOf(collection);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The indices prepared so far: those a refresh must cover. */
  Set<String> written() {
    return Set.copyOf(ready.values());
  }

  /**
   * Makes sure the collection's index exists with the bookkeeping fields mapped, the first time
   * this instance writes to it. An index that exists already is checked (it must be this
   * collection's) and refreshed once, so that what an earlier instance wrote but never made visible
   * is found by the writer's lookups.
   *
   * @return whether this call created the index (it then holds nothing this instance did not write)
   * @throws IOException or {@link ElasticsearchException} when the cluster fails
   * @throws IllegalStateException when the index belongs to another collection
   */
  boolean prepare(String collection) throws IOException {
    if (ready.containsKey(collection)) {
      return false;
    }
    String index = nameOf(collection);
    boolean created;
    try {
      cluster
          .client()
          .indices()
          .create(
              c ->
                  c.index(index)
                      .withJson(
                          new StringReader(
                              "{\"settings\":"
                                  + Layout.COLLECTION_SETTINGS
                                  + ",\"mappings\":"
                                  + Layout.collectionMapping(collection)
                                  + "}")));
      created = true;
    } catch (ElasticsearchException e) {
      if (e.error() == null || !"resource_already_exists_exception".equals(e.error().type())) {
        throw e;
      }
      created = false;
    }
    if (!created) {
      adopt(collection, index);
      refresh(List.of(index));
    }
    ready.put(collection, index);
    return created;
  }

  /** Checks an existing index and adds the bookkeeping fields to its mapping if it lacks them. */
  private void adopt(String collection, String index) throws IOException {
    IndexMappingRecord record =
        cluster.client().indices().getMapping(g -> g.index(index)).get(index);
    Map<String, JsonData> meta = record == null ? Map.of() : record.mappings().meta();
    JsonData owner = meta.get("tidemark_collection");
    if (owner != null && !collection.equals(owner.to(String.class))) {
      throw new IllegalStateException(
          "index '"
              + index
              + "' holds collection '"
              + owner.to(String.class)
              + "', and collection '"
              + collection
              + "' maps to the same name; rename one collection or use another index prefix");
    }
    // Adds what is missing; fails if the index maps a bookkeeping field with another type.
    cluster
        .client()
        .indices()
        .putMapping(
            p -> p.index(index).withJson(new StringReader(Layout.collectionMapping(collection))));
  }

  /** Forgets a collection whose index went missing, so the next write creates it again. */
  void forget(String collection) {
    ready.remove(collection);
  }

  /**
   * Refreshes the indices: everything acknowledged before this call becomes visible to searches. An
   * index deleted behind the store's back is skipped rather than blocking visibility for the others
   * forever; the next write to its collection creates it again.
   *
   * @throws IOException when the cluster fails, or some shard did not refresh
   */
  void refresh(Collection<String> indices) throws IOException {
    if (indices.isEmpty()) {
      return;
    }
    RefreshResponse response =
        cluster
            .client()
            .indices()
            .refresh(r -> r.index(new ArrayList<>(indices)).ignoreUnavailable(true));
    if (response.shards().failed().intValue() > 0) {
      throw new IOException(
          "refresh of "
              + indices
              + " failed on "
              + response.shards().failed()
              + " of "
              + response.shards().total()
              + " shards: "
              + response.shards().failures());
    }
  }
}
