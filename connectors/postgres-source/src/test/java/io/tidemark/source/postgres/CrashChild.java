package io.tidemark.source.postgres;

import io.tidemark.protocol.Change;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import io.tidemark.source.postgres.PostgresSourceConfig.SnapshotMode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The engine's JVM in {@link CrashRecoveryIT}: runs a source and writes every delivered event as
 * one line to a file (one {@code write} each, so a kill leaves at most a partial last line), then
 * acknowledges what it wrote, lazily (every 200 ms), as a coordinator would once stores are
 * durable. The test kills it with SIGKILL at random moments.
 *
 * <p>Arguments: jdbcUrl user password table slot publication offsetFile outFile.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    String table = args[3];
    Path out = Path.of(args[7]);
    PostgresSource source =
        PostgresSource.builder()
            .name("crash")
            .jdbcUrl(args[0])
            .user(args[1])
            .password(args[2])
            .tables(List.of(table))
            .slotName(args[4])
            .publicationName(args[5])
            .offsetFile(Path.of(args[6]))
            .snapshotMode(SnapshotMode.NO_DATA)
            .build();
    AtomicReference<Version> written = new AtomicReference<>(Version.ZERO);
    try (OutputStream file = new FileOutputStream(out.toFile(), true)) {
      ScheduledExecutorService acker =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "acknowledger");
                t.setDaemon(true);
                return t;
              });
      acker.scheduleAtFixedRate(
          () -> source.acknowledge(written.get()), 200, 200, TimeUnit.MILLISECONDS);
      var stopped =
          source.start(
              tx -> {
                write(file, line(tx));
                written.set(tx.version());
              });
      write(file, "STARTED\n");
      stopped.join(); // runs until killed; a capture failure ends the JVM with its exception
    }
  }

  static void write(OutputStream file, String line) {
    try {
      file.write(line.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code TX|version|txId|commitTime|op/key/before/after;...} or {@code P|version}. */
  static String line(SourceTransaction tx) {
    if (tx.isProgress()) {
      return "P|" + tx.version() + "\n";
    }
    StringBuilder line = new StringBuilder("TX|");
    line.append(tx.version()).append('|').append(tx.transactionId()).append('|');
    line.append(tx.commitTime()).append('|');
    for (Change c : tx.changes()) {
      line.append(c.operation().name().charAt(0)).append('/');
      line.append(c.key().get("id")).append('/');
      line.append(values(c.before())).append('/').append(values(c.after())).append(';');
    }
    return line.append('\n').toString();
  }

  private static String values(Map<String, Object> row) {
    if (row == null) {
      return "-";
    }
    StringBuilder text = new StringBuilder();
    row.values().forEach(v -> text.append(v).append(','));
    return text.toString();
  }
}
