package io.tidemark.coordinator.sidecar;

import static io.tidemark.coordinator.sidecar.Http.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.client.Document;
import io.tidemark.client.FrontierSource;
import io.tidemark.client.ReadFrom;
import io.tidemark.client.RemoteFrontierConfig;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.net.URI;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The read path against a running coordinator: PostgreSQL → Debezium → the four real stores, read
 * through the client library in-process, through the sidecar {@code tidemark run} serves, and
 * through a standalone sidecar that learns the frontier from that one over HTTP.
 */
class SidecarCoordinatorIT {

  static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo"};

  static Deployment d;
  static Coordinator coordinator;
  static Sidecar engineSidecar;
  static Sidecar standalone;
  static Tidemark library;
  static Http viaEngine;
  static Http viaStandalone;
  static final BlockingQueue<Connection> connections = new ArrayBlockingQueue<>(48);

  @BeforeAll
  static void start() throws Exception {
    d = new Deployment();
    coordinator = Coordinator.start(d.config);
    engineSidecar = Sidecar.serve(coordinator);
    SidecarOptions options =
        SidecarOptions.defaults().withAddress("127.0.0.1", 0).withBearerToken(Deployment.TOKEN);
    standalone =
        Sidecar.serve(
            d.config,
            FrontierSource.remote(
                RemoteFrontierConfig.of(URI.create(engineSidecar.baseUrl()))
                    .withBearerToken(Deployment.TOKEN)),
            options);
    library =
        ConfiguredStores.addTo(
                Tidemark.builder().sharedFrontier(new CoordinatorFrontier(coordinator)),
                d.config,
                options)
            .build();
    viaEngine = new Http(engineSidecar.baseUrl(), Deployment.TOKEN);
    viaStandalone = new Http(standalone.baseUrl(), Deployment.TOKEN);
    while (connections.remainingCapacity() > 0) {
      connections.add(d.connect());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Connection c : connections) {
      c.close();
    }
    if (library != null) {
      library.close();
    }
    if (standalone != null) {
      standalone.close();
    }
    if (engineSidecar != null) {
      engineSidecar.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
    if (d != null) {
      d.close();
    }
  }

  /** Commits through one of the pooled connections. */
  static Version[] commit(long id, String title, int n) throws Exception {
    Connection c = connections.take();
    try {
      return d.commit(c, id, title, n);
    } finally {
      connections.add(c);
    }
  }

  /**
   * 1,000 writers commit at once, each builds a token from its commit LSN, takes a snapshot at
   * least that token and reads its own row from both caches, the read database and the search
   * index: through the library, the engine's sidecar or the standalone sidecar.
   */
  @Test
  void readYourWritesWithAThousandConcurrentWriters() throws Exception {
    int writers = 1000;
    String c = d.collection;
    CountDownLatch go = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicLong checked = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      int me = i;
      Thread t =
          new Thread(
              () -> {
                String title = "ryw w" + me + " " + WORDS[me % WORDS.length];
                try {
                  go.await();
                  Version[] lsn = commit(me, title, me);
                  String token = Stamp.of("listings", lsn[1]).token();
                  int reads =
                      me % 3 == 0
                          ? viaLibrary(c, me, title, token, problems)
                          : viaHttp(
                              me % 3 == 1 ? viaEngine : viaStandalone,
                              c,
                              me,
                              title,
                              token,
                              problems);
                  checked.addAndGet(reads);
                } catch (Throwable e) {
                  problems.add("writer " + me + ": " + e);
                }
              },
              "ryw-writer-" + i);
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(TimeUnit.MINUTES.toMillis(5));
      assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
    }
    assertThat(problems).isEmpty();
    assertThat(checked.get()).isEqualTo(writers * 6L);
    assertThat(coordinator.healthy()).isTrue();
  }

