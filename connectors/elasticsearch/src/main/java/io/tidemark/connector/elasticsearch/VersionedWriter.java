package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.SearchRequest;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.util.BinaryData;
import co.elastic.clients.util.ContentType;
import io.tidemark.connector.elasticsearch.EpochMapper.DocOp;
import io.tidemark.connector.elasticsearch.EpochMapper.Kind;
import io.tidemark.connector.elasticsearch.EpochMapper.PreparedWrite;
import io.tidemark.connector.elasticsearch.EpochMapper.Prior;
import io.tidemark.connector.elasticsearch.EpochMapper.StoredVersion;
import io.tidemark.connector.elasticsearch.KeyCache.CacheKey;
import io.tidemark.connector.elasticsearch.KeyCache.Current;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies epochs: finds each key's version to close (key cache, else one search per index for all
 * the epoch's misses), sends the mapper's operations in bulks back to back, and turns the bulk
 * response into a result per write. Used by the lane thread only.
 */
final class VersionedWriter {

  /** Keys per lookup search; well under Elasticsearch's terms and clause limits. */
  private static final int LOOKUP_KEYS = 1_000;

  private static final int LOOKUP_PAGE = 5_000;

  /** Bytes a bulk action line and separators add to each operation, roughly. */
  private static final int ACTION_OVERHEAD = 96;

  private final Cluster cluster;
  private final Indices indices;
  private final Watermarks watermarks;
  private final KeyCache cache;

  /** For collections whose index this instance created: every key it ever wrote there. */
  private final Map<String, KnownKeys> known = new HashMap<>();

  private final String prefix;
  private final int maxBulkBytes;
  private long sequence;

  VersionedWriter(
      Cluster cluster, Indices indices, Watermarks watermarks, ElasticsearchStoreConfig config) {
    this.cluster = cluster;
    this.indices = indices;
    this.watermarks = watermarks;
    this.cache = new KeyCache(config.keyCacheSize());
    this.prefix = config.indexPrefix();
    this.maxBulkBytes = config.maxBulkBytes();
  }

  ApplyResult apply(Epoch epoch) {
    Version version = epoch.version();
    try {
      if (!version.isAfter(watermarks.of(epoch.source()))) {
        return ApplyResult.all(epoch, WriteOutcome.ALREADY_APPLIED, "");
      }
    } catch (IOException | ElasticsearchException e) {
      return ApplyResult.all(
          epoch, outcome(e), "reading the watermark failed: " + Cluster.describe(e));
    }
    long applyCall = ++sequence;
    int count = epoch.writes().size();
    WriteResult[] results = new WriteResult[count];
    List<PreparedWrite> prepared = EpochMapper.prepare(epoch, prefix);
    for (PreparedWrite w : prepared) {
      if (!w.isValid()) {
        results[w.position()] = WriteResult.fatal(w.write(), w.fatal());
      }
    }
    prepareIndices(prepared, results);
    List<PreparedWrite> pending = new ArrayList<>(count);
    for (PreparedWrite w : prepared) {
      if (results[w.position()] == null) {
        pending.add(w);
      }
    }
    List<Prior> priors = priors(version, pending, results);
    for (PreparedWrite w : pending) {
      KnownKeys keys = known.get(w.write().collection());
      if (keys != null) {
        keys.add(w.write().key()); // attempted: it may be in the index from now on
      }
    }
    List<PreparedWrite> sendable = new ArrayList<>(pending.size());
    List<Prior> sendablePriors = new ArrayList<>(pending.size());
    for (int i = 0; i < pending.size(); i++) {
      if (results[pending.get(i).position()] == null) {
        sendable.add(pending.get(i));
        sendablePriors.add(priors.get(i));
      }
    }
    List<DocOp> ops = EpochMapper.operations(version, sendable, sendablePriors);
    OpOutcome[] outcomes = send(ops);

    // Per write: the first failed operation decides; a write whose new version existed already
    // and that closed nothing was applied before.
    Map<Integer, List<Integer>> opsByWrite = new HashMap<>();
    for (int i = 0; i < ops.size(); i++) {
      opsByWrite.computeIfAbsent(ops.get(i).write(), k -> new ArrayList<>(2)).add(i);
    }
    for (int i = 0; i < sendable.size(); i++) {
      PreparedWrite w = sendable.get(i);
      List<Integer> own = opsByWrite.getOrDefault(w.position(), List.of());
      OpOutcome failed = null;
      boolean changed = own.isEmpty() && !sendablePriors.get(i).alreadyWritten();
      for (int op : own) {
        OpOutcome outcome = outcomes[op];
        if (outcome.failed() && failed == null) {
          failed = outcome;
        }
        changed |= outcome.status() == OpOutcome.Status.DONE;
      }
      if (failed != null) {
        if (failed.indexMissing()) {
          indices.forget(w.write().collection());
          known.remove(w.write().collection());
        }
        results[w.position()] =
            new WriteResult(
                w.write(),
                failed.fatal() ? WriteOutcome.FATAL : WriteOutcome.RETRYABLE,
                failed.reason() + " (" + EpochMapper.describe(w.write()) + ")");
        continue; // the cache keeps the key's previous version: still right for a retry
      }
      results[w.position()] =
          changed ? WriteResult.applied(w.write()) : WriteResult.alreadyApplied(w.write());
      cache.put(
          new CacheKey(w.write().collection(), w.write().key()),
          new Current(version, w.payload(), applyCall));
    }
    cache.trim(watermarks.refreshedSequence());
    ApplyResult result = new ApplyResult(version, Arrays.asList(results));
    // A part of an epoch (the initial snapshot, in parts) is written like any other, but only the
    // whole epoch, which comes last, may move the watermark to its version.
    boolean complete = result.succeeded() && !epoch.partial();
    watermarks.acknowledge(applyCall, epoch.source(), complete ? version : null);
    return result;
  }

