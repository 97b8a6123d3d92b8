package io.tidemark.it;

import io.tidemark.coordinator.TidemarkCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator as its own process ({@code tidemark run --config ...}), so that it can be killed
 * with SIGKILL: no shutdown hook, no flush, exactly as a crash. Each run logs to its own file.
 */
final class CoordinatorProcess implements AutoCloseable {

  private final Path config;
  private final Path logFolder;
  private Process process;
  private int runs;

  CoordinatorProcess(Path config, Path logFolder) {
    this.config = config;
    this.logFolder = logFolder;
  }

  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    Path log = logFolder.resolve("coordinator-" + runs++ + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process =
        new ProcessBuilder(
                java,
                "-Xmx384m",
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

  /** SIGKILL, and wait until it is gone. */
  synchronized void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor();
    }
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  synchronized int runs() {
    return runs;
  }

  /** The log of the current (or last) run. */
  synchronized Path log() {
    return logFolder.resolve("coordinator-" + (runs - 1) + ".log");
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it has not stopped within a minute. */
  @Override
  public synchronized void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
