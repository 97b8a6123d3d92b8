package io.tidemark.devstack;

import java.nio.file.Path;
import java.util.List;

/**
 * Control over one started store, for tests that stop, freeze or crash it. Every method is
 * thread-safe. The store keeps its port and its data folder across {@link #stop()}/{@link
 * #start()}, {@link #restart()} and {@link #kill()}/{@link #start()} (Redis keeps no data: it comes
 * back empty).
 */
public interface StoreHandle {

  StoreKind kind();

  /** Whether the store's main process is alive (a paused store is running). */
  boolean isRunning();

  /**
   * The store's main process (PostgreSQL's postmaster, Elasticsearch's launcher, the Redis or
   * Memcached server). It changes on every start.
   *
   * @throws IllegalStateException when the store is not running
   */
  ProcessHandle process();

  /** The main process and all its descendants now (PostgreSQL backends, Elasticsearch's server). */
  List<ProcessHandle> processTree();

  /** Freezes the whole process tree (SIGSTOP): connections hang instead of failing. */
  void pause();

  /** Thaws what {@link #pause()} froze (SIGCONT). */
  void resume();

  boolean isPaused();

  /** Stops the store gracefully (killing it after a deadline) and keeps its data. */
  void stop();

  /** Starts a stopped store again and waits until it is ready. Does nothing when running. */
  void start();

  /** {@link #stop()} then {@link #start()}. */
  void restart();

  /**
   * Crashes the store: SIGKILL to the whole process tree, no shutdown; {@link #start()} recovers.
   */
  void kill();

  /** The store's own folder (data, configuration, logs); deleted when the stack closes. */
  Path folder();
}