  /** Creates or checks the index of each collection the epoch writes, once per instance. */
  private void prepareIndices(List<PreparedWrite> prepared, WriteResult[] results) {
    Map<String, String> problems = new HashMap<>(); // collection → reason
    Map<String, Boolean> fatal = new HashMap<>();
    for (PreparedWrite w : prepared) {
      if (results[w.position()] != null) {
        continue;
      }
      String collection = w.write().collection();
      if (!problems.containsKey(collection)) {
        String problem = null;
        try {
          prepare(collection);
        } catch (IllegalStateException e) {
          problem = e.getMessage();
          fatal.put(collection, true);
        } catch (IOException | ElasticsearchException e) {
          problem = "preparing index '" + w.index() + "' failed: " + Cluster.describe(e);
          fatal.put(collection, !Cluster.isRetryable(e));
        }
        problems.put(collection, problem);
      }
      String problem = problems.get(collection);
      if (problem != null) {
        results[w.position()] =
            new WriteResult(
                w.write(),
                fatal.get(collection) ? WriteOutcome.FATAL : WriteOutcome.RETRYABLE,
                problem);
      }
    }
  }

  /** Creates or checks a collection's index; remembers keys from scratch if it created it. */
  void prepare(String collection) throws IOException {
    if (indices.prepare(collection)) {
      known.put(collection, new KnownKeys());
    }
  }

