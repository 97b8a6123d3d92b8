package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.VersionRange;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the contract suite does not cover: visibility, bookkeeping, purge, failures, restarts. */
class ElasticsearchStoreIT {

  private static final String PREFIX = "tm-it-";
  private static final Random NAMES = new Random();

  private final List<ElasticsearchStore> opened = new ArrayList<>();
  private ElasticsearchStoreConfig config;
  private ElasticsearchStore store;
  private Cluster cluster;
  private String collection;
  private String source;
  private long nextVersion = 0xFFFF_F000L;

  @BeforeEach
  void open() {
    String run;
    synchronized (NAMES) {
      run = String.format(Locale.ROOT, "it%08x", NAMES.nextInt());
    }
    collection = run + "_ads";
    source = run + "_src";
    config = ElasticsearchStoreConfig.of(TestCluster.url()).withIndexPrefix(PREFIX);
    store = open(config);
    cluster = new Cluster(config);
  }

  @AfterEach
  void close() throws Exception {
    opened.forEach(ElasticsearchStore::close);
    cluster
        .client()
        .indices()
        .delete(d -> d.index(PREFIX + collection + "*").ignoreUnavailable(true));
    cluster.close();
  }

  @Test
  void anAppliedEpochIsNeitherReadNorCoveredUntilMadeVisible() throws Exception {
    Epoch first = epoch(Write.upsert(collection, "k1", doc("title", "red car")));

    assertAllApplied(store.apply(first));

    String index = store.indexName(collection);
    assertThat(
            cluster
                .client()
                .indices()
                .getSettings(g -> g.index(index))
                .get(index)
                .settings()
                .index()
                .refreshInterval()
                .time())
        .as("only explicit refreshes publish writes")
        .isEqualTo("-1");
    // Acknowledged and durable: a real-time GET by id finds it...
    assertThat(
            cluster
                .client()
                .get(g -> g.index(index).id("k1@" + first.version()).routing("k1"), Void.class)
                .found())
        .isTrue();
    // ...but reads, which are searches, do not, and the watermark does not cover it.
    assertThat(store.get(collection, "k1", first.version()).kind()).isEqualTo(Lookup.Kind.ABSENT);
    assertThat(store.latest(collection, "k1").kind()).isEqualTo(Lookup.Kind.ABSENT);
    assertThat(store.search(collection, "red", first.version(), 10)).isEmpty();
    assertThat(store.watermark().get(source)).isEmpty();

    Stamp stamp = store.makeVisible();

    assertThat(stamp.get(source)).contains(first.version());
    assertThat(store.watermark().get(source)).contains(first.version());
    assertThat(store.get(collection, "k1", first.version()).document())
        .contains(doc("title", "red car"));
    assertThat(store.search(collection, "red", first.version(), 10))
        .extracting(Entry::key)
        .containsExactly("k1");

    // A new instance reads the recorded watermark; an epoch applied but not made visible does
    // not move it.
    Epoch second = epoch(Write.upsert(collection, "k1", doc("title", "blue car")));
    assertAllApplied(store.apply(second));
    try (ElasticsearchStore restarted = ElasticsearchStore.open(config)) {
      assertThat(restarted.watermark().get(source)).contains(first.version());
      assertThat(restarted.get(collection, "k1", second.version()).document())
          .as("read at the newer version still sees the visible data only")
          .contains(doc("title", "red car"));
    }
    assertThat(store.makeVisible().get(source)).contains(second.version());
    try (ElasticsearchStore restarted = ElasticsearchStore.open(config)) {
      assertThat(restarted.watermark().get(source)).contains(second.version());
    }
  }