  private static int viaLibrary(
      String c, int me, String title, String token, ConcurrentLinkedQueue<String> problems) {
    Snapshot s = library.snapshotAtLeast(token, Duration.ofSeconds(60));
    String key = Integer.toString(me);
    expectTitle(problems, "library get " + me, s.get(c, key).map(Document::doc), title);
    for (ReadFrom from : ReadFrom.values()) {
      Lookup l = s.lookup(c, key, from, ConsistencyLevel.SNAPSHOT);
      expectTitle(problems, "library " + from.text() + " " + me, l.document(), title);
    }
    // both caches, not only the first one the lookup asks
    String memo = "memo";
    Optional<Map<String, Object>> fromMemo =
        s.lookup(c, key, ReadFrom.CACHE, ConsistencyLevel.SNAPSHOT).document();
    expectTitle(problems, "library " + memo + " " + me, fromMemo, title);
    List<Document> hits = s.search(c, "w" + me, 10);
    if (hits.stream().noneMatch(h -> h.id().equals(key) && title.equals(h.doc().get("title")))) {
      problems.add("library search " + me + " at " + s + ": " + hits);
    }
    return 6;
  }

  private static int viaHttp(
      Http http,
      String c,
      int me,
      String title,
      String token,
      ConcurrentLinkedQueue<String> problems) {
    String snapshot = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (snapshot == null) {
      Http.Answer a =
          http.post("/v1/snapshots", "{\"atLeast\":\"" + token + "\",\"waitMillis\":5000}");
      if (a.status() == 201) {
        snapshot = a.json().get("token").asText();
        if (!Stamp.parse(snapshot).covers(Stamp.parse(token))) {
          problems.add(me + ": snapshot " + snapshot + " below " + token);
        }
      } else if (a.status() != 408 || System.nanoTime() > deadline) {
        problems.add(me + ": POST /v1/snapshots: " + a);
        return 0;
      }
    }
    String base = "/v1/collections/" + c + "/docs/" + me + "?snapshot=" + enc(snapshot);
    for (String from : List.of("", "&from=cache", "&from=db", "&from=search")) {
      Http.Answer a = http.get(base + from);
      if (a.status() != 200 || !title.equals(a.json().at("/doc/title").asText())) {
        problems.add(me + ": GET docs" + from + ": " + a);
      }
    }
    Http.Answer found =
        http.get("/v1/collections/" + c + "/search?q=w" + me + "&snapshot=" + enc(snapshot));
    boolean hit = false;
    for (JsonNode h : found.json().path("hits")) {
      hit |=
          h.get("id").asText().equals(Integer.toString(me))
              && title.equals(h.at("/doc/title").asText());
    }
    if (!hit) {
      problems.add(me + ": search: " + found);
    }
    return 6;
  }

  private static void expectTitle(
      ConcurrentLinkedQueue<String> problems,
      String what,
      Optional<Map<String, Object>> doc,
      String title) {
    if (doc.isEmpty() || !title.equals(doc.get().get("title"))) {
      problems.add(what + ": read " + doc + ", wrote '" + title + "'");
    }
  }

  /** One committed change of a row: its commit LSN lies in [lower, upper]. */
  record Change(long id, String title, Version lower, Version upper) {}

