package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.ReadFrom;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-projection and {@code tidemark migrate switch} during continuous snapshot reads: a changed
 * projection is backfilled into a new Elasticsearch index and the collection into a new
 * read-database schema, both attached and verified, then readers are switched (alias swap, view)
 * while reader threads keep reading through the old names at snapshots. Every read is checked
 * against the source's history at its snapshot: never a missing row, a stale or future value, or a
 * mix of the two indices' projections going back after the switch.
 */
class SwitchIT {

  @TempDir Path stateDir;

  @Test
  void readersSwitchToARebuiltIndexAndSchemaWithoutAWrongRead() throws Exception {
    int keys = 10_000;
    try (Deployment d = new Deployment(stateDir)) {
      d.stores.put("search", d.elasticsearch(""));
      d.stores.put("readdb", d.postgres(""));
      d.stores.put("search2", d.elasticsearch("b") + ", migration: pending");
      d.stores.put("readdb2", d.postgres("2") + ", migration: pending");
      d.projections.put("search", "{fields: {id: id, title: title}}");
      d.projections.put("readdb", "{}");
      // The re-projection: the new index also holds the category.
      d.projections.put("search2", "{fields: {id: id, title: title, category: category}}");
      d.projections.put("readdb2", "{}");
      d.extra = "retention: 3s\n";
      d.fill(keys);

      AtomicReference<Coordinator> main = new AtomicReference<>(Coordinator.start(d.config()));
      FrontierSource frontier = new FollowingFrontier(main);
      var pg = d.stack.postgres();
      try (Deployment.Writer writer = d.new Writer(keys, 20, 5);
          Tidemark tidemark =
              Tidemark.builder()
                  .frontier(frontier)
                  .source("listings")
                  .store(
                      ElasticsearchStoreConfig.of(d.stack.elasticsearch().httpUrl())
                          .withIndexPrefix("m" + d.suffix + "-")
                          .withStoreName("search"))
                  .store(
                      PostgresStoreConfig.of(pg.jdbcUrl(), pg.user(), pg.password())
                          .withSchema("mread_" + d.suffix)
                          .withStoreName("readdb"))
                  .collection(d.collection, "search", "readdb")
                  .build()) {
        Deployment.await(
            () -> !main.get().frontier().isEmpty(), Duration.ofSeconds(90), "a frontier");

        for (String store : List.of("search2", "readdb2")) {
          new Backfiller(
                  d.config(),
                  new Backfiller.Options(store, 0, false, Duration.ofSeconds(5)),
                  System.out::println)
              .run();
        }
        restart(main, d, "attached", true);
        Deployment.awaitCovers(() -> main.get().frontier(), d.currentLsn(), Duration.ofSeconds(90));

        Deployment.Run verify =
            Deployment.run(
                new VerifyCommand(),
                "--config",
                d.configFile().toString(),
                "--store",
                "search2",
                "--store",
                "readdb2",
                "--rounds",
                "20");
        System.out.println("verify of the new stores before the switch:\n" + verify.out());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();

        Readers readers = new Readers(tidemark, writer, d.collection, keys);
        readers.start(2);
        try {
          readers.awaitReads(200);
          long before = readers.reads.get();
          for (String[] move : new String[][] {{"search", "search2"}, {"readdb", "readdb2"}}) {
            Deployment.Run run = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // Refused (exit 2) until the horizon has passed the backfill's snapshot.
            while (System.nanoTime() < deadline) {
              run =
                  Deployment.run(
                      new MigrateCommand(),
                      "switch",
                      "--config",
                      d.configFile().toString(),
                      "--from",
                      move[0],
                      "--to",
                      move[1]);
              if (run.exit() == 0 || !run.err().contains("horizon")) {
                break;
              }
              Thread.sleep(200);
            }
            System.out.println(
                "switch " + move[0] + " -> " + move[1] + ":\n" + run.out() + run.err());
            assertThat(run.exit()).as(run.err()).isZero();
            if (move[0].equals("search")) {
              readers.aliasSwappedAt = System.nanoTime();
            }
          }
          readers.awaitReads(readers.reads.get() + 200);
          // The old stores' lanes now refuse to write under the old names and hold the frontier;
          // the coordinator restarts without them.
          d.stores.remove("search");
          d.stores.remove("readdb");
          d.projections.remove("search");
          d.projections.remove("readdb");
          restart(main, d, "none", false);
          Deployment.awaitCovers(
              () -> main.get().frontier(), d.currentLsn(), Duration.ofSeconds(90));
          readers.awaitReads(readers.reads.get() + 200);
          System.out.printf(
              "reads: %d (%d before the switch), errors %d, checked %d, new projection seen %d%n",
              readers.reads.get(),
              before,
              readers.errors.get(),
              readers.checked.get(),
              readers.newShape.get());
        } finally {
          readers.stop();
        }
        assertThat(readers.wrong)
            .as("reads that did not match the source at their snapshot")
            .isEmpty();
        assertThat(readers.checked.get()).isGreaterThan(500);
        assertThat(readers.newShape.get()).as("reads answered by the new index").isPositive();
        assertThat(readers.errors.get())
            .as("reads that failed (not wrong) around the switch")
            .isLessThanOrEqualTo(readers.reads.get() / 100);
        assertThat(writer.commits.get()).isPositive();
      } finally {
        main.get().close();
      }
      // The final configuration: the new stores are the collection's stores.
      Coordinator last = Coordinator.start(d.config());
      try {
        Deployment.Run verify =
            Deployment.run(new VerifyCommand(), "--config", d.configFile().toString());
        System.out.println("verify after the switch:\n" + verify.out());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
      } finally {
        last.close();
      }
    }
  }

