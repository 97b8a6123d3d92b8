package io.tidemark.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client library on real Elasticsearch, Redis, Memcached and PostgreSQL, written through their
 * real writers by {@link WritePath}: read-your-writes, exact snapshot reads against the recorded
 * history while writers run, typed refusals.
 */
class ReadPathIT {

  static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo"};

  static WritePath path;
  static AtomicReference<Stamp> horizon = new AtomicReference<>(Stamp.empty());
  static Tidemark viaRedis;
  static Tidemark viaMemcached;

  @BeforeAll
  static void start() {
    path = new WritePath();
    FrontierSource frontier = FrontierSource.inProcess(path.tracker, horizon::get, Set::of);
    viaRedis = path.client(frontier, "cache").build();
    viaMemcached =
        Tidemark.builder()
            .sharedFrontier(frontier)
            .source(WritePath.SOURCE)
            .store(path.esConfig())
            .store(path.postgresConfig())
            .store(path.memcachedConfig())
            .collection(path.collection, "memo", "readdb", "search")
            .build();
  }

  @AfterAll
  static void stop() {
    if (viaRedis != null) {
      viaRedis.close();
      viaMemcached.close();
    }
    if (path != null) {
      path.close();
    }
  }

  static Map<String, Object> doc(String owner, String title, long n) {
    return Map.of("owner", owner, "title", title, "n", Long.toString(n));
  }

