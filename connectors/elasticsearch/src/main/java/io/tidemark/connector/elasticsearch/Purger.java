package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.SearchRequest;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes versions no snapshot at or after the horizon can read: those closed at or before it
 * ({@code _tm_to <= horizon}). The version visible at the horizon ends after it and stays. Works
 * without {@code _delete_by_query}: pages through the matches with {@code search_after} and deletes
 * each page with a bulk.
 */
final class Purger {

  private static final int PAGE = 2_000;

  private final Cluster cluster;
  private final Indices indices;

  Purger(Cluster cluster, Indices indices) {
    this.cluster = cluster;
    this.indices = indices;
  }

  long purge(String collection, Version horizon) {
    String index = indices.nameOrNull(collection);
    if (index == null) {
      return 0; // never written: its writes were refused
    }
    Query closedByHorizon = Filters.closedBy(horizon);
    long removed = 0;
    List<FieldValue> after = null;
    try {
      while (true) {
        List<FieldValue> searchAfter = after;
        SearchRequest request =
            SearchRequest.of(
                s -> {
                  s.index(index)
                      .ignoreUnavailable(true)
                      .query(q -> q.bool(b -> b.filter(closedByHorizon)))
                      .source(c -> c.fetch(false))
                      .size(PAGE)
                      .trackTotalHits(t -> t.enabled(false))
                      .sort(o -> o.field(f -> f.field(Layout.KEY).order(SortOrder.Asc)))
                      .sort(o -> o.field(f -> f.field(Layout.FROM).order(SortOrder.Asc)));
                  if (searchAfter != null) {
                    s.searchAfter(searchAfter);
                  }
                  return s;
                });
        List<Hit<Void>> hits = cluster.client().search(request, Void.class).hits().hits();
        if (hits.isEmpty()) {
          return removed;
        }
        List<BulkOperation> deletes = new ArrayList<>(hits.size());
        for (Hit<Void> hit : hits) {
          deletes.add(
              BulkOperation.of(
                  b -> b.delete(d -> d.index(hit.index()).id(hit.id()).routing(hit.routing()))));
        }
        BulkResponse response = cluster.client().bulk(b -> b.operations(deletes));
        for (BulkResponseItem item : response.items()) {
          if (item.error() != null) {
            throw new IOException(
                "deleting '"
                    + item.id()
                    + "' from '"
                    + item.index()
                    + "' failed: "
                    + item.status()
                    + " "
                    + item.error().type()
                    + ": "
                    + item.error().reason());
          }
          if ("deleted".equals(item.result())) {
            removed++;
          }
        }
        if (hits.size() < PAGE) {
          return removed;
        }
        after = hits.get(hits.size() - 1).sort();
      }
    } catch (IOException | ElasticsearchException e) {
      if (Cluster.isIndexMissing(e)) {
        return removed;
      }
      throw cluster.failure("purging collection '" + collection + "' below horizon " + horizon, e);
    }
  }
}