  private static void restart(
      AtomicReference<Coordinator> main, Deployment d, String migration, boolean targets)
      throws Exception {
    if (targets) {
      d.stores.put("search2", d.elasticsearch("b") + ", migration: " + migration);
      d.stores.put("readdb2", d.postgres("2") + ", migration: " + migration);
    } else {
      d.stores.put("search2", d.elasticsearch("b"));
      d.stores.put("readdb2", d.postgres("2"));
    }
    var config = d.config();
    main.get().close();
    main.set(Coordinator.start(config));
  }

  /** The frontier of whichever coordinator runs now; the last one seen while it restarts. */
  private static final class FollowingFrontier implements FrontierSource {
    private final AtomicReference<Coordinator> main;
    private volatile Stamp last = Stamp.empty();

    FollowingFrontier(AtomicReference<Coordinator> main) {
      this.main = main;
    }

    @Override
    public Stamp frontier() {
      Stamp now = main.get().frontier();
      if (!now.isEmpty() && !now.equals(last)) {
        last = last.isEmpty() ? now : last.join(now);
      }
      return last;
    }

    @Override
    public Stamp horizon() {
      return main.get().horizon();
    }

    @Override
    public Optional<Stamp> awaitCovering(Stamp target, Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (frontier().covers(target)) {
          return Optional.of(frontier());
        }
        Thread.sleep(5);
      }
      return Optional.empty();
    }
  }

  /** Reader threads: a snapshot, a key read from the search index and the read database. */
  private static final class Readers {
    final Tidemark tidemark;
    final Deployment.Writer writer;
    final String collection;
    final int keys;
    final AtomicBoolean running = new AtomicBoolean(true);
    volatile long aliasSwappedAt = Long.MAX_VALUE;
    final AtomicLong reads = new AtomicLong();
    final AtomicLong checked = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong newShape = new AtomicLong();
    final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new java.util.ArrayList<>();

    Readers(Tidemark tidemark, Deployment.Writer writer, String collection, int keys) {
      this.tidemark = tidemark;
      this.writer = writer;
      this.collection = collection;
      this.keys = keys;
    }

    void start(int n) {
      for (int i = 0; i < n; i++) {
        long seed = i;
        Thread t = new Thread(() -> loop(new Random(seed)), "reader-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    private void loop(Random random) {
      while (running.get()) {
        // Half the reads go to keys the writer changes now and then, half to recent ones.
        long id = 1 + random.nextInt(keys);
        try {
          Snapshot s = tidemark.snapshot();
          Version at = s.stamp().get("listings").orElseThrow();
          long issued = System.nanoTime();
          Lookup search =
              s.lookup(collection, Long.toString(id), ReadFrom.SEARCH, ConsistencyLevel.SNAPSHOT);
          Lookup db =
              s.lookup(collection, Long.toString(id), ReadFrom.DB, ConsistencyLevel.SNAPSHOT);
          reads.incrementAndGet();
          Optional<Deployment.Row> expected = writer.expectedAt(id, at);
          if (expected == null) {
            continue; // a transaction on this key committed right around `at`
          }
          checked.incrementAndGet();
          check("search", id, at, search, expected);
          check("readdb", id, at, db, expected);
          if (search.document().map(doc -> doc.containsKey("category")).orElse(false)) {
            newShape.incrementAndGet();
          } else if (search.isFound() && issued > aliasSwappedAt) {
            // After the swap every answer comes from the new index: none goes back to the old.
            wrong.add(
                "search " + id + " at " + at + ": old projection after the switch: " + search);
          }
        } catch (RuntimeException e) {
          errors.incrementAndGet();
          if (errors.get() <= 5) {
            System.out.println("read failed: " + e);
          }
        }
      }
    }

    private void check(
        String store, long id, Version at, Lookup lookup, Optional<Deployment.Row> expected) {
      if (expected.isEmpty()) {
        if (lookup.isFound()) {
          wrong.add(
              store + " " + id + " at " + at + ": found " + lookup + ", absent in the source");
        }
        return;
      }
      Deployment.Row row = expected.get();
      if (!lookup.isFound()) {
        wrong.add(store + " " + id + " at " + at + ": missing; the source has " + row);
        return;
      }
      Map<String, Object> doc = lookup.document().orElseThrow();
      boolean same =
          row.title().equals(doc.get("title"))
              && (!doc.containsKey("category") || row.category().equals(doc.get("category")))
              && (!doc.containsKey("price_cents")
                  || row.price().equals(((Number) doc.get("price_cents")).intValue()));
      if (!same) {
        wrong.add(store + " " + id + " at " + at + ": " + doc + ", the source has " + row);
      }
    }

    void awaitReads(long n) throws InterruptedException {
      Deployment.await(() -> reads.get() >= n, Duration.ofSeconds(120), n + " reads");
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
  }
}