  /**
   * A cadence thread makes visible while the lane applies back to back; whatever watermark W a
   * makeVisible returns, reads at W already see every epoch up to W.
   */
  @Test
  void theWatermarkNeverCoversAnEpochReadsCannotSeeYet() throws Exception {
    int count = 60;
    List<Epoch> epochs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      epochs.add(
          epoch(
              Write.upsert(collection, "hot", doc("n", i)),
              Write.upsert(collection, "e" + i, doc("n", i))));
    }
    AtomicBoolean applying = new AtomicBoolean(true);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Version> seen = new ArrayList<>();
    Thread cadence =
        new Thread(
            () -> {
              try {
                while (applying.get() && failures.isEmpty()) {
                  Version w = store.makeVisible().getOrElse(source, Version.ZERO);
                  int upTo = -1;
                  for (int i = 0; i < count; i++) {
                    if (!epochs.get(i).version().isAfter(w)) {
                      upTo = i;
                    }
                  }
                  if (upTo >= 0) {
                    synchronized (seen) {
                      seen.add(w);
                    }
                    assertThat(store.get(collection, "hot", w).document())
                        .as("hot key at watermark %s", w)
                        .contains(doc("n", upTo));
                    assertThat(store.get(collection, "e" + upTo, w).isFound())
                        .as("key of epoch %d at watermark %s", upTo, w)
                        .isTrue();
                  }
                }
              } catch (Throwable t) {
                failures.add(t);
              }
            },
            "cadence");
    cadence.start();
    try {
      for (Epoch epoch : epochs) {
        assertAllApplied(store.apply(epoch));
      }
    } finally {
      applying.set(false);
      cadence.join(Duration.ofMinutes(2).toMillis());
    }
    assertThat(failures).isEmpty();
    assertThat(store.makeVisible().get(source)).contains(epochs.get(count - 1).version());
    synchronized (seen) {
      assertThat(seen.stream().distinct().count())
          .as("distinct watermarks observed while applying")
          .isGreaterThan(1);
    }
  }

  @Test
  void bookkeepingFieldsNeverLeakAndAreNeverSearched() {
    Map<String, Object> document = doc("title", "plain words");
    document.put("n", 1);
    Epoch epoch = epoch(Write.upsert(collection, "zebra", document));
    assertAllApplied(store.apply(epoch));
    store.makeVisible();
    Version at = epoch.version();
    Query title = Query.of(q -> q.match(m -> m.field("title").query("plain")));

    List<Map<String, Object>> returned = new ArrayList<>();
    returned.add(store.get(collection, "zebra", at).document().orElseThrow());
    returned.add(store.latest(collection, "zebra").document().orElseThrow());
    for (List<Entry> hits :
        List.of(
            store.search(collection, "plain", at, 10),
            store.searchLatest(collection, "words", 10),
            store.search(collection, title, at, 10),
            store.searchLatest(collection, title, 10))) {
      assertThat(hits).hasSize(1);
      assertThat(hits.get(0).key()).isEqualTo("zebra");
      assertThat(hits.get(0).range()).isEqualTo(VersionRange.openFrom(at));
      returned.add(hits.get(0).document());
    }
    for (Map<String, Object> got : returned) {
      assertThat(got).isEqualTo(document);
      assertThat(got.keySet()).noneMatch(field -> field.startsWith("_tm_"));
    }

    // The key and the versions are only in bookkeeping fields, which text searches skip.
    assertThat(store.search(collection, "zebra", at, 10)).isEmpty();
    // Quoted: a leading '-' would make it a NOT query, which matches everything.
    assertThat(store.search(collection, "\"" + Layout.encode(at) + "\"", at, 10)).isEmpty();
    assertThat(store.search(collection, Long.toString(Layout.OPEN), at, 10)).isEmpty();
    assertThat(store.searchLatest(collection, "zebra", 10)).isEmpty();
  }

  @Test
  void typedQueriesAreWrappedWithTheVersionFilter() {
    Epoch one = epoch(Write.upsert(collection, "k1", doc("colour", "red")));
    Epoch two =
        epoch(
            Write.upsert(collection, "k1", doc("colour", "blue")),
            Write.upsert(collection, "k2", doc("colour", "red")));
    assertAllApplied(store.apply(one));
    assertAllApplied(store.apply(two));
    store.makeVisible();
    Query red = Query.of(q -> q.term(t -> t.field("colour.keyword").value(FieldValue.of("red"))));

    List<Entry> atOne = store.search(collection, red, one.version(), 10);
    List<Entry> atTwo = store.search(collection, red, two.version(), 10);

    assertThat(atOne).extracting(Entry::key).containsExactly("k1");
    assertThat(atOne.get(0).range()).isEqualTo(new VersionRange(one.version(), two.version()));
    assertThat(atTwo).extracting(Entry::key).containsExactly("k2");
    assertThat(store.searchLatest(collection, red, 10))
        .extracting(Entry::key)
        .containsExactly("k2");
  }

  @Test
  void purgeRemovesVersionsClosedByTheHorizonAndKeepsTheOneVisibleThere() {
    Epoch v1 =
        epoch(
            Write.upsert(collection, "k", doc("n", 1)), Write.upsert(collection, "d", doc("n", 1)));
    Epoch v2 = epoch(Write.upsert(collection, "k", doc("n", 2)), Write.delete(collection, "d"));
    Epoch v3 = epoch(Write.upsert(collection, "k", doc("n", 3)));
    for (Epoch epoch : List.of(v1, v2, v3)) {
      assertAllApplied(store.apply(epoch));
    }
    store.makeVisible();
    assertThat(versionsOf("k")).isEqualTo(3);

    assertThat(store.purge(collection, v2.version()))
        .as("k@v1 and d@v1, closed at v2")
        .isEqualTo(2);
    store.makeVisible();

    assertThat(versionsOf("k")).isEqualTo(2);
    assertThat(versionsOf("d")).isZero();
    Lookup atHorizon = store.get(collection, "k", v2.version());
    assertThat(atHorizon.document()).contains(doc("n", 2));
    assertThat(atHorizon.entry().orElseThrow().range())
        .isEqualTo(new VersionRange(v2.version(), v3.version()));
    assertThat(store.get(collection, "k", v3.version()).document()).contains(doc("n", 3));
    assertThat(store.get(collection, "d", v2.version()).kind()).isEqualTo(Lookup.Kind.ABSENT);

    assertThat(store.purge(collection, v2.version())).as("again at the same horizon").isZero();
    assertThat(store.purge(collection, v3.version())).as("k@v2, closed at v3").isEqualTo(1);
    store.makeVisible();
    assertThat(store.get(collection, "k", v3.version()).document()).contains(doc("n", 3));
    assertThat(store.purge(collection + "_never_written", v3.version())).isZero();
  }

  @Test
  void bulkItemFailuresAreFatalPerWriteWithTheKey() {
    Epoch first = epoch(Write.upsert(collection, "k1", doc("price", 5)));
    assertAllApplied(store.apply(first));
    store.makeVisible();

    Epoch second =
        epoch(
            Write.upsert(collection, "k2", doc("price", "not a number")),
            Write.upsert(collection, "k3", doc("price", 7)),
            Write.upsert(collection, "k4", doc("_tm_key", "mine")));
    ApplyResult result = store.apply(second);

    assertThat(result.results())
        .extracting(WriteResult::outcome)
        .containsExactly(WriteOutcome.FATAL, WriteOutcome.APPLIED, WriteOutcome.FATAL);
    assertThat(result.results().get(0).reason())
        .contains("key 'k2'")
        .contains("400")
        .containsIgnoringCase("pars")
        .contains("price");
    assertThat(result.results().get(2).reason()).contains("key 'k4'").contains("'_tm_key'");
    assertThat(store.makeVisible().get(source))
        .as("an epoch with failed writes is not covered")
        .contains(first.version());
  }

  @Test
  void anUnreachableClusterMakesWritesRetryableAndReadsUnavailable() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ElasticsearchStore down =
        open(
            ElasticsearchStoreConfig.of("http://127.0.0.1:" + port)
                .withStoreName("search")
                .withRequestTimeout(Duration.ofSeconds(2)));
    Epoch epoch =
        epoch(Write.upsert(collection, "k1", doc("a", 1)), Write.delete(collection, "k2"));

    ApplyResult result = down.apply(epoch);

    assertThat(result.results())
        .extracting(WriteResult::outcome)
        .containsOnly(WriteOutcome.RETRYABLE);
    assertThat(result.results().get(0).reason()).isNotEmpty();
    assertThatThrownBy(down::makeVisible)
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("store 'search' unavailable");
    assertThatThrownBy(down::watermark).isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> down.get(collection, "k1", epoch.version()))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> down.search(collection, "a", epoch.version(), 10))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> down.purge(collection, epoch.version()))
        .isInstanceOf(StoreUnavailableException.class);
  }

  /** After a crash the key cache is gone and the last epochs were never refreshed. */
  @Test
  void aNewWriterClosesVersionsAnEarlierWriterLeftUnrefreshed() {
    Epoch v1 = epoch(Write.upsert(collection, "k", doc("n", 1)));
    Epoch v2 = epoch(Write.upsert(collection, "k", doc("n", 2)));
    Epoch v3 = epoch(Write.upsert(collection, "k", doc("n", 3)));
    assertAllApplied(store.apply(v1));
    store.makeVisible();
    assertAllApplied(store.apply(v2)); // acknowledged, never refreshed
    store.close();

    ElasticsearchStore restarted = open(config);
    assertAllApplied(restarted.apply(v3));
    assertThat(restarted.makeVisible().get(source)).contains(v3.version());

    assertThat(restarted.get(collection, "k", v1.version()).entry().orElseThrow().range())
        .isEqualTo(new VersionRange(v1.version(), v2.version()));
    assertThat(restarted.get(collection, "k", v2.version()).entry().orElseThrow().range())
        .isEqualTo(new VersionRange(v2.version(), v3.version()));
    assertThat(restarted.get(collection, "k", v3.version()).document()).contains(doc("n", 3));
    assertThat(restarted.searchLatest(collection, Query.of(q -> q.matchAll(m -> m)), 10))
        .as("one open version")
        .extracting(Entry::key)
        .containsExactly("k");
  }

  @Test
  void longKeysAreStoredUnderTheirHashAndReadBackWhole() throws Exception {
    String key = "long key ".repeat(100);
    Epoch epoch = epoch(Write.upsert(collection, key, doc("a", 1)));
    assertAllApplied(store.apply(epoch));
    store.makeVisible();

    Lookup got = store.get(collection, key, epoch.version());

    assertThat(got.entry().orElseThrow().key()).isEqualTo(key);
    String id =
        cluster
            .client()
            .search(s -> s.index(store.indexName(collection)), Void.class)
            .hits()
            .hits()
            .get(0)
            .id();
    assertThat(id).startsWith(Layout.HASHED_KEY_PREFIX).endsWith("@" + epoch.version());
  }

  @Test
  void collectionsWhoseIndexNamesCollideAreRefused() {
    String upper = collection.toUpperCase(Locale.ROOT);
    assertAllApplied(store.apply(epoch(Write.upsert(collection, "k", doc("a", 1)))));

    ApplyResult result = store.apply(epoch(Write.upsert(upper, "k", doc("a", 2))));

    assertThat(result.results().get(0).outcome()).isEqualTo(WriteOutcome.FATAL);
    assertThat(result.results().get(0).reason())
        .contains("'" + collection + "'")
        .contains("'" + upper + "'")
        .contains("same name");
  }

  @Test
  void aCollectionThatMakesNoIndexNameIsRefusedOnWriteAndEmptyOnRead() {
    String tooLong = collection + "x".repeat(300);
    Epoch epoch = epoch(Write.upsert(tooLong, "k", doc("a", 1)));

    ApplyResult result = store.apply(epoch);

    assertThat(result.results().get(0).outcome()).isEqualTo(WriteOutcome.FATAL);
    assertThat(result.results().get(0).reason()).contains("longer than 255 bytes");
    assertThat(store.get(tooLong, "k", epoch.version()).kind()).isEqualTo(Lookup.Kind.ABSENT);
    assertThat(store.latest(tooLong, "k").kind()).isEqualTo(Lookup.Kind.ABSENT);
    assertThat(store.search(tooLong, "a", epoch.version(), 10)).isEmpty();
    assertThat(store.purge(tooLong, epoch.version())).isZero();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private ElasticsearchStore open(ElasticsearchStoreConfig storeConfig) {
    ElasticsearchStore opened = ElasticsearchStore.open(storeConfig);
    this.opened.add(opened);
    return opened;
  }

  private Epoch epoch(Write... writes) {
    nextVersion += 1 + NAMES.nextInt(100);
    return new Epoch(source, Version.of(nextVersion), List.of(writes), writes.length);
  }

  private static Map<String, Object> doc(String field, Object value) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put(field, value);
    return doc;
  }

  private static void assertAllApplied(ApplyResult result) {
    assertThat(result.results())
        .allSatisfy(
            r ->
                assertThat(r.outcome())
                    .as("%s: %s", r.write(), r.reason())
                    .isEqualTo(WriteOutcome.APPLIED));
  }

  /** How many documents (versions) the index holds for a key, whatever their range. */
  private long versionsOf(String key) {
    try {
      return cluster
          .client()
          .count(
              c ->
                  c.index(store.indexName(collection))
                      .query(q -> q.term(t -> t.field(Layout.KEY).value(FieldValue.of(key)))))
          .count();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
