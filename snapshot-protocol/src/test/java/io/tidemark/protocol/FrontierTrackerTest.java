package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class FrontierTrackerTest {

  private static Stamp s(Object... sourceVersionPairs) {
    Stamp stamp = Stamp.empty();
    for (int i = 0; i < sourceVersionPairs.length; i += 2) {
      stamp =
          stamp.with(
              (String) sourceVersionPairs[i], Version.of((Integer) sourceVersionPairs[i + 1]));
    }
    return stamp;
  }

  @Test
  void aFrontierIsPersistedBeforeAnyoneCanReadIt() {
    List<Stamp> persisted = new CopyOnWriteArrayList<>();
    AtomicReference<FrontierTracker> self = new AtomicReference<>();
    FrontierTracker tracker =
        new FrontierTracker(
            List.of("search"),
            Stamp.empty(),
            frontier -> {
              assertThat(self.get().frontier()).as("not yet published").isNotEqualTo(frontier);
              persisted.add(frontier);
            });
    self.set(tracker);
    tracker.report("search", s("a", 5));
    assertThat(persisted).containsExactly(s("a", 5));
    assertThat(tracker.frontier()).isEqualTo(s("a", 5));
  }

  @Test
  void aFrontierThatCannotBePersistedIsNotPublished() {
    FrontierTracker tracker =
        new FrontierTracker(
            List.of("search"),
            Stamp.empty(),
            frontier -> {
              throw new IllegalStateException("disk full");
            });
    assertThatThrownBy(() -> tracker.report("search", s("a", 5))).hasMessage("disk full");
    assertThat(tracker.frontier()).isEqualTo(Stamp.empty());
  }

  @Test
  void theFrontierIsTheMeetOfTheStoresWatermarks() {
    FrontierTracker tracker = new FrontierTracker(List.of("search", "cache", "readdb"));
    assertThat(tracker.frontier()).isEqualTo(Stamp.empty());
    assertThat(tracker.report("search", s("a", 5, "b", 3))).isFalse();
    assertThat(tracker.report("cache", s("a", 4, "b", 9))).isFalse();
    assertThat(tracker.frontier()).as("readdb has not reported").isEqualTo(Stamp.empty());
    assertThat(tracker.report("readdb", s("a", 7, "b", 8, "c", 1))).isTrue();
    assertThat(tracker.frontier()).isEqualTo(s("a", 4, "b", 3));
    assertThat(tracker.report("search", s("a", 6, "b", 10))).isTrue();
    assertThat(tracker.frontier()).isEqualTo(s("a", 4, "b", 8));
    assertThat(tracker.watermarks())
        .containsExactly(
            Map.entry("cache", s("a", 4, "b", 9)),
            Map.entry("readdb", s("a", 7, "b", 8, "c", 1)),
            Map.entry("search", s("a", 6, "b", 10)));
  }

  @Test
  void aLowerReportAfterARestartDoesNotLowerThePublishedFrontier() {
    FrontierTracker tracker = new FrontierTracker(List.of("search", "cache"));
    tracker.report("search", s("a", 10));
    tracker.report("cache", s("a", 10));
    assertThat(tracker.frontier()).isEqualTo(s("a", 10));

    assertThat(tracker.report("cache", s("a", 3))).as("cache restarted behind").isFalse();
    assertThat(tracker.frontier()).isEqualTo(s("a", 10));
    assertThat(tracker.report("cache", Stamp.empty())).isFalse();
    assertThat(tracker.frontier()).isEqualTo(s("a", 10));
    assertThat(tracker.watermarks().get("cache")).isEqualTo(Stamp.empty());

    // the lagging store holds the frontier until it passes the published one
    tracker.report("search", s("a", 20));
    tracker.report("cache", s("a", 9));
    assertThat(tracker.frontier()).isEqualTo(s("a", 10));
    assertThat(tracker.report("cache", s("a", 12))).isTrue();
    assertThat(tracker.frontier()).isEqualTo(s("a", 12));
  }

  @Test
  void eachSourceMovesOnItsOwn() {
    FrontierTracker tracker = new FrontierTracker(List.of("x", "y"));
    tracker.report("x", s("a", 5, "b", 5));
    tracker.report("y", s("a", 5, "b", 5));
    tracker.report("y", s("a", 7, "b", 2)); // b went back in y, a moved on
    tracker.report("x", s("a", 8, "b", 6));
    assertThat(tracker.frontier()).isEqualTo(s("a", 7, "b", 5));
  }

  @Test
  void aSeededTrackerNeverPublishesBelowTheSeed() {
    FrontierTracker tracker = new FrontierTracker(List.of("x", "y"), s("a", 100, "b", 50));
    assertThat(tracker.frontier()).isEqualTo(s("a", 100, "b", 50));
    tracker.report("x", s("a", 90, "b", 60));
    assertThat(tracker.report("y", s("a", 95, "b", 70))).isTrue();
    assertThat(tracker.frontier()).isEqualTo(s("a", 100, "b", 60));
    tracker.report("x", s("a", 120, "b", 60));
    tracker.report("y", s("a", 110, "b", 70));
    assertThat(tracker.frontier()).isEqualTo(s("a", 110, "b", 60));
  }

  @Test
  void detachingAStuckStoreLetsTheFrontierMoveAndIgnoresItsLaterReports() {
    FrontierTracker tracker = new FrontierTracker(List.of("search", "cache"));
    tracker.report("search", s("a", 50));
    tracker.report("cache", s("a", 5));
    assertThat(tracker.frontier()).isEqualTo(s("a", 5));

    assertThat(tracker.detach("cache")).isTrue();
    assertThat(tracker.frontier()).isEqualTo(s("a", 50));
    assertThat(tracker.stores()).containsExactly("search");
    assertThat(tracker.report("cache", s("a", 6))).as("a late report of its lane").isFalse();
    assertThat(tracker.watermarks()).containsOnlyKeys("search");
    assertThat(tracker.detach("cache")).isFalse();

    assertThat(tracker.attach("cache")).isTrue();
    assertThat(tracker.attach("cache")).isFalse();
    tracker.report("search", s("a", 60));
    assertThat(tracker.frontier()).as("cache holds it until it reports").isEqualTo(s("a", 50));
    tracker.report("cache", s("a", 55));
    assertThat(tracker.frontier()).isEqualTo(s("a", 55));
  }

  @Test
  void withEveryStoreDetachedTheFrontierStaysWhereItWas() {
    FrontierTracker tracker = new FrontierTracker(List.of("only"));
    tracker.report("only", s("a", 5));
    tracker.detach("only");
    assertThat(tracker.frontier()).isEqualTo(s("a", 5));
    assertThat(tracker.stores()).isEmpty();
  }

  @Test
  void refusesUnknownAndDuplicateStoresNamingThem() {
    FrontierTracker tracker = new FrontierTracker(List.of("search", "cache"));
    assertThatThrownBy(() -> tracker.report("readdb", s("a", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'readdb'")
        .hasMessageContaining("[search, cache]");
    assertThatThrownBy(() -> new FrontierTracker(List.of("a", "b", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a' is named twice");
    assertThatThrownBy(() -> new FrontierTracker(List.of(" ")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void listenersHearEveryMoveInOrderAndAFailingOneHurtsNoOne() {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    List<Stamp> heard = new ArrayList<>();
    tracker.addListener(
        frontier -> {
          throw new IllegalStateException("a broken listener");
        });
    tracker.addListener(heard::add);
    tracker.report("x", s("a", 1));
    tracker.report("x", s("a", 1)); // no move
    tracker.report("x", s("a", 0)); // lower: no move
    tracker.report("x", s("a", 2));
    assertThat(heard).containsExactly(s("a", 1), s("a", 2));
    assertThat(tracker.removeListener(heard::add)).as("a different lambda instance").isFalse();
  }

  @Test
  void aListenerThatReportsStillHearsMovesInOrder() {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    List<Stamp> heard = new ArrayList<>();
    tracker.addListener(
        frontier -> {
          Version a = frontier.get("a").orElseThrow();
          if (a.asLong() < 5) {
            tracker.report("x", s("a", (int) a.asLong() + 1)); // re-enters report
          }
        });
    tracker.addListener(heard::add);
    tracker.report("x", s("a", 1));
    assertThat(tracker.frontier()).isEqualTo(s("a", 5));
    assertThat(heard).containsExactly(s("a", 1), s("a", 2), s("a", 3), s("a", 4), s("a", 5));
  }

  @Test
  void removedListenersHearNothingMore() {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    List<Stamp> heard = new ArrayList<>();
    java.util.function.Consumer<Stamp> listener = heard::add;
    tracker.addListener(listener);
    tracker.report("x", s("a", 1));
    assertThat(tracker.removeListener(listener)).isTrue();
    tracker.report("x", s("a", 2));
    assertThat(heard).containsExactly(s("a", 1));
  }

  @Test
  void whenCoversCompletesOnceTheFrontierCoversTheTarget() {
    FrontierTracker tracker = new FrontierTracker(List.of("x", "y"));
    CompletableFuture<Stamp> future = tracker.whenCovers(s("a", 5));
    assertThat(future).isNotDone();
    assertThat(tracker.waiting()).isEqualTo(1);
    tracker.report("x", s("a", 9));
    tracker.report("y", s("a", 4));
    assertThat(future).isNotDone();
    tracker.report("y", s("a", 6));
    assertThat(future).isCompletedWithValue(s("a", 6));
    assertThat(tracker.waiting()).isZero();
    assertThat(tracker.whenCovers(s("a", 6))).isCompletedWithValue(s("a", 6));
    assertThat(tracker.whenCovers(Stamp.empty())).isCompleted();
  }

  @Test
  void aCancelledWaiterIsForgotten() {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    CompletableFuture<Stamp> future = tracker.whenCovers(s("a", 5));
    future.cancel(false);
    assertThat(tracker.waiting()).isZero();
    tracker.report("x", s("a", 5));
    assertThat(future).isCancelled();
  }

  @Test
  void awaitCoveringTimesOutEmptyAndForgetsTheWaiter() throws InterruptedException {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    tracker.report("x", s("a", 1));
    assertThat(tracker.awaitCovering(s("a", 2), Duration.ofMillis(20))).isEmpty();
    assertThat(tracker.awaitCovering(s("a", 2), Duration.ZERO)).isEmpty();
    assertThat(tracker.awaitCovering(s("a", 2), Duration.ofMillis(-5))).isEmpty();
    assertThat(tracker.waiting()).isZero();
    assertThat(tracker.awaitCovering(s("a", 1), Duration.ZERO)).contains(s("a", 1));
  }

  @Test
  void awaitCoveringWakesWhenAnotherThreadMovesTheFrontier() throws Exception {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    AtomicReference<Object> result = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                result.set(tracker.awaitCovering(s("a", 3), Duration.ofMinutes(1)));
              } catch (InterruptedException e) {
                result.set(e);
              }
            });
    reader.start();
    awaitTrue(() -> tracker.waiting() == 1, "the reader is waiting");
    tracker.report("x", s("a", 2));
    tracker.report("x", s("a", 4));
    reader.join(Duration.ofSeconds(30).toMillis());
    assertThat(reader.isAlive()).isFalse();
    assertThat(result.get()).isEqualTo(java.util.Optional.of(s("a", 4)));
  }

  @Test
  void awaitCoveringAnswersAnInterrupt() throws Exception {
    FrontierTracker tracker = new FrontierTracker(List.of("x"));
    AtomicReference<Object> result = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                result.set(tracker.awaitCovering(s("a", 3), Duration.ofMinutes(1)));
              } catch (InterruptedException e) {
                result.set(e);
              }
            });
    reader.start();
    awaitTrue(() -> tracker.waiting() == 1, "the reader is waiting");
    reader.interrupt();
    reader.join(Duration.ofSeconds(30).toMillis());
    assertThat(result.get()).isInstanceOf(InterruptedException.class);
    assertThat(tracker.waiting()).isZero();
  }

  /**
   * Many threads report rising watermarks with random drops (restarts), two threads per store so
   * even one store's reports interleave arbitrarily, while a watcher reads the frontier without
   * pause and a listener and waiters check what they are told. Nothing may ever go back.
   */
  @Test
  void manyThreadsNeverMakeThePublishedFrontierGoBack() throws Exception {
    List<String> stores = List.of("search", "cache", "memcache", "readdb");
    String[] sources = {"listings", "users", "orders"};
    int threadsPerStore = 2;
    int reportsPerThread = 20_000;
    FrontierTracker tracker = new FrontierTracker(stores, s("users", 3));

    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Stamp> lastHeard = new AtomicReference<>(Stamp.empty());
    CopyOnWriteArrayList<Stamp> heardSample = new CopyOnWriteArrayList<>();
    tracker.addListener(
        frontier -> {
          Stamp before = lastHeard.getAndSet(frontier);
          if (!frontier.covers(before)) {
            violations.add("listener heard " + frontier + " after " + before);
          }
          if (heardSample.size() < 1000) {
            heardSample.add(frontier);
          }
        });

    // the highest version each store ever reported per source: the frontier may not pass the
    // lowest of these (it must not invent progress)
    long[][][] maxReported = new long[stores.size()][threadsPerStore][sources.length];
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> reporters = new ArrayList<>();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (int st = 0; st < stores.size(); st++) {
      for (int t = 0; t < threadsPerStore; t++) {
        int store = st;
        int thread = t;
        long seed = 31L * st + t;
        reporters.add(
            new Thread(
                () -> {
                  java.util.Random random = new java.util.Random(seed);
                  long[] position = new long[sources.length];
                  try {
                    start.await();
                    for (int i = 0; i < reportsPerThread; i++) {
                      Stamp watermark = Stamp.empty();
                      for (int k = 0; k < sources.length; k++) {
                        position[k] =
                            random.nextInt(200) == 0
                                ? Math.max(0, position[k] - random.nextInt(200)) // a restart
                                : position[k] + random.nextInt(4);
                        maxReported[store][thread][k] =
                            Math.max(maxReported[store][thread][k], position[k]);
                        if (random.nextInt(100) != 0) { // now and then a source is missing
                          watermark = watermark.with(sources[k], Version.of(position[k]));
                        }
                      }
                      tracker.report(stores.get(store), watermark);
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                },
                "reporter-" + stores.get(st) + "-" + t));
      }
    }

    List<CompletableFuture<Stamp>> waits = new ArrayList<>();
    for (int v = 0; v < 2000; v += 97) {
      waits.add(tracker.whenCovers(s("listings", v, "orders", v / 2)));
    }

    Thread watcher =
        new Thread(
            () -> {
              Stamp previous = tracker.frontier();
              while (!Thread.currentThread().isInterrupted()) {
                Stamp now = tracker.frontier();
                if (!now.covers(previous)) {
                  violations.add("frontier() went from " + previous + " to " + now);
                }
                previous = now;
              }
            },
            "watcher");

    watcher.start();
    reporters.forEach(Thread::start);
    start.countDown();
    for (Thread reporter : reporters) {
      reporter.join(Duration.ofMinutes(2).toMillis());
      assertThat(reporter.isAlive()).as("%s finished", reporter.getName()).isFalse();
    }
    watcher.interrupt();
    watcher.join(Duration.ofSeconds(30).toMillis());

    assertThat(failures).isEmpty();
    assertThat(violations).isEmpty();

    Stamp frontier = tracker.frontier();
    // every report() has returned, so the last announcement has been made
    assertThat(lastHeard.get()).isEqualTo(frontier);
    assertThat(frontier.get("users").orElseThrow().asLong()).isGreaterThanOrEqualTo(3);
    for (int k = 0; k < sources.length; k++) {
      long bound = Long.MAX_VALUE;
      for (int st = 0; st < stores.size(); st++) {
        long storeMax = 0;
        for (int t = 0; t < threadsPerStore; t++) {
          storeMax = Math.max(storeMax, maxReported[st][t][k]);
        }
        bound = Math.min(bound, storeMax);
      }
      long published = frontier.getOrElse(sources[k], Version.ZERO).asLong();
      assertThat(published)
          .as("%s is at most what every store reported at some point", sources[k])
          .isLessThanOrEqualTo(Math.max(bound, k == 1 ? 3 : 0));
    }
    // the run moves the frontier far: a test in which nothing moved would prove nothing
    assertThat(frontier.getOrElse("listings", Version.ZERO).asLong()).isGreaterThan(1000);
    assertThat(heardSample.size()).isGreaterThan(10);

    for (int i = 0; i < waits.size(); i++) {
      Stamp target = s("listings", i * 97, "orders", i * 97 / 2);
      boolean covered = frontier.covers(target);
      assertThat(waits.get(i).isDone())
          .as("the waiter for %s is done exactly when the frontier covers it", target)
          .isEqualTo(covered);
      if (covered) {
        assertThat(waits.get(i).join().covers(target)).isTrue();
      }
    }
  }

  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(1); // polling a condition, with a deadline
    }
  }
}
