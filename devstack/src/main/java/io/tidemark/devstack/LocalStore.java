package io.tidemark.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One store run as a local process in its own folder: the life cycle (prepare once, start, poll
 * until ready, stop gracefully then kill, pause, resume) shared by the four stores, which supply
 * the command, the readiness check and the stop signal.
 */
abstract class LocalStore implements StoreHandle {
  static final System.Logger LOG = System.getLogger(Devstack.class.getName());
  private static final int LOG_TAIL_LINES = 40;
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  private final StoreKind kind;
  private final Path folder;
  final Host host;
  private final Duration startupTimeout;

  private Process process;
  private boolean prepared;
  private boolean paused;
  private volatile boolean closed;
  private volatile Duration lastStartup = Duration.ZERO;

  LocalStore(StoreKind kind, Path folder, Host host, Duration startupTimeout) {
    this.kind = kind;
    this.folder = folder;
    this.host = host;
    this.startupTimeout = startupTimeout;
  }

  /** Sets the folder up before the first start (initdb, configuration). */
  abstract void prepare(Deadline deadline) throws IOException, InterruptedException;

  /** The server command, run in the store's folder as the store user. */
  abstract List<String> command();

  /** Adds to the server's environment. */
  void environment(Map<String, String> env) {}

  /** Whether the server answers; false (not an exception) while it is still coming up. */
  abstract boolean ready() throws IOException, InterruptedException;

  /** The signal that makes the server shut down cleanly and promptly. */
  String stopSignal() {
    return "TERM";
  }

  /** How long a graceful stop may take before the process tree is killed. */
  Duration stopGrace() {
    return Duration.ofSeconds(10);
  }

  /** Logs whose tails explain a failed start; the server's own output first. */
  List<Path> logs() {
    return List.of(outputLog());
  }

  /** This store's connection info record. */
  abstract Object info();

  /** How long the last start took, preparation included. */
  final Duration lastStartup() {
    return lastStartup;
  }

  final Path outputLog() {
    return folder.resolve(kind.id() + ".out");
  }

  @Override
  public final StoreKind kind() {
    return kind;
  }

  @Override
  public final Path folder() {
    return folder;
  }

  @Override
  public final void start() {
    start(Deadline.in(startupTimeout));
  }

  final synchronized void start(Deadline deadline) {
    if (closed) {
      throw new IllegalStateException(kind.id() + " belongs to a closed Devstack");
    }
    if (process != null && process.isAlive()) {
      return;
    }
    long began = System.nanoTime();
    try {
      if (!prepared) {
        Files.createDirectories(folder);
        host.giveToStoreUser(folder);
        prepare(deadline);
        host.giveToStoreUser(folder);
        prepared = true;
      }
      launch();
      Process started = process;
      boolean ready =
          deadline.await(
              () -> {
                if (closed) {
                  throw new DevstackException(kind.id() + " was closed while starting");
                }
                if (!started.isAlive()) {
                  throw new DevstackException(
                      kind.id()
                          + " exited with code "
                          + started.exitValue()
                          + " while starting"
                          + logTails());
                }
                return ready();
              });
      if (!ready) {
        throw new DevstackException(
            kind.id()
                + " was not ready within "
                + deadline.total().toSeconds()
                + " s (pid "
                + started.pid()
                + " still running)"
                + logTails());
      }
      lastStartup = Duration.ofNanos(System.nanoTime() - began);
      LOG.log(
          Level.DEBUG, () -> kind.id() + " ready in " + lastStartup.toMillis() + " ms: " + info());
    } catch (DevstackException e) {
      stopProcess(false);
      throw e;
    } catch (IOException e) {
      stopProcess(false);
      throw new DevstackException("cannot start " + kind.id() + ": " + e + logTails(), e);
    } catch (InterruptedException e) {
      stopProcess(false);
      Thread.currentThread().interrupt();
      throw new DevstackException("interrupted while starting " + kind.id(), e);
    } catch (Exception e) {
      stopProcess(false);
      throw new DevstackException("cannot start " + kind.id() + ": " + e + logTails(), e);
    }
  }

