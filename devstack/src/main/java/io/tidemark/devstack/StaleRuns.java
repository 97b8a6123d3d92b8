package io.tidemark.devstack;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Run folders whose JVM died without stopping its stores (killed by a test timeout, say): each run
 * folder names its owner JVM in {@code owner} and each store's process in {@code <store>.pid}, as
 * "pid start-millis", so a later run can stop exactly those processes and delete the folder.
 */
final class StaleRuns {
  static final String OWNER_FILE = "owner";

  private StaleRuns() {}

  static void writeOwner(Path run) throws IOException {
    Files.writeString(run.resolve(OWNER_FILE), describe(ProcessHandle.current()) + "\n");
  }

  /** Stops the processes of dead JVMs' runs under {@code workRoot} and deletes those runs. */
  static void reap(Path workRoot) {
    if (!Files.isDirectory(workRoot)) {
      return;
    }
    try (DirectoryStream<Path> runs = Files.newDirectoryStream(workRoot, "run-*")) {
      for (Path run : runs) {
        Path owner = run.resolve(OWNER_FILE);
        if (Files.isRegularFile(owner) && ownerGone(owner)) {
          reapRun(run);
        }
      }
    } catch (IOException e) {
      LocalStore.LOG.log(Level.DEBUG, "cannot scan " + workRoot + " for stale runs", e);
    }
  }

  private static void reapRun(Path run) throws IOException {
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(run, "*.pid")) {
      for (Path pid : pids) {
        running(pid)
            .ifPresent(
                p -> {
                  LocalStore.LOG.log(
                      Level.INFO, "stopping " + p.pid() + " left running by a dead JVM in " + run);
                  p.descendants().forEach(ProcessHandle::destroyForcibly);
                  p.destroyForcibly();
                });
      }
    }
    Host.deleteTree(run);
  }

  /** Whether the JVM an owner file names has exited; false when the file cannot be read. */
  private static boolean ownerGone(Path owner) {
    return parse(owner).map(id -> find(id).isEmpty()).orElse(false);
  }

  /** The process a "pid start-millis" file names, if it is still that very process. */
  private static Optional<ProcessHandle> running(Path file) {
    return parse(file).flatMap(StaleRuns::find);
  }

  private static Optional<String> parse(Path file) {
    try {
      String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split("\\s+");
      long pid = Long.parseLong(parts[0]);
      long start = Long.parseLong(parts[1]);
      // Without a start time a reused pid could not be told apart: never act on it.
      return start == 0 ? Optional.empty() : Optional.of(pid + " " + start);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<ProcessHandle> find(String id) {
    long pid = Long.parseLong(id.substring(0, id.indexOf(' ')));
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> describe(p).equals(id));
  }

  static String describe(ProcessHandle p) {
    return p.pid() + " " + p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }
}
