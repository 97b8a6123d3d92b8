package io.tidemark.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's logic on in-memory readers: routing, fallbacks, admission, levels, errors. */
class TidemarkTest {

  static final String SOURCE = "listings";

  FrontierTracker tracker;
  AtomicReference<Stamp> horizon = new AtomicReference<>(Stamp.empty());
  Set<String> detached = new HashSet<>();
  MemoryStore cache = new MemoryStore("cache", false);
  MemoryStore db = new MemoryStore("readdb", true);
  MemoryStore.Search search = new MemoryStore.Search("search");
  Tidemark tidemark;

  @BeforeEach
  void setUp() {
    tracker = new FrontierTracker(List.of("cache", "readdb", "search"));
    tidemark =
        Tidemark.builder()
            .frontier(FrontierSource.inProcess(tracker, horizon::get, () -> Set.copyOf(detached)))
            .source(SOURCE)
            .store("cache", cache)
            .store("readdb", db)
            .store("search", search)
            .collection("ads", "cache", "readdb", "search")
            .collection("notes", "readdb")
            .build();
  }

  void frontierAt(long lsn) {
    for (String store : List.of("cache", "readdb", "search")) {
      tracker.report(store, stamp(lsn));
    }
  }

  static Stamp stamp(long lsn) {
    return Stamp.of(SOURCE, Version.of(lsn));
  }

  static String token(long lsn) {
    return stamp(lsn).token();
  }

  static Map<String, Object> doc(String title) {
    return Map.of("title", title);
  }

  @Test
  void noFrontierYetIsNotReady() {
    assertThatThrownBy(() -> tidemark.snapshot())
        .isInstanceOf(SnapshotNotReadyException.class)
        .hasMessageContaining("no frontier");
  }

  @Test
  void snapshotIsTheFrontier() {
    frontierAt(0x100);
    assertThat(tidemark.snapshot().token()).isEqualTo("tm1:listings@0/100");
    assertThat(tidemark.token()).isEqualTo("tm1:listings@0/100");
  }

  @Test
  void getAnswersFromTheCacheWhenItHasTheRow() {
    frontierAt(0x100);
    cache.put("1", 0x10, -1, doc("from cache"));
    db.put("1", 0x10, -1, doc("from db"));
    Document d = tidemark.snapshot().get("ads", "1").orElseThrow();
    assertThat(d.store()).isEqualTo("cache");
    assertThat(d.doc()).containsEntry("title", "from cache");
    assertThat(d.version()).isEqualTo(Version.of(0x10));
    assertThat(db.reads).isEmpty();
  }

  @Test
  void cacheMissFallsBackToTheReadDatabaseAtTheSameStamp() {
    frontierAt(0x100);
    db.put("1", 0x10, 0x50, doc("old")).put("1", 0x50, -1, doc("new"));
    Document d = tidemark.snapshot(token(0x40)).get("ads", "1").orElseThrow();
    assertThat(d.doc()).containsEntry("title", "old");
    assertThat(d.store()).isEqualTo("readdb");
    assertThat(cache.reads).containsExactly("get 1@0/40");
    assertThat(db.reads).containsExactly("get 1@0/40");
    assertThat(tidemark.snapshot().get("ads", "1").orElseThrow().doc())
        .containsEntry("title", "new");
  }

  @Test
  void aCacheBehindTheSnapshotIsNotAsked() {
    frontierAt(0x100);
    // The cache lost its data and is being refilled from older epochs: it looks current but is
    // not; until its watermark reaches the snapshot again, the read database answers.
    tracker.report("cache", stamp(0x20));
    cache.put("1", 0x10, -1, doc("stale, not yet closed"));
    db.put("1", 0x10, 0x50, doc("old")).put("1", 0x50, -1, doc("new"));
    Document d = tidemark.snapshot().get("ads", "1").orElseThrow();
    assertThat(d.store()).isEqualTo("readdb");
    assertThat(d.doc()).containsEntry("title", "new");
    assertThat(cache.reads).isEmpty();
    // Reads at or below what the cache holds may still use it.
    assertThat(tidemark.snapshot(token(0x20)).get("ads", "1").orElseThrow().store())
        .isEqualTo("cache");
  }