  private void launch() throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(host.asStoreUser(command()))
            .directory(folder.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(outputLog().toFile()));
    Map<String, String> env = builder.environment();
    // Options meant for the JVM that runs the tests must not leak into Elasticsearch's JVMs.
    env.remove("JAVA_TOOL_OPTIONS");
    env.remove("_JAVA_OPTIONS");
    env.remove("JDK_JAVA_OPTIONS");
    env.put("HOME", folder.toString());
    env.put("LC_ALL", "C.UTF-8");
    environment(env);
    process = builder.start();
    paused = false;
    writePidFile(process.toHandle());
  }

  /**
   * Runs a one-off setup command (initdb) as the store user, its output appended to the store's
   * output log; fails with the log's tail when it fails or outlives the deadline.
   */
  final void runToCompletion(List<String> command, Deadline deadline)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(host.asStoreUser(command))
            .directory(folder.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(outputLog().toFile()))
            .start();
    try {
      if (!p.waitFor(deadline.remainingMillis(), TimeUnit.MILLISECONDS)) {
        throw new DevstackException(
            command.get(0)
                + " did not finish within "
                + deadline.total().toSeconds()
                + " s"
                + logTails());
      }
    } finally {
      p.destroyForcibly();
    }
    if (p.exitValue() != 0) {
      throw new DevstackException(
          String.join(" ", command) + " failed with exit code " + p.exitValue() + logTails());
    }
  }

  /** Like {@link #runToCompletion} with text fed to its standard input. */
  final void runWithInput(List<String> command, String input, Deadline deadline)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(host.asStoreUser(command))
            .directory(folder.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(outputLog().toFile()))
            .start();
    try {
      try (var in = p.getOutputStream()) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(deadline.remainingMillis(), TimeUnit.MILLISECONDS)) {
        throw new DevstackException(
            command.get(0)
                + " did not finish within "
                + deadline.total().toSeconds()
                + " s"
                + logTails());
      }
    } finally {
      p.destroyForcibly();
    }
    if (p.exitValue() != 0) {
      throw new DevstackException(
          String.join(" ", command) + " failed with exit code " + p.exitValue() + logTails());
    }
  }

  private String logTails() {
    StringBuilder text = new StringBuilder();
    for (Path log : logs()) {
      text.append(System.lineSeparator())
          .append("--- last lines of ")
          .append(log)
          .append(" ---")
          .append(System.lineSeparator())
          .append(Host.tail(log, LOG_TAIL_LINES));
    }
    return text.toString();
  }

  /** Where the reaper finds this store's process if this JVM dies without stopping it. */
  private Path pidFile() {
    return folder.resolveSibling(kind.id() + ".pid");
  }

  private void writePidFile(ProcessHandle handle) {
    long startMillis = handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    try {
      Files.writeString(pidFile(), handle.pid() + " " + startMillis + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public final synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public final synchronized ProcessHandle process() {
    if (!isRunning()) {
      throw new IllegalStateException(kind.id() + " is not running");
    }
    return process.toHandle();
  }

  @Override
  public final synchronized List<ProcessHandle> processTree() {
    if (process == null) {
      return List.of();
    }
    return treeOf(process.toHandle());
  }

  private static List<ProcessHandle> treeOf(ProcessHandle root) {
    return Stream.concat(Stream.of(root), root.descendants()).collect(Collectors.toList());
  }

  @Override
  public final synchronized void pause() {
    ProcessHandle root = process();
    // The root first, so that it cannot start new children while they are being frozen.
    Host.signal("STOP", List.of(root));
    Host.signal("STOP", root.descendants().toList());
    paused = true;
  }

  @Override
  public final synchronized void resume() {
    if (process != null) {
      Host.signal("CONT", treeOf(process.toHandle()));
    }
    paused = false;
  }

  @Override
  public final synchronized boolean isPaused() {
    return paused && isRunning();
  }

  @Override
  public final synchronized void stop() {
    stopProcess(true);
  }

  @Override
  public final synchronized void restart() {
    stopProcess(true);
    start();
  }

  @Override
  public final synchronized void kill() {
    stopProcess(false);
  }

  /**
   * Stops for good; the folder is the owner's to delete. A start in progress sees the flag at its
   * next readiness check and gives up, so this never waits for a whole startup timeout.
   */
  final void close() {
    closed = true;
    synchronized (this) {
      stopProcess(true);
    }
  }

  private void stopProcess(boolean graceful) {
    Process p = process;
    if (p == null) {
      return;
    }
    List<ProcessHandle> tree = treeOf(p.toHandle());
    if (paused) {
      Host.signal("CONT", tree);
      paused = false;
    }
    if (graceful && p.isAlive()) {
      Host.signal(stopSignal(), List.of(p.toHandle()));
      if (!awaitExit(tree, stopGrace())) {
        LOG.log(
            Level.WARNING,
            kind.id() + " did not stop within " + stopGrace().toSeconds() + " s; killing it");
      }
    }
    List<ProcessHandle> left = new ArrayList<>();
    for (ProcessHandle h : tree) {
      if (h.isAlive()) {
        left.add(h);
        h.descendants().forEach(left::add);
      }
    }
    // Children first is not needed with SIGKILL; kill everything that is left at once.
    left.forEach(ProcessHandle::destroyForcibly);
    if (!awaitExit(left, KILL_WAIT)) {
      LOG.log(Level.WARNING, kind.id() + ": processes survived SIGKILL: " + left);
    }
    try {
      p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    try {
      Files.deleteIfExists(pidFile());
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "cannot delete " + pidFile(), e);
    }
  }

  private static boolean awaitExit(List<ProcessHandle> processes, Duration limit) {
    CompletableFuture<?>[] exits =
        processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(exits).get(limit.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return processes.stream().noneMatch(ProcessHandle::isAlive);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public String toString() {
    return kind.id() + " " + info();
  }
}