  /**
   * While writers run, every read at a snapshot (key reads and searches, through the library and
   * both sidecars) equals the source at the snapshot's stamp, as the recorded history says.
   */
  @Test
  void snapshotReadsEqualTheSourceWhileWritersRun() throws Exception {
    String c = d.collection;
    int keys = 80;
    long firstId = 100_000;
    // each key has one writer, so its changes are in commit order in the history
    List<List<Change>> history =
        List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(5);
    List<Future<?>> writersDone = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int writer = w;
      writersDone.add(
          pool.submit(
              () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                int n = 0;
                while (writing.get()) {
                  long id = firstId + 2L * r.nextInt(keys / 2) + writer;
                  String title =
                      r.nextInt(8) == 0
                          ? null
                          : WORDS[r.nextInt(WORDS.length)]
                              + " "
                              + WORDS[r.nextInt(WORDS.length)]
                              + " n"
                              + n;
                  Version[] lsn = commit(id, title, n++);
                  history.get(writer).add(new Change(id, title, lsn[0], lsn[1]));
                }
                return null;
              }));
    }
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicLong gets = new AtomicLong();
    AtomicLong searches = new AtomicLong();
    List<String> tokens = Collections.synchronizedList(new ArrayList<>());
    long started = System.nanoTime();
    Stamp startFrontier = coordinator.frontier();
    List<Future<?>> readers = new ArrayList<>();
    for (int reader = 0; reader < 3; reader++) {
      int kind = reader;
      readers.add(
          pool.submit(
              () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(12)) {
                  String token = library.snapshot().token();
                  tokens.add(token);
                  if (r.nextBoolean() && tokens.size() > 5) {
                    token = tokens.get(tokens.size() - 1 - r.nextInt(Math.min(tokens.size(), 40)));
                  }
                  Version at = Stamp.parse(token).get("listings").orElseThrow();
                  long id = firstId + r.nextInt(keys + 4);
                  Expected want = expected(history, id, at);
                  String word = WORDS[r.nextInt(WORDS.length)];
                  if (kind == 0) {
                    Snapshot s = library.snapshot(token);
                    want.check(
                        problems,
                        "library get " + id + " at " + token,
                        s.get(c, Long.toString(id)).map(doc -> (String) doc.doc().get("title")));
                    Set<String> got = new HashSet<>();
                    s.search(c, word, 1000).forEach(h -> got.add(h.id()));
                    checkSearch(problems, "library", history, at, word, got, token);
                  } else {
                    Http http = kind == 1 ? viaEngine : viaStandalone;
                    Http.Answer a =
                        http.get(
                            "/v1/collections/" + c + "/docs/" + id + "?snapshot=" + enc(token));
                    Optional<String> title =
                        a.status() == 200
                            ? Optional.of(a.json().at("/doc/title").asText())
                            : Optional.empty();
                    if (a.status() != 200
                        && !(a.status() == 404 && "not_found".equals(a.error()))) {
                      problems.add("http get " + id + ": " + a);
                    }
                    want.check(problems, "http get " + id + " at " + token, title);
                    Http.Answer found =
                        http.get(
                            "/v1/collections/"
                                + c
                                + "/search?size=1000&q="
                                + word
                                + "&snapshot="
                                + enc(token));
                    Set<String> got = new HashSet<>();
                    found.json().path("hits").forEach(h -> got.add(h.get("id").asText()));
                    checkSearch(problems, "http", history, at, word, got, token);
                  }
                  gets.incrementAndGet();
                  searches.incrementAndGet();
                }
                return null;
              }));
    }
    for (Future<?> f : readers) {
      f.get(3, TimeUnit.MINUTES);
    }
    writing.set(false);
    for (Future<?> f : writersDone) {
      f.get(1, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertThat(problems).isEmpty();
    assertThat(gets.get()).isGreaterThan(100);
    assertThat(searches.get()).isGreaterThan(100);
    assertThat(coordinator.frontier()).isNotEqualTo(startFrontier);
    assertThat(history.get(0).size() + history.get(1).size()).isGreaterThan(100);
  }

  /** What a key held at a stamp: a title, absent (null title), or unknown (ambiguous). */
  record Expected(boolean known, String title) {
    void check(ConcurrentLinkedQueue<String> problems, String what, Optional<String> got) {
      if (known && !got.equals(Optional.ofNullable(title))) {
        problems.add(what + ": got " + got + ", expected " + (title == null ? "absent" : title));
      }
    }
  }

  static Expected expected(List<List<Change>> history, long id, Version at) {
    String title = null;
    for (Change ch : history.get((int) (id % 2))) {
      if (ch.id() != id) {
        continue;
      }
      if (!ch.upper().isAfter(at)) {
        title = ch.title();
      } else if (!ch.lower().isAfter(at)) {
        return new Expected(false, null); // committed within its bracket around the stamp
      } else {
        break; // committed after the stamp, and so was everything after it
      }
    }
    return new Expected(true, title);
  }

  static void checkSearch(
      ConcurrentLinkedQueue<String> problems,
      String how,
      List<List<Change>> history,
      Version at,
      String word,
      Set<String> got,
      String token) {
    for (long id = 100_000; id < 100_000 + 84; id++) {
      Expected e = expected(history, id, at);
      if (!e.known()) {
        continue;
      }
      boolean shouldMatch = e.title() != null && e.title().contains(word);
      if (shouldMatch != got.contains(Long.toString(id))) {
        problems.add(
            how
                + " search '"
                + word
                + "' at "
                + token
                + ": id "
                + id
                + " expected "
                + (shouldMatch ? "in" : "not in")
                + " hits (title "
                + e.title()
                + ")");
      }
    }
  }
}