  @Test
  void readYourWritesWithAThousandConcurrentWriters() throws Exception {
    int writers = 1000;
    CountDownLatch go = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicLong reads = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    String c = path.collection;
    for (int i = 0; i < writers; i++) {
      String key = "ryw-" + i;
      Map<String, Object> mine = doc(key, "ryw " + WORDS[i % WORDS.length] + " w" + i, i);
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                  Version committed = path.commit(key, mine);
                  String token = Stamp.of(WritePath.SOURCE, committed).token();
                  Tidemark client = (key.hashCode() & 1) == 0 ? viaRedis : viaMemcached;
                  Snapshot s = client.snapshotAtLeast(token, Duration.ofSeconds(60));
                  if (!s.stamp().covers(Stamp.parse(token))) {
                    problems.add(key + ": snapshot " + s + " does not cover " + token);
                  }
                  check(key, mine, s.get(c, key).map(Document::doc), "get", problems);
                  for (ReadFrom from : ReadFrom.values()) {
                    Lookup l = s.lookup(c, key, from, ConsistencyLevel.SNAPSHOT);
                    check(key, mine, l.document(), from.text(), problems);
                  }
                  List<Document> hits = s.search(c, "w" + key.substring(4), 10);
                  if (hits.stream().noneMatch(h -> h.id().equals(key) && h.doc().equals(mine))) {
                    problems.add(key + ": search at " + s + " did not find it: " + hits);
                  }
                  reads.addAndGet(5);
                } catch (Throwable e) {
                  problems.add(key + ": " + e);
                }
              },
              "writer-" + i);
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(TimeUnit.MINUTES.toMillis(3));
      assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
    }
    assertThat(path.failure()).isNull();
    assertThat(problems).isEmpty();
    assertThat(reads.get()).isEqualTo(5L * writers);
  }

  private static void check(
      String key,
      Map<String, Object> mine,
      Optional<Map<String, Object>> read,
      String how,
      ConcurrentLinkedQueue<String> problems) {
    if (!read.equals(Optional.of(mine))) {
      problems.add(key + ": " + how + " read " + read + ", wrote " + mine);
    }
  }

  @Test
  void snapshotReadsEqualTheSourceAtTheirStampWhileWritersRun() throws Exception {
    int keys = 150;
    String c = path.collection;
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> writersDone = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      writersDone.add(
          pool.submit(
              () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long n = 0;
                while (writing.get()) {
                  String key = "k" + r.nextInt(keys);
                  if (r.nextInt(10) == 0) {
                    path.commit(key, null);
                  } else {
                    String title =
                        WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)];
                    path.commit(key, doc(key, title, n++));
                  }
                  if (r.nextInt(4) == 0) {
                    Thread.sleep(1); // a few thousand commits a second: epochs of several sizes
                  }
                }
                return null;
              }));
    }
    path.commit("k0", doc("k0", "alpha", 0));
    path.awaitQuiet(30_000); // readers start with a frontier
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicLong gets = new AtomicLong();
    AtomicLong searches = new AtomicLong();
    AtomicLong olderSnapshots = new AtomicLong();
    List<Future<?>> readers = new ArrayList<>();
    // Read for at least 8 s and until 15 more epochs were published (epochs are slow when the
    // machine is busy), at most 2 minutes.
    long started = System.nanoTime();
    int epochsBefore = path.frontiers.size();
    java.util.function.BooleanSupplier reading =
        () -> {
          long elapsed = System.nanoTime() - started;
          return elapsed < TimeUnit.MINUTES.toNanos(2)
              && (elapsed < TimeUnit.SECONDS.toNanos(8)
                  || path.frontiers.size() - epochsBefore < 15);
        };
    for (int reader = 0; reader < 4; reader++) {
      Tidemark client = reader % 2 == 0 ? viaRedis : viaMemcached;
      readers.add(
          pool.submit(
              () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (reading.getAsBoolean()) {
                  Snapshot s = client.snapshot();
                  if (r.nextBoolean() && path.frontiers.size() > 2) {
                    // an older published frontier, passed around as a token
                    List<Stamp> seen = path.frontiers;
                    Stamp older = seen.get(Math.max(0, seen.size() - 1 - r.nextInt(20)));
                    s = client.snapshot(older.token());
                    olderSnapshots.incrementAndGet();
                  }
                  Version at = s.stamp().get(WritePath.SOURCE).orElseThrow();
                  for (int i = 0; i < 5; i++) {
                    String key = "k" + r.nextInt(keys + 10); // some never written
                    var expected = path.expected(key, at);
                    Optional<Document> got = s.get(c, key);
                    compare(problems, "get", s, key, expected, got);
                    ReadFrom from = ReadFrom.values()[r.nextInt(3)];
                    Lookup l = s.lookup(c, key, from, ConsistencyLevel.SNAPSHOT);
                    if (!(from == ReadFrom.CACHE && l.isMiss())) {
                      compare(
                          problems,
                          "lookup " + from.text(),
                          s,
                          key,
                          expected,
                          l.entry()
                              .map(
                                  e ->
                                      new Document(
                                          key, e.range().from(), e.document(), from.text())));
                    }
                    gets.incrementAndGet();
                  }
                  String word = WORDS[r.nextInt(WORDS.length)];
                  List<Document> hits = s.search(c, word, 1000);
                  Set<String> want =
                      new HashSet<>(
                          path.expectedMatches(at, d -> ((String) d.get("title")).contains(word)));
                  Set<String> got = new HashSet<>();
                  for (Document h : hits) {
                    got.add(h.id());
                    compare(
                        problems,
                        "search hit",
                        s,
                        h.id(),
                        path.expected(h.id(), at),
                        Optional.of(h));
                  }
                  if (!got.equals(want)) {
                    problems.add(
                        "search '" + word + "' at " + s + ": got " + got + ", expected " + want);
                  }
                  searches.incrementAndGet();
                }
                return null;
              }));
    }
    for (Future<?> f : readers) {
      f.get(3, TimeUnit.MINUTES);
    }
    writing.set(false);
    int epochsWhileReading = path.frontiers.size() - epochsBefore;
    for (Future<?> f : writersDone) {
      f.get(1, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertThat(path.failure()).isNull();
    assertThat(problems).isEmpty();
    assertThat(gets.get())
        .as(
            "gets; frontier %s, %s frontiers published",
            path.tracker.frontier(), path.frontiers.size())
        .isGreaterThan(200);
    assertThat(searches.get()).isGreaterThan(40);
    assertThat(olderSnapshots.get()).isGreaterThan(10);
    assertThat(epochsWhileReading)
        .as("epochs published while reading; %s", path.timings())
        .isGreaterThanOrEqualTo(15);
  }

  private static void compare(
      ConcurrentLinkedQueue<String> problems,
      String how,
      Snapshot s,
      String key,
      Optional<Map.Entry<Long, Map<String, Object>>> expected,
      Optional<Document> got) {
    if (expected.isEmpty() != got.isEmpty()
        || (got.isPresent()
            && (!got.get().doc().equals(expected.get().getValue())
                || got.get().version().asLong() != expected.get().getKey()))) {
      problems.add(
          how
              + " "
              + key
              + " at "
              + s
              + ": got "
              + got
              + ", expected "
              + expected.map(e -> Version.of(e.getKey()) + " " + e.getValue()));
    }
  }

  @Test
  void typedElasticsearchQueriesAndLevels() throws Exception {
    String c = path.collection;
    Version v1 = path.commit("typed-1", doc("typed-1", "zulu first", 1));
    Snapshot first =
        viaRedis.snapshotAtLeast(Stamp.of(WritePath.SOURCE, v1).token(), Duration.ofSeconds(30));
    path.commit("typed-1", doc("typed-1", "zulu second", 2));
    path.awaitQuiet(30_000);
    Query owner = Query.of(q -> q.term(t -> t.field("owner.keyword").value("typed-1")));
    assertThat(first.search(c, owner, 10))
        .extracting(d -> d.doc().get("title"))
        .containsExactly("zulu first");
    assertThat(first.search(c, owner, 10, ConsistencyLevel.AT_LEAST))
        .extracting(d -> d.doc().get("title"))
        .containsExactly("zulu second");
    assertThat(first.get(c, "typed-1").orElseThrow().doc()).containsEntry("title", "zulu first");
    assertThat(first.get(c, "typed-1", ConsistencyLevel.LATEST).orElseThrow().doc())
        .containsEntry("title", "zulu second");
  }

  @Test
  void refusalsAreTyped() throws Exception {
    path.commit("refusal", doc("refusal", "x", 1));
    Stamp now = path.awaitQuiet(30_000);
    Version at = now.get(WritePath.SOURCE).orElseThrow();
    Stamp above = Stamp.of(WritePath.SOURCE, Version.of(at.asLong() + 0x10_0000));
    assertThatThrownBy(() -> viaRedis.snapshot(above.token()))
        .isInstanceOf(SnapshotNotReadyException.class);
    assertThatThrownBy(() -> viaRedis.snapshotAtLeast(above.token(), Duration.ofMillis(100)))
        .isInstanceOf(SnapshotNotReadyException.class);
    assertThatThrownBy(() -> viaRedis.snapshot("tm1:listings@zz"))
        .isInstanceOf(BadTokenException.class);
    assertThatThrownBy(() -> viaRedis.snapshot().get("no_such", "1"))
        .isInstanceOf(UnknownCollectionException.class);
    horizon.set(now);
    try {
      Stamp below = Stamp.of(WritePath.SOURCE, Version.of(at.asLong() - 1));
      assertThatThrownBy(() -> viaRedis.snapshot(below.token()))
          .isInstanceOf(SnapshotExpiredException.class);
      assertThat(viaRedis.snapshot(now.token()).get(path.collection, "refusal")).isPresent();
    } finally {
      horizon.set(Stamp.empty());
    }
  }
}
