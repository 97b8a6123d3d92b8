package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Halts the JVM that runs the engine (SIGKILL, no graceful close) at random moments while writers
 * commit transactions, restarts it, and checks against what PostgreSQL committed: no transaction is
 * lost, and a transaction delivered again is identical (version, id, commit time, changes).
 */
class CrashRecoveryIT {
  static final int KILLS = 6;
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  /** One committed writer transaction: what the source must deliver for it, in order. */
  record Committed(int writer, int seq, List<String> changes) {}

  @Test
  void haltingTheEngineJvmUnderLoadLosesNothingAndRedeliversIdentically() throws Exception {
    String table = Pg.unique("crash");
    String slot = Pg.unique("crash_slot");
    Pg.exec(
        "CREATE TABLE " + table + " (id bigint PRIMARY KEY, writer int, payload text)",
        "ALTER TABLE " + table + " REPLICA IDENTITY FULL");
    Path offsets = dir.resolve("offsets.dat");
    Random random = new Random(42);
    List<Path> outputs = new ArrayList<>();
    List<Committed> committed = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean writing = new AtomicBoolean(true);
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    Process child = null;
    try {
      child = startChild(table, slot, offsets, outputs);
      awaitLine(outputs.get(0), child, "STARTED");
      for (int w = 0; w < 3; w++) {
        int writer = w;
        writers.add(CompletableFuture.runAsync(() -> write(table, writer, writing, committed)));
      }
      for (int kill = 0; kill < KILLS; kill++) {
        // Every other kill while the JVM and the engine start up, the others while streaming.
        if (kill % 2 == 1) {
          awaitFile(
              outputs.get(outputs.size() - 1),
              child,
              "a delivered event",
              lines -> lines.stream().anyMatch(l -> l.startsWith("TX|") || l.startsWith("P|")));
        }
        Thread.sleep(200 + random.nextInt(2000));
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        child = startChild(table, slot, offsets, outputs);
      }
      writing.set(false);
      for (CompletableFuture<Void> w : writers) {
        w.get(1, TimeUnit.MINUTES);
      }
      Version end;
      try (Connection c = Pg.connect()) {
        end = PostgresSource.currentWalInsertLsn(c);
      }
      awaitVersion(outputs.get(outputs.size() - 1), child, end);
    } finally {
      writing.set(false);
      if (child != null) {
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
      Pg.dropSlotAndPublication(slot, "tidemark_crash");
    }

    // Every run's delivery, parsed; versions strictly increase within a run.
    Map<Version, String> byVersion = new HashMap<>();
    Map<Version, Integer> runsSeen = new HashMap<>();
    List<String> delivered = new ArrayList<>();
    StringBuilder runs = new StringBuilder();
    for (Path output : outputs) {
      Version previous = Version.ZERO;
      List<String> lines = completeLines(output);
      runs.append(
          String.format(
              "  %s: %d lines%s%n",
              output.getFileName(),
              lines.size(),
              lines.size() > 1
                  ? ", "
                      + lines.get(1).split("\\|")[1]
                      + " .. "
                      + lines.get(lines.size() - 1).split("\\|")[1]
                  : ""));
      for (String line : lines) {
        if (!line.startsWith("TX|") && !line.startsWith("P|")) {
          continue;
        }
        Version version = Version.parse(line.split("\\|")[1]);
        assertThat(version).as("version order in %s", output).isGreaterThan(previous);
        previous = version;
        String before = byVersion.putIfAbsent(version, line);
        if (before != null) {
          assertThat(line).as("redelivery of %s", version).isEqualTo(before);
          runsSeen.merge(version, 1, Integer::sum);
        } else if (line.startsWith("TX|")) {
          delivered.add(line);
        }
      }
    }
    // What PostgreSQL committed, per writer in commit order, against what was delivered.
    Map<String, String> deliveredByTx = new LinkedHashMap<>();
    for (String line : delivered) {
      String changes = line.split("\\|", 5)[4];
      String first = changes.substring(0, changes.indexOf(';'));
      deliveredByTx.put(txOf(first), changes);
    }
    for (Committed c : committed) {
      String key = c.writer + ":" + c.seq;
      assertThat(deliveredByTx).as("transaction %s", key).containsKey(key);
      assertThat(deliveredByTx.get(key)).isEqualTo(String.join("", c.changes));
    }
    assertThat(deliveredByTx).hasSameSizeAs(committed);
    System.out.printf(
        "crash test: %d kills, %d transactions committed and delivered, %d delivered again"
            + " (identical)%n",
        KILLS, committed.size(), runsSeen.size());
    System.out.print(runs);
    assertThat(runsSeen).as("transactions delivered again after a kill").isNotEmpty();
  }

  /** writer:seq of a delivered change, from the payload of its first change. */
  private static String txOf(String change) {
    // op/id/before/after with after = id,writer,payload, and payload = w<writer>s<seq>...
    String[] parts = change.split("/");
    String image = parts[3].equals("-") ? parts[2] : parts[3];
    String payload = image.split(",")[2];
    return payload.substring(1, payload.indexOf('s'))
        + ":"
        + payload.substring(payload.indexOf('s') + 1, payload.indexOf('x'));
  }

  /** A writer: transactions of 1-3 changes to its own rows; records each after its commit. */
  private static void write(String table, int writer, AtomicBoolean writing, List<Committed> out) {
    Random random = new Random(writer);
    Map<Long, String> live = new LinkedHashMap<>();
    List<Long> ids = new ArrayList<>();
    try (Connection c = Pg.connect();
        PreparedStatement insert =
            c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?)");
        PreparedStatement update =
            c.prepareStatement("UPDATE " + table + " SET payload = ? WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
      c.setAutoCommit(false);
      for (int seq = 0; writing.get(); seq++) {
        List<String> changes = new ArrayList<>();
        Map<Long, String> pending = new LinkedHashMap<>(live);
        List<Long> pendingIds = new ArrayList<>(ids);
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
          // The payload names the transaction (w<writer>s<seq>x<i>) so the check can find it.
          String payload = "w" + writer + "s" + seq + "x" + i;
          int kind = pendingIds.isEmpty() || i == 0 ? 0 : random.nextInt(3);
          if (kind == 0) {
            long id = writer * 100_000_000L + seq * 10L + i;
            insert.setLong(1, id);
            insert.setInt(2, writer);
            insert.setString(3, payload);
            insert.execute();
            pending.put(id, payload);
            pendingIds.add(id);
            changes.add("I/" + id + "/-/" + id + "," + writer + "," + payload + ",;");
          } else {
            long id = pendingIds.get(random.nextInt(pendingIds.size()));
            String old = id + "," + writer + "," + pending.get(id) + ",";
            if (kind == 1) {
              update.setString(1, payload);
              update.setLong(2, id);
              update.execute();
              pending.put(id, payload);
              changes.add("U/" + id + "/" + old + "/" + id + "," + writer + "," + payload + ",;");
            } else {
              delete.setLong(1, id);
              delete.execute();
              pending.remove(id);
              pendingIds.remove(id);
              changes.add("D/" + id + "/" + old + "/-;");
            }
          }
        }
        c.commit();
        live = pending;
        ids.clear();
        ids.addAll(pendingIds);
        out.add(new Committed(writer, seq, changes));
        // Paced (~200 transactions/s per writer) so that a freshly started engine JVM catches up
        // and kills land while it streams live, not only while it drains a backlog.
        Thread.sleep(5);
      }
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private Process startChild(String table, String slot, Path offsets, List<Path> outputs)
      throws IOException {
    Path out = dir.resolve("run-" + outputs.size() + ".txt");
    outputs.add(out);
    Files.createFile(out);
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            CrashChild.class.getName(),
            Pg.info().jdbcUrl(),
            Pg.info().user(),
            Pg.info().password(),
            "public." + table,
            slot,
            "tidemark_crash",
            offsets.toString(),
            out.toString());
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("child.log").toFile()))
        .start();
  }

  private void awaitLine(Path file, Process child, String line) throws Exception {
    awaitFile(file, child, "a line " + line, lines -> lines.contains(line));
  }

  private void awaitVersion(Path file, Process child, Version version) throws Exception {
    awaitFile(
        file,
        child,
        "a version at or above " + version,
        lines ->
            lines.stream()
                .filter(l -> l.startsWith("TX|") || l.startsWith("P|"))
                .anyMatch(l -> !Version.parse(l.split("\\|")[1]).isBefore(version)));
  }

  private void awaitFile(
      Path file, Process child, String what, java.util.function.Predicate<List<String>> condition)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.test(completeLines(file))) {
      if (!child.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "engine JVM "
                + (child.isAlive() ? "did not write " : "died before writing ")
                + what
                + " to "
                + file
                + "; its log:\n"
                + Files.readString(dir.resolve("child.log")));
      }
      Thread.sleep(20);
    }
  }

  /** The file's lines, without a last line that a kill cut short. */
  static List<String> completeLines(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
  }
}