  /**
   * What is known about each pending write's key: from the cache, from the known keys of an index
   * this instance created, or from one search per index for the rest. A lookup that fails marks its
   * writes retryable in {@code results}.
   */
  private List<Prior> priors(Version version, List<PreparedWrite> pending, WriteResult[] results) {
    Prior[] priors = new Prior[pending.size()];
    // index → key → positions in pending (a key appears once per collection in an epoch)
    Map<String, Map<String, Integer>> misses = new LinkedHashMap<>();
    Set<String> refreshFirst = new LinkedHashSet<>();
    for (int i = 0; i < pending.size(); i++) {
      PreparedWrite w = pending.get(i);
      Current current = cache.get(new CacheKey(w.write().collection(), w.write().key()));
      if (current != null && current.from().isBefore(version)) {
        priors[i] =
            current.isDeleted()
                ? Prior.NONE
                : Prior.of(new StoredVersion(current.from(), Version.OPEN, current.payload()));
      } else if (current != null && current.from().equals(version)) {
        priors[i] = Prior.ALREADY_WRITTEN; // this epoch's write of the key went through before
      } else if (current == null && isNew(w.write().collection(), w.write().key())) {
        priors[i] = Prior.NONE; // never written: nothing to close, nothing to look up
      } else {
        if (current != null) {
          // The cache is ahead of this epoch (a replay the lane did not expect); the store knows,
          // once what this instance wrote is searchable.
          refreshFirst.add(w.index());
        }
        misses.computeIfAbsent(w.index(), k -> new LinkedHashMap<>()).put(w.write().key(), i);
      }
    }
    for (Map.Entry<String, Map<String, Integer>> miss : misses.entrySet()) {
      String index = miss.getKey();
      Map<String, Integer> keys = miss.getValue();
      try {
        if (refreshFirst.contains(index)) {
          indices.refresh(List.of(index));
        }
        Map<String, List<StoredVersion>> found = openAcross(index, keys.keySet(), version);
        keys.forEach((key, i) -> priors[i] = new Prior(found.getOrDefault(key, List.of()), false));
      } catch (IOException | ElasticsearchException e) {
        String reason = "looking up the versions to close failed: " + Cluster.describe(e);
        WriteOutcome outcome = outcome(e);
        keys.forEach(
            (key, i) -> {
              priors[i] = Prior.NONE;
              results[pending.get(i).position()] =
                  new WriteResult(pending.get(i).write(), outcome, reason);
            });
      }
    }
    return Arrays.asList(priors);
  }

  private boolean isNew(String collection, String key) {
    KnownKeys keys = known.get(collection);
    return keys != null && !keys.mightContain(key);
  }

  /**
   * The versions of {@code keys} in {@code index} that are open across {@code version} ({@code from
   * < version < to}): what the epoch must close. Normally at most one per key; more after an
   * interrupted epoch, and then all of them are closed.
   */
  private Map<String, List<StoredVersion>> openAcross(
      String index, Set<String> keys, Version version) throws IOException {
    Map<String, List<StoredVersion>> found = new HashMap<>();
    List<FieldValue> all = keys.stream().map(FieldValue::of).toList();
    Query openAcross = Filters.openAcross(version);
    for (int start = 0; start < all.size(); start += LOOKUP_KEYS) {
      List<FieldValue> chunk = all.subList(start, Math.min(all.size(), start + LOOKUP_KEYS));
      Query query =
          Query.of(
              q ->
                  q.bool(
                      b ->
                          b.filter(
                                  f -> f.terms(t -> t.field(Layout.KEY).terms(v -> v.value(chunk))))
                              .filter(openAcross)));
      List<FieldValue> after = null;
      while (true) {
        List<FieldValue> searchAfter = after;
        SearchRequest request =
            SearchRequest.of(
                s -> {
                  s.index(index)
                      .query(query)
                      .size(LOOKUP_PAGE)
                      .trackTotalHits(t -> t.enabled(false))
                      .sort(o -> o.field(f -> f.field(Layout.KEY).order(SortOrder.Asc)))
                      .sort(o -> o.field(f -> f.field(Layout.FROM).order(SortOrder.Asc)));
                  if (searchAfter != null) {
                    s.searchAfter(searchAfter);
                  }
                  return s;
                });
        SearchResponse<Cluster.Source> response =
            cluster.client().search(request, Cluster.Source.class);
        List<Hit<Cluster.Source>> hits = response.hits().hits();
        for (Hit<Cluster.Source> hit : hits) {
          Cluster.Source source = hit.source();
          String key = (String) source.get(Layout.KEY);
          found
              .computeIfAbsent(key, k -> new ArrayList<>(1))
              .add(
                  new StoredVersion(
                      Layout.decode(((Number) source.get(Layout.FROM)).longValue()),
                      Layout.decode(((Number) source.get(Layout.TO)).longValue()),
                      Json.payloadOf(source)));
        }
        if (hits.size() < LOOKUP_PAGE) {
          break;
        }
        after = hits.get(hits.size() - 1).sort();
      }
    }
    return found;
  }

