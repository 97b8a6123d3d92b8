package io.tidemark.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Elasticsearch's own counters for a pipeline's indices ({@code GET /PATTERN/_stats}, primaries):
 * how many bulks, documents, refreshes, searches and merges the pipeline cost, and the time the
 * node spent on each.
 */
final class EsStats {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] FIELDS = {
    "bulk.total_operations",
    "bulk.total_time_in_millis",
    "indexing.index_total",
    "indexing.index_time_in_millis",
    "refresh.total",
    "refresh.total_time_in_millis",
    "search.query_total",
    "search.query_time_in_millis",
    "merges.current",
    "merges.total",
    "merges.total_time_in_millis",
    "segments.count"
  };

  private final HttpClient http = HttpClient.newHttpClient();
  private final String url;

  EsStats(String url) {
    this.url = url;
  }

  Map<String, Long> read(String pattern) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/" + pattern + "/_stats"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode primaries = JSON.readTree(response.body()).path("_all").path("primaries");
      Map<String, Long> out = new LinkedHashMap<>();
      for (String field : FIELDS) {
        JsonNode node = primaries;
        for (String part : field.split("\\.")) {
          node = node.path(part);
        }
        out.put(field, node.asLong());
      }
      return out;
    } catch (Exception e) {
      return Map.of();
    }
  }

  /**
   * What the node did between two readings; {@code sourceChanges} (the row changes the index took
   * in meanwhile) gives the node's time per thousand changes.
   */
  /**
   * Waits (at most {@code timeout}) until no merge runs in the indices: merges that the previous
   * measurement started would otherwise slow the next one.
   */
  boolean awaitNoMerges(String pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (read(pattern).getOrDefault("merges.current", 0L) == 0) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  static String describe(Map<String, Long> before, Map<String, Long> after, long sourceChanges) {
    Map<String, Long> d = new LinkedHashMap<>();
    after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
    if (d.isEmpty()) {
      return "(no stats)";
    }
    long bulks = d.get("bulk.total_operations");
    long docs = d.get("indexing.index_total");
    long refreshes = d.get("refresh.total");
    long searches = d.get("search.query_total");
    return String.format(
        Locale.ROOT,
        "%,d bulks (%.1f ms each, %.0f docs each), %,d docs indexed (%.2f s), %,d refreshes"
            + " (%.1f ms each), %,d searches (%.1f ms each), %,d merges (%.1f s), %d segments"
            + " now; indexing + refresh + merge time per 1,000 row changes: %.0f ms",
        bulks,
        per(d.get("bulk.total_time_in_millis"), bulks),
        per(docs, bulks),
        docs,
        d.get("indexing.index_time_in_millis") / 1000.0,
        refreshes,
        per(d.get("refresh.total_time_in_millis"), refreshes),
        searches,
        per(d.get("search.query_time_in_millis"), searches),
        d.get("merges.total"),
        d.get("merges.total_time_in_millis") / 1000.0,
        after.get("segments.count"),
        per(
            1000
                * (d.get("indexing.index_time_in_millis")
                    + d.get("refresh.total_time_in_millis")
                    + d.get("merges.total_time_in_millis")),
            sourceChanges));
  }

  private static double per(long total, long count) {
    return count == 0 ? 0 : (double) total / count;
  }
}
