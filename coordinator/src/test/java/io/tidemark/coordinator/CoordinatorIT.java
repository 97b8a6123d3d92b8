package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Version;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine end to end: PostgreSQL → Debezium → epochs → four real stores → frontier. */
class CoordinatorIT {

  @TempDir Path stateDir;

  static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  /** Random upserts and deletes of 1-3 keys among {@code keys}. */
  static Map<Long, EndToEnd.Row> randomChange(Random random, long seq, int keys) {
    Map<Long, EndToEnd.Row> rows = new HashMap<>();
    for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
      long id = 1 + random.nextInt(keys);
      rows.put(
          id,
          random.nextInt(8) == 0
              ? new EndToEnd.Row(null, null)
              : new EndToEnd.Row("ad " + id + " v" + seq, random.nextInt(100_000)));
    }
    return rows;
  }

  static void awaitFrontierCovers(
      java.util.function.Supplier<io.tidemark.protocol.Stamp> frontier,
      Version version,
      Duration timeout)
      throws InterruptedException {
    await(
        () -> frontier.get().get("listings").map(v -> !v.isBefore(version)).orElse(false),
        timeout,
        "the frontier covers " + version);
  }

  @Test
  void rowsReachEveryStoreAndTheFrontierNeverCoversAnUnappliedTransaction() throws Exception {
    try (EndToEnd e2e = new EndToEnd(Devstack.shared(), stateDir);
        Connection writer = e2e.connect()) {
      Random random = new Random(42);
      Map<Long, EndToEnd.Row> initial = new HashMap<>();
      for (long id = 1; id <= 20; id++) {
        initial.put(id, new EndToEnd.Row("first ad " + id, (int) id * 100));
      }
      for (long id = 1000; id < 4000; id++) {
        initial.put(id, new EndToEnd.Row("old ad " + id, 1));
      }
      e2e.commit(writer, 0, initial); // existing rows: the initial snapshot, in several chunks

      try (Coordinator coordinator = Coordinator.start(e2e.config(""))) {
        EndToEnd.Checker checker = e2e.new Checker(coordinator::frontier, 60);
        await(() -> !coordinator.frontier().isEmpty(), Duration.ofSeconds(60), "a first frontier");
        // The first frontier already holds every existing row, in every store that answers.
        Version first = coordinator.frontier().get("listings").orElseThrow();
        for (String store : List.of("readdb", "cache")) {
          var reader = e2e.readers.get(store);
          for (long id = 1000; id < 4000; id++) {
            assertThat(
                    EndToEnd.mismatch(
                        store,
                        reader.get(e2e.collection, Long.toString(id), first),
                        id,
                        Optional.of(initial.get(id)),
                        !reader.authoritative()))
                .isNull();
          }
        }
        Version last = Version.ZERO;
        for (long seq = 1; seq <= 400; seq++) {
          last = e2e.commit(writer, seq, randomChange(random, seq, 60)).upper();
          Thread.sleep(5); // a steady stream, so that reads overlap many frontiers
        }
        awaitFrontierCovers(coordinator::frontier, last, Duration.ofSeconds(60));
        checker.close();

        System.out.println("end-to-end checker: " + checker);
        assertThat(checker.mismatches).as("snapshot reads at published frontiers").isEmpty();
        assertThat(checker.checks.get()).as("reads checked during the run").isGreaterThan(100);
        assertThat(checker.frontierMonotone()).as("frontiers " + checker.frontiers).isTrue();

        // Every store equals the source at the final frontier, and the latest reads agree.
        Version at = coordinator.frontier().get("listings").orElseThrow();
        assertThat(e2e.compareWithSource(at, 60)).isEmpty();
        Map<Long, EndToEnd.Row> source = e2e.sourceRows();
        List<String> latest = new ArrayList<>();
        for (long id = 1; id <= 60; id++) {
          for (var store : e2e.readers.entrySet()) {
            String problem =
                EndToEnd.mismatch(
                    store.getKey() + " latest",
                    store.getValue().latest(e2e.collection, Long.toString(id)),
                    id,
                    Optional.ofNullable(source.get(id)),
                    !store.getValue().authoritative());
            if (problem != null) {
              latest.add(problem);
            }
          }
        }
        assertThat(latest).isEmpty();
        assertThat(coordinator.healthy()).as(coordinator.sourceError()).isTrue();
        assertThat(coordinator.stores().keySet())
            .containsExactlyInAnyOrder("search", "cache", "memo", "readdb");
        assertThat(coordinator.scrapeMetrics())
            .contains("tidemark_lane_epochs_total{store=\"search\"}");
      }
    }
  }

  @Test
  void hotKeysCostFarFewerStoreWritesThanSourceChanges() throws Exception {
    try (EndToEnd e2e = new EndToEnd(Devstack.shared(), stateDir);
        Coordinator coordinator = Coordinator.start(e2e.config(""))) {
      await(() -> !coordinator.frontier().isEmpty(), Duration.ofSeconds(60), "a first frontier");
      int writers = 4;
      int perWriter = 500;
      java.util.concurrent.atomic.AtomicLong seqs = new java.util.concurrent.atomic.AtomicLong();
      List<Thread> threads = new ArrayList<>();
      java.util.concurrent.atomic.AtomicReference<Exception> failure =
          new java.util.concurrent.atomic.AtomicReference<>();
      for (int w = 0; w < writers; w++) {
        int seed = w;
        Thread t =
            new Thread(
                () -> {
                  Random random = new Random(seed);
                  try (Connection c = e2e.connect()) {
                    for (int i = 0; i < perWriter; i++) {
                      // 90% of updates hit 1% of the keys (10 of 1,000).
                      long id =
                          random.nextInt(10) < 9
                              ? 1 + random.nextInt(10)
                              : 11 + random.nextInt(990);
                      long seq = seqs.incrementAndGet();
                      e2e.commit(c, seq, Map.of(id, new EndToEnd.Row("hot " + seq, (int) seq)));
                    }
                  } catch (Exception e) {
                    failure.set(e);
                  }
                });
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(failure.get()).isNull();
      Version last;
      try (Connection c = e2e.connect()) {
        last = EndToEnd.walInsertLsn(c);
      }
      awaitFrontierCovers(coordinator::frontier, last, Duration.ofSeconds(60));
      Version at = coordinator.frontier().get("listings").orElseThrow();
      assertThat(e2e.compareWithSource(at, 10)).isEmpty();

      String metrics = coordinator.scrapeMetrics();
      double changes = counter(metrics, "tidemark_lane_source_changes_total", "readdb");
      double writes = counter(metrics, "tidemark_lane_writes_total", "readdb");
      System.out.printf(
          "hot keys: %.0f source changes became %.0f store writes per store (%.2f)%n",
          changes, writes, writes / changes);
      assertThat(changes).isGreaterThanOrEqualTo(writers * perWriter);
      assertThat(writes).as("store writes for %s source changes", changes).isLessThan(changes / 2);
    }
  }

  private static double counter(String metrics, String name, String store) {
    String prefix = name + "{store=\"" + store + "\"} ";
    return metrics
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(prefix + " not in the metrics:\n" + metrics));
  }
}