  /** How one bulk operation went. */
  record OpOutcome(Status status, boolean fatal, boolean indexMissing, String reason) {
    enum Status {
      DONE,
      /** A version creation that found the version there already: a replay. */
      EXISTED,
      FAILED
    }

    static final OpOutcome DONE = new OpOutcome(Status.DONE, false, false, "");
    static final OpOutcome EXISTED = new OpOutcome(Status.EXISTED, false, false, "");

    static OpOutcome failure(Exception e, String reason) {
      return new OpOutcome(Status.FAILED, !Cluster.isRetryable(e), false, reason);
    }

    boolean failed() {
      return status == Status.FAILED;
    }
  }

  /** Sends the operations in bulks of at most {@code maxBulkBytes}, one after another. */
  private OpOutcome[] send(List<DocOp> ops) {
    OpOutcome[] outcomes = new OpOutcome[ops.size()];
    int start = 0;
    while (start < ops.size()) {
      int end = start;
      long bytes = 0;
      List<BulkOperation> bulk = new ArrayList<>();
      while (end < ops.size()) {
        DocOp op = ops.get(end);
        long size = op.source().length + op.id().length() * 3L + ACTION_OVERHEAD;
        if (end > start && bytes + size > maxBulkBytes) {
          break;
        }
        bytes += size;
        bulk.add(toBulkOperation(op));
        end++;
      }
      try {
        BulkResponse response = cluster.client().bulk(BulkRequest.of(b -> b.operations(bulk)));
        List<BulkResponseItem> items = response.items();
        if (items.size() != end - start) {
          throw new IOException(
              "bulk of " + (end - start) + " operations answered " + items.size() + " items");
        }
        for (int i = 0; i < items.size(); i++) {
          outcomes[start + i] = outcome(ops.get(start + i), items.get(i));
        }
      } catch (IOException | ElasticsearchException e) {
        // Unknown for this bulk; the rest is not sent, the lane retries the epoch.
        String reason = "bulk request failed: " + Cluster.describe(e);
        for (int i = start; i < ops.size(); i++) {
          outcomes[i] = OpOutcome.failure(e, reason);
        }
        return outcomes;
      }
      start = end;
    }
    return outcomes;
  }

  private static BulkOperation toBulkOperation(DocOp op) {
    BinaryData source = BinaryData.of(op.source(), ContentType.APPLICATION_JSON);
    return op.kind() == Kind.CREATE_VERSION
        ? BulkOperation.of(
            b ->
                b.create(
                    c -> c.index(op.index()).id(op.id()).routing(op.routing()).document(source)))
        : BulkOperation.of(
            b ->
                b.index(
                    c -> c.index(op.index()).id(op.id()).routing(op.routing()).document(source)));
  }

  private static OpOutcome outcome(DocOp op, BulkResponseItem item) {
    if (item.error() == null) {
      return OpOutcome.DONE;
    }
    if (op.kind() == Kind.CREATE_VERSION && item.status() == 409) {
      return OpOutcome.EXISTED; // the same key@version, written by an earlier attempt
    }
    String type = item.error().type();
    String reason =
        item.status()
            + " "
            + type
            + ": "
            + item.error().reason()
            + (item.error().causedBy() != null ? " (" + item.error().causedBy().reason() + ")" : "")
            + " in index '"
            + op.index()
            + "' document '"
            + op.id()
            + "'";
    boolean missing = "index_not_found_exception".equals(type);
    return new OpOutcome(
        OpOutcome.Status.FAILED, !Cluster.isRetryable(item.status()), missing, reason);
  }

  private static WriteOutcome outcome(Exception e) {
    return Cluster.isRetryable(e) ? WriteOutcome.RETRYABLE : WriteOutcome.FATAL;
  }
}
