package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 3 and 4 under crashes: the coordinator runs as its own process ({@code tidemark run})
 * and is killed (SIGKILL, no shutdown) at random moments under a steady write load, then started
 * again, 20 times. Afterwards every store equals the source, and the frontier a poller saw never
 * went backwards.
 */
class CoordinatorCrashIT {

  private static final int CRASHES = 20;

  @TempDir Path stateDir;

  @Test
  void killedAndRestartedTwentyTimesUnderLoadLosesNothing() throws Exception {
    try (EndToEnd e2e = new EndToEnd(Devstack.shared(), stateDir.resolve("state"));
        Connection writerConnection = e2e.connect()) {
      Path config = stateDir.resolve("tidemark.yaml");
      Files.writeString(config, e2e.yaml(""));
      Path frontierFile = e2e.stateDir.resolve("listings").resolve("frontier");
      FrontierFile frontiers = new FrontierFile(frontierFile);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Stamp> seen = new CopyOnWriteArrayList<>();
      Thread poller =
          new Thread(
              () -> {
                while (running.get()) {
                  Stamp f = frontiers.read();
                  if (!f.isEmpty() && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(f))) {
                    seen.add(f);
                  }
                  Thread.onSpinWait();
                }
              },
              "frontier-poller");
      Thread writer =
          new Thread(
              () -> {
                Random random = new Random(11);
                try {
                  for (long seq = 1; running.get(); seq++) {
                    var rows = CoordinatorIT.randomChange(random, seq, 200);
                    e2e.commit(writerConnection, seq, rows);
                    Thread.sleep(2); // a steady load, not a flood: the test is about crashes
                  }
                } catch (Exception e) {
                  failure.set(e);
                }
              },
              "writer");
      poller.start();
      writer.start();

      Random random = new Random(3);
      int runsThatMovedTheFrontier = 0;
      Process child = null;
      try {
        for (int crash = 0; crash < CRASHES; crash++) {
          child = startCoordinator(config, crash);
          Stamp before = frontiers.read();
          if (crash % 5 == 4) {
            Thread.sleep(200 + random.nextInt(1800)); // a kill during start-up
          } else {
            // Killed while working: once it has moved the frontier, at a random moment after.
            Process started = child;
            CoordinatorIT.await(
                () -> !frontiers.read().equals(before) || !started.isAlive(),
                Duration.ofSeconds(90),
                "run " + crash + " moves the frontier");
            Thread.sleep(random.nextInt(1500));
          }
          assertThat(child.isAlive())
              .as("coordinator run %d died by itself; see its log", crash)
              .isTrue();
          child.destroyForcibly().waitFor();
          assertThat(failure.get()).isNull();
          Stamp after = frontiers.read(); // what a restart will start from
          seen.add(after);
          assertThat(after.covers(before)).isTrue();
          if (!after.equals(before)) {
            runsThatMovedTheFrontier++;
          }
        }
        running.set(false);
        writer.join();
        poller.join();
        assertThat(failure.get()).isNull();
        System.out.printf(
            "crash test: %d kills, %d runs moved the frontier, %d transactions written%n",
            CRASHES, runsThatMovedTheFrontier, e2e.history.size());
        assertThat(runsThatMovedTheFrontier)
            .as("killed runs that made progress before the kill")
            .isGreaterThanOrEqualTo(CRASHES * 4 / 5);

        child = startCoordinator(config, CRASHES);
        Version last = e2e.history.get(e2e.history.size() - 1).upper();
        CoordinatorIT.await(
            () -> frontiers.read().get("listings").map(v -> !v.isBefore(last)).orElse(false),
            Duration.ofSeconds(120),
            "the frontier covers the last commit " + last);

        Version at = frontiers.read().get("listings").orElseThrow();
        assertThat(e2e.compareWithSource(at, 200))
            .as("stores against the source at " + at)
            .isEmpty();
        for (int i = 1; i < seen.size(); i++) {
          assertThat(seen.get(i).covers(seen.get(i - 1)))
              .as("the frontier went from %s back to %s", seen.get(i - 1), seen.get(i))
              .isTrue();
        }
        assertThat(e2e.history.size()).as("transactions written").isGreaterThan(200);

        child.destroy(); // SIGTERM: a graceful stop
        assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      } finally {
        running.set(false);
        if (child != null && child.isAlive()) {
          child.destroyForcibly().waitFor();
        }
      }
    }
  }

  private Process startCoordinator(Path config, int run) throws Exception {
    Path log = stateDir.resolve("coordinator-" + run + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            TidemarkCommand.class.getName(),
            "run",
            "--config",
            config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
