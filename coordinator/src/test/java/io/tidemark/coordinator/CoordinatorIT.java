package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.StoreReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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

  @Test
  void rowsReachEveryStoreAndTheFrontierNeverCoversAnUnappliedTransaction() throws Exception {
    try (EndToEnd e2e = new EndToEnd(Devstack.shared(), stateDir);
        Connection writer = e2e.connect()) {
      Random random = new Random(42);
      Map<Long, EndToEnd.Row> initial = new HashMap<>();
      for (long id = 1; id <= 20; id++) {
        initial.put(id, new EndToEnd.Row("first ad " + id, (int) id * 100));
      }
      e2e.commit(writer, 0, initial); // existing rows: copied by the initial snapshot

      List<String> mismatches = new CopyOnWriteArrayList<>();
      AtomicLong checks = new AtomicLong();
      AtomicBoolean writing = new AtomicBoolean(true);
      List<Stamp> frontiers = new CopyOnWriteArrayList<>();
      try (Coordinator coordinator = Coordinator.start(e2e.config(""))) {
        Thread checker =
            new Thread(
                () -> {
                  Random r = new Random(7);
                  while (writing.get()) {
                    Stamp frontier = coordinator.frontier();
                    Optional<Version> at = frontier.get("listings");
                    if (at.isEmpty()) {
                      continue;
                    }
                    frontiers.add(frontier);
                    for (int i = 0; i < 10; i++) {
                      long id = 1 + r.nextInt(60);
                      var expected = e2e.expectedAt(id, at.get());
                      if (expected == null) {
                        continue; // committed within its LSN bracket around the frontier
                      }
                      for (var store : e2e.readers.entrySet()) {
                        StoreReader reader = store.getValue();
                        String problem =
                            EndToEnd.mismatch(
                                store.getKey() + "@" + at.get(),
                                reader.get(e2e.collection, Long.toString(id), at.get()),
                                id,
                                expected,
                                !reader.authoritative());
                        if (problem != null) {
                          mismatches.add(problem);
                        }
                        checks.incrementAndGet();
                      }
                    }
                  }
                },
                "checker");
        checker.start();

        Version last = Version.ZERO;
        for (long seq = 1; seq <= 400; seq++) {
          Map<Long, EndToEnd.Row> rows = new HashMap<>();
          int touched = 1 + random.nextInt(3);
          for (int i = 0; i < touched; i++) {
            long id = 1 + random.nextInt(60);
            rows.put(
                id,
                random.nextInt(8) == 0
                    ? new EndToEnd.Row(null, null)
                    : new EndToEnd.Row("ad " + id + " v" + seq, random.nextInt(100_000)));
          }
          last = e2e.commit(writer, seq, rows).upper();
        }
        Version lastCommit = last;
        await(
            () ->
                coordinator
                    .frontier()
                    .get("listings")
                    .map(v -> !v.isBefore(lastCommit))
                    .orElse(false),
            Duration.ofSeconds(60),
            "the frontier covers the last commit " + lastCommit);
        writing.set(false);
        checker.join();

        assertThat(mismatches).as("snapshot reads at published frontiers").isEmpty();
        assertThat(checks.get()).as("reads checked during the run").isGreaterThan(100);
        for (int i = 1; i < frontiers.size(); i++) {
          assertThat(frontiers.get(i).covers(frontiers.get(i - 1)))
              .as("frontier never moves back: %s then %s", frontiers.get(i - 1), frontiers.get(i))
              .isTrue();
        }

        // Every store equals the source at the final frontier, and the latest reads agree.
        Version at = coordinator.frontier().get("listings").orElseThrow();
        Map<Long, EndToEnd.Row> source = e2e.sourceRows();
        List<String> finalMismatches = new ArrayList<>();
        for (long id = 1; id <= 60; id++) {
          Optional<EndToEnd.Row> expected = Optional.ofNullable(source.get(id));
          for (var store : e2e.readers.entrySet()) {
            boolean cache = !store.getValue().authoritative();
            String atProblem =
                EndToEnd.mismatch(
                    store.getKey(),
                    store.getValue().get(e2e.collection, Long.toString(id), at),
                    id,
                    expected,
                    cache);
            String latestProblem =
                EndToEnd.mismatch(
                    store.getKey() + " latest",
                    store.getValue().latest(e2e.collection, Long.toString(id)),
                    id,
                    expected,
                    cache);
            if (atProblem != null) {
              finalMismatches.add(atProblem);
            }
            if (latestProblem != null) {
              finalMismatches.add(latestProblem);
            }
          }
        }
        assertThat(finalMismatches).isEmpty();
        assertThat(coordinator.healthy()).as(coordinator.sourceError()).isTrue();
        assertThat(coordinator.stores().keySet())
            .containsExactlyInAnyOrder("search", "cache", "memo", "readdb");
        assertThat(coordinator.scrapeMetrics())
            .contains("tidemark_lane_epochs_total{store=\"search\"}");
      }
    }
  }
}