  @Test
  void aDeletionMarkerInTheCacheIsFinal() {
    frontierAt(0x100);
    cache.put("1", 0x30, -1, null);
    db.put("1", 0x10, -1, doc("would be wrong"));
    assertThat(tidemark.snapshot().get("ads", "1")).isEmpty();
    assertThat(db.reads).isEmpty();
  }

  @Test
  void anUnreachableCacheIsAMiss() {
    frontierAt(0x100);
    cache.down = true;
    db.put("1", 0x10, -1, doc("db"));
    assertThat(tidemark.snapshot().get("ads", "1").orElseThrow().store()).isEqualTo("readdb");
  }

  @Test
  void anUnreachableReadDatabaseIsTyped() {
    frontierAt(0x100);
    db.down = true;
    assertThatThrownBy(() -> tidemark.snapshot().get("ads", "1"))
        .isInstanceOfSatisfying(
            StoreUnavailableException.class,
            e -> {
              assertThat(e.store()).isEqualTo("readdb");
              assertThat(e.code()).isEqualTo("store_unavailable");
            });
  }

  @Test
  void detachedCacheIsSkippedAndDetachedDatabaseRefused() {
    frontierAt(0x100);
    cache.put("1", 0x10, -1, doc("cache"));
    db.put("1", 0x10, -1, doc("db"));
    detached.add("cache");
    assertThat(tidemark.snapshot().get("ads", "1").orElseThrow().store()).isEqualTo("readdb");
    assertThat(cache.reads).isEmpty();
    detached.add("readdb");
    assertThatThrownBy(() -> tidemark.snapshot().get("ads", "1"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("detached");
    detached.add("search");
    assertThatThrownBy(() -> tidemark.snapshot().search("ads", "x"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("detached");
  }

  @Test
  void unknownCollectionNamesTheKnownOnes() {
    frontierAt(0x100);
    assertThatThrownBy(() -> tidemark.snapshot().get("nope", "1"))
        .isInstanceOf(UnknownCollectionException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("ads");
    assertThatThrownBy(() -> tidemark.snapshot().search("notes", "x"))
        .isInstanceOf(UnknownCollectionException.class)
        .hasMessageContaining("no search index");
  }

  @Test
  void exactTokensAreCheckedAgainstHorizonAndFrontier() {
    frontierAt(0x100);
    horizon.set(stamp(0x80));
    assertThatThrownBy(() -> tidemark.snapshot(token(0x70)))
        .isInstanceOf(SnapshotExpiredException.class)
        .hasMessageContaining("0/80");
    assertThatThrownBy(() -> tidemark.snapshot(token(0x200)))
        .isInstanceOf(SnapshotNotReadyException.class)
        .hasMessageContaining("0/100");
    assertThat(tidemark.snapshot(token(0x80)).token()).isEqualTo(token(0x80));
    assertThat(tidemark.snapshot(token(0x100)).token()).isEqualTo(token(0x100));
    assertThatThrownBy(() -> tidemark.snapshot("tm1:listings@0/XYZ"))
        .isInstanceOfSatisfying(
            BadTokenException.class,
            e -> {
              assertThat(e.reason())
                  .isEqualTo(io.tidemark.protocol.BadTokenException.Reason.BAD_LSN);
              assertThat(e.code()).isEqualTo("bad_token");
            });
  }

  @Test
  void foreignSourcesTravelAlongAndMissingOnesComeFromTheFrontier() {
    frontierAt(0x100);
    Snapshot s = tidemark.snapshot("tm1:listings@0/90,users@7/1");
    assertThat(s.token()).isEqualTo("tm1:listings@0/90,users@7/1");
    Snapshot other = tidemark.snapshot("tm1:users@7/1");
    assertThat(other.token()).isEqualTo("tm1:listings@0/100,users@7/1");
    Snapshot atLeast = tidemark.snapshotAtLeast("tm1:listings@0/90,users@7/1", Duration.ZERO);
    assertThat(atLeast.token()).isEqualTo("tm1:listings@0/100,users@7/1");
  }

  @Test
  void snapshotAtLeastWaitsForTheFrontier() throws Exception {
    frontierAt(0x100);
    CompletableFuture<Snapshot> waiting =
        CompletableFuture.supplyAsync(
            () -> tidemark.snapshotAtLeast(token(0x150), Duration.ofSeconds(10)));
    // The waiter is registered when the tracker counts it; then move the frontier past it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (tracker.waiting() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(waiting).isNotDone();
    frontierAt(0x160);
    assertThat(waiting.get(10, TimeUnit.SECONDS).token()).isEqualTo(token(0x160));
  }

  @Test
  void snapshotAtLeastRunsOutWithNotReady() {
    frontierAt(0x100);
    long start = System.nanoTime();
    assertThatThrownBy(() -> tidemark.snapshotAtLeast(token(0x150), Duration.ofMillis(50)))
        .isInstanceOf(SnapshotNotReadyException.class)
        .hasMessageContaining("PT0.05S");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    assertThat(tidemark.snapshotAtLeast(token(0x50), Duration.ZERO).token())
        .isEqualTo(token(0x100));
  }

  @Test
  void atLeastAndLatestReadTheStoresLatest() {
    frontierAt(0x100);
    db.put("1", 0x10, 0x200, doc("old")).put("1", 0x200, -1, doc("newer than S"));
    Snapshot s = tidemark.snapshot();
    assertThat(s.get("ads", "1").orElseThrow().doc()).containsEntry("title", "old");
    assertThat(s.get("ads", "1", ConsistencyLevel.AT_LEAST).orElseThrow().doc())
        .containsEntry("title", "newer than S");
    assertThat(s.get("ads", "1", ConsistencyLevel.LATEST).orElseThrow().version())
        .isEqualTo(Version.of(0x200));
    assertThat(cache.reads).contains("latest 1");
  }

  @Test
  void searchIsAtTheStampAndCarriesVersions() {
    frontierAt(0x100);
    search.put("1", 0x10, 0x50, doc("red bike")).put("1", 0x50, -1, doc("blue bike"));
    search.put("2", 0x20, -1, doc("red car"));
    List<Document> atOld = tidemark.snapshot(token(0x40)).search("ads", "red");
    assertThat(atOld).extracting(Document::id).containsExactlyInAnyOrder("1", "2");
    assertThat(atOld).allSatisfy(d -> assertThat(d.store()).isEqualTo("search"));
    List<Document> atNew = tidemark.snapshot().search("ads", "red");
    assertThat(atNew).extracting(Document::id).containsExactly("2");
    assertThat(atNew.get(0).version()).isEqualTo(Version.of(0x20));
  }

  @Test
  void lookupAsksOneKindOfStore() {
    frontierAt(0x100);
    db.put("1", 0x10, -1, doc("db"));
    search.put("1", 0x10, -1, doc("search"));
    Snapshot s = tidemark.snapshot();
    assertThat(s.lookup("ads", "1", ReadFrom.CACHE, ConsistencyLevel.SNAPSHOT).isMiss()).isTrue();
    assertThat(
            s.lookup("ads", "1", ReadFrom.DB, ConsistencyLevel.SNAPSHOT).document().orElseThrow())
        .containsEntry("title", "db");
    assertThat(
            s.lookup("ads", "1", ReadFrom.SEARCH, ConsistencyLevel.SNAPSHOT)
                .document()
                .orElseThrow())
        .containsEntry("title", "search");
    assertThat(s.lookup("ads", "2", ReadFrom.DB, ConsistencyLevel.SNAPSHOT).kind())
        .isEqualTo(Lookup.Kind.ABSENT);
    assertThat(s.storeName("ads", ReadFrom.CACHE)).isEqualTo("cache");
    assertThatThrownBy(() -> s.lookup("notes", "1", ReadFrom.CACHE, ConsistencyLevel.SNAPSHOT))
        .isInstanceOf(UnknownCollectionException.class)
        .hasMessageContaining("no cache");
  }

  @Test
  void readingASourceTheSnapshotLacksIsNotReady() {
    FrontierTracker t = new FrontierTracker(List.of("readdb"));
    t.report("readdb", Stamp.of("users", Version.of(5)));
    Tidemark tm =
        Tidemark.builder()
            .frontier(FrontierSource.inProcess(t, Stamp::empty, Set::of))
            .source(SOURCE)
            .store("readdb", db)
            .collection("ads", "readdb")
            .build();
    assertThatThrownBy(() -> tm.snapshot().get("ads", "1"))
        .isInstanceOf(SnapshotNotReadyException.class)
        .hasMessageContaining("listings");
    assertThatThrownBy(() -> tm.snapshot(token(0x10)))
        .isInstanceOf(SnapshotNotReadyException.class);
  }

  @Test
  void builderRejectsInconsistentCollections() {
    FrontierSource f = FrontierSource.inProcess(tracker, Stamp::empty, Set::of);
    assertThatThrownBy(
            () ->
                Tidemark.builder()
                    .frontier(f)
                    .source(SOURCE)
                    .store("cache", cache)
                    .collection("ads", "cache", "nope")
                    .build())
        .hasMessageContaining("unknown store 'nope'");
    assertThatThrownBy(
            () ->
                Tidemark.builder()
                    .frontier(f)
                    .source(SOURCE)
                    .store("cache", cache)
                    .collection("ads", "cache")
                    .build())
        .hasMessageContaining("only in caches");
    assertThatThrownBy(
            () ->
                Tidemark.builder()
                    .frontier(f)
                    .store("readdb", db)
                    .collection("ads", "readdb")
                    .build())
        .hasMessageContaining("has no source");
    assertThatThrownBy(() -> Tidemark.builder().build()).hasMessageContaining("frontier");
    assertThatThrownBy(() -> Tidemark.builder().store("readdb", db).store("readdb", db))
        .hasMessageContaining("twice");
  }

  @Test
  void snapshotAtLeastAsyncCompletesWhenTheFrontierMovesWithoutAThread() throws Exception {
    frontierAt(0x100);
    CompletableFuture<Snapshot> now = tidemark.snapshotAtLeastAsync(token(0x80), Duration.ZERO);
    assertThat(now.get(1, TimeUnit.SECONDS).token()).isEqualTo(token(0x100));
    CompletableFuture<Snapshot> later =
        tidemark.snapshotAtLeastAsync(token(0x150), Duration.ofSeconds(30));
    assertThat(later).isNotDone();
    assertThat(tracker.waiting()).isEqualTo(1);
    frontierAt(0x151);
    assertThat(later.get(10, TimeUnit.SECONDS).token()).isEqualTo(token(0x151));
    awaitNoWaiters();
  }

  @Test
  void snapshotAtLeastAsyncRunsOutWithNotReadyAndForgetsTheWaiter() throws Exception {
    frontierAt(0x100);
    CompletableFuture<Snapshot> late =
        tidemark.snapshotAtLeastAsync(token(0x150), Duration.ofMillis(30));
    assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(SnapshotNotReadyException.class);
    awaitNoWaiters();
    assertThat(tidemark.snapshotAtLeastAsync("tm1:bad", Duration.ZERO)).isCompletedExceptionally();
  }

  /** The tracker forgets a waiter right after completing it, on the completing thread. */
  private void awaitNoWaiters() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (tracker.waiting() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(tracker.waiting()).isZero();
  }
}
