package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.coordinator.Coordinator;
import io.tidemark.protocol.Version;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tidemark migrate backfill} on real stores while writers keep changing the rows: a new
 * read-database schema is built beside the running coordinator, attached, and then verified against
 * the source; and a backfill interrupted twice is resumed. (SwitchIT backfills a new Elasticsearch
 * index.)
 */
class BackfillIT {

  @TempDir Path stateDir;

  @Test
  void backfills100000RowsIntoANewSchemaUnderWritersThenVerifiesZeroDifferences() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.stores.put("readdb", d.postgres(""));
      d.stores.put("readdb2", d.postgres("2") + ", migration: pending");
      d.projections.put("readdb", "{}");
      d.projections.put("readdb2", "{}");
      d.fill(100_000);
      Path pendingConfig = d.configFile();
      Coordinator main = Coordinator.start(d.config());
      try (Deployment.Writer writer = d.new Writer(100_000, 100, 7)) {
        Coordinator first = main;
        Deployment.await(() -> !first.frontier().isEmpty(), Duration.ofSeconds(120), "a frontier");

        for (String store : new String[] {"readdb2"}) {
          long started = System.nanoTime();
          Deployment.Run backfill =
              Deployment.run(
                  new MigrateCommand(),
                  "backfill",
                  "--config",
                  pendingConfig.toString(),
                  "--store",
                  store,
                  "--progress",
                  "2s");
          System.out.printf(
              "backfill of %s took %.1f s:%n%s%n",
              store, (System.nanoTime() - started) / 1e9, backfill.err());
          assertThat(backfill.exit()).as(backfill.err()).isZero();
          assertThat(backfill.err())
              .contains("snapshot [")
              .contains("rows (100%)")
              .contains("caught up");
        }
        assertThat(writer.commits.get()).as("writers ran during the backfills").isPositive();

        // Attach: the coordinator restarts with both stores fed by it, replaying from a position
        // at or below their watermarks (it acknowledged no further while they were pending).
        main.close();
        d.stores.put("readdb2", d.postgres("2") + ", migration: attached");
        main = Coordinator.start(d.config());
        Version now = d.currentLsn();
        Coordinator attached = main;
        Deployment.awaitCovers(attached::frontier, now, Duration.ofSeconds(120));
      } finally {
        main.close();
      }
      // The writer has stopped; a fresh coordinator serves the frontier verify waits for.
      main = Coordinator.start(d.config());
      try {
        Path config = d.configFile();
        Deployment.Run verify = Deployment.run(new VerifyCommand(), "--config", config.toString());
        System.out.println("verify after the backfills:\n" + verify.out());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("zero differences");
        assertThat(verify.out().lines().filter(l -> l.contains(" keys compared, ")))
            .hasSize(2)
            .allSatisfy(l -> assertThat(l).contains("0 missing, 0 extra, 0 different"));
      } finally {
        main.close();
      }
    }
  }

  @Test
  void aBackfillInterruptedInItsSnapshotAndAgainWhileCatchingUpEndsWithZeroDifferences()
      throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.stores.put("readdb", d.postgres(""));
      d.stores.put("readdb2", d.postgres("2") + ", migration: pending");
      d.projections.put("readdb", "{}");
      d.projections.put("readdb2", "{}");
      // Small lane queues: an interrupted pipeline finishes only the chunks already queued.
      d.lanes = "{retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms, queueEpochs: 2}";
      d.fill(30_000);
      var pending = d.config();
      String target = "mread2_" + d.suffix + ".tm_" + d.collection;
      Coordinator main = Coordinator.start(pending);
      try (Deployment.Writer writer = d.new Writer(30_000, 100, 3)) {
        Deployment.await(() -> !main.frontier().isEmpty(), Duration.ofSeconds(90), "a frontier");

        // 1. Interrupted half-way through its snapshot (throttled to 10,000 rows/s).
        Thread first = backfillInBackground(pending, 10_000, false);
        Deployment.await(() -> rows(d, target) >= 10_000, Duration.ofSeconds(60), "10,000 rows");
        first.interrupt();
        first.join(30_000);
        // Its snapshot was not acknowledged: no snapshot version, no committed offsets. (Closing
        // lets the lane finish the chunks already queued, so the copy may hold most rows.)
        assertThat(Backfiller.snapshotVersion(pending, "readdb2")).isEmpty();
        Path offsets =
            Backfiller.stateDir(pending, "readdb2").resolve("listings").resolve("offsets.dat");
        assertThat(!Files.exists(offsets) || Files.size(offsets) == 0)
            .as("the first run's snapshot was not acknowledged")
            .isTrue();
        assertThat(rows(d, target)).isGreaterThanOrEqualTo(10_000L);

        // 2. Run again: it starts over (clears the partial copy) and this time is interrupted
        // while streaming, after its snapshot (--follow: it would not stop on its own).
        Thread second = backfillInBackground(pending, 0, true);
        Deployment.await(
            () -> Backfiller.snapshotVersion(pending, "readdb2").isPresent(),
            Duration.ofSeconds(60),
            "the second snapshot is complete");
        Version firstSnapshot = Backfiller.snapshotVersion(pending, "readdb2").orElseThrow();
        second.interrupt();
        second.join(30_000);
        assertThat(Files.exists(Backfiller.stateDir(pending, "readdb2"))).isTrue();

        // 3. Resumes from its committed position and catches up.
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        new Backfiller(
                pending,
                new Backfiller.Options("readdb2", 0, false, Duration.ofSeconds(1)),
                new PrintStream(progress, true, StandardCharsets.UTF_8)::println)
            .run();
        String log = progress.toString(StandardCharsets.UTF_8);
        System.out.println(log);
        assertThat(log).contains("resuming").contains("caught up");
        assertThat(Backfiller.snapshotVersion(pending, "readdb2")).contains(firstSnapshot);
        assertThat(writer.commits.get()).isPositive();
      } finally {
        main.close();
      }
      d.stores.put("readdb2", d.postgres("2") + ", migration: attached");
      Coordinator attached = Coordinator.start(d.config());
      try {
        Deployment.Run verify =
            Deployment.run(new VerifyCommand(), "--config", d.configFile().toString());
        System.out.println("verify after the resumed backfill:\n" + verify.out());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("zero differences");
      } finally {
        attached.close();
      }
    }
  }

  private Thread backfillInBackground(
      io.tidemark.coordinator.TidemarkConfig config, long rate, boolean follow) {
    Thread thread =
        new Thread(
            () -> {
              try {
                new Backfiller(
                        config,
                        new Backfiller.Options("readdb2", rate, follow, Duration.ofSeconds(1)),
                        System.out::println)
                    .run();
              } catch (InterruptedException e) {
                // expected: the test interrupts it
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "backfill");
    thread.start();
    return thread;
  }

  private static long rows(Deployment d, String table) {
    try (Connection c = d.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      return 0; // not created yet
    }
  }
}
