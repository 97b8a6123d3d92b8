package io.tidemark.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Real PostgreSQL, Elasticsearch, Redis and Memcached servers on free loopback ports, each in its
 * own folder, for the demo and the integration tests.
 *
 * <pre>{@code
 * // one stack per test JVM, started on first use, stopped when the JVM exits
 * Devstack stack = Devstack.shared();
 * String url = stack.postgres().jdbcUrl();
 *
 * // a private stack, e.g. for a fault test that pauses or restarts a store
 * try (Devstack own = Devstack.builder().stores(StoreKind.POSTGRES, StoreKind.REDIS).start()) {
 *   own.store(StoreKind.REDIS).pause();
 * }
 * }</pre>
 *
 * <p>The stores run as local processes from the system's binaries ({@code initdb}/{@code postgres},
 * {@code redis-server}, {@code memcached}) and from the Elasticsearch distribution that Maven
 * downloads. They start in parallel; each start polls its store until it answers, within the
 * startup timeout. When the JVM runs as root, every store runs as the unprivileged account {@code
 * tidemark-stack} (created when missing), because PostgreSQL and Elasticsearch refuse root.
 *
 * <p>System properties: {@code tidemark.stack} ({@code local}, the default, or {@code containers}),
 * {@code tidemark.devstack.workRoot} (where run folders go; default {@code
 * java.io.tmpdir}/tidemark-devstack-USER), {@code tidemark.devstack.elasticsearch.zip} (the
 * distribution to use), {@code tidemark.devstack.cacheDir} (where it is unpacked; default {@code
 * java.io.tmpdir}/tidemark-cache-USER), {@code tidemark.devstack.user} (the account used as root;
 * default {@code tidemark-stack}).
 */
public final class Devstack implements AutoCloseable {
  static final String STACK_PROPERTY = "tidemark.stack";
  static final String WORK_ROOT_PROPERTY = "tidemark.devstack.workRoot";
  static final String USER_PROPERTY = "tidemark.devstack.user";
  static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(90);

  private static final Set<Devstack> OPEN = Collections.synchronizedSet(new LinkedHashSet<>());
  private static Devstack shared;
  private static boolean hookInstalled;

  private final Path runFolder;
  private final Host host;
  private final Binaries binaries;
  private final Duration startupTimeout;
  private final boolean isShared;

  /** The stores that started and are this stack's. */
  private final Map<StoreKind, LocalStore> stores =
      Collections.synchronizedMap(new EnumMap<>(StoreKind.class));

  /** Every store ever made, started or still starting: what a shutdown must stop. */
  private final List<LocalStore> made = new CopyOnWriteArrayList<>();

  private final AtomicBoolean closed = new AtomicBoolean();

  /** Serialises starts; never held by shutdown, so Ctrl-C during a start does not wait for it. */
  private final Object startLock = new Object();

  private Devstack(
      Path runFolder, Host host, Binaries binaries, Duration startupTimeout, boolean isShared) {
    this.runFolder = runFolder;
    this.host = host;
    this.binaries = binaries;
    this.startupTimeout = startupTimeout;
    this.isShared = isShared;
  }

  /** A builder for a stack of one's own, which the caller closes. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts the given stores (all four when none are given) in a stack of one's own. */
  public static Devstack start(StoreKind... kinds) {
    return builder().stores(kinds).start();
  }

  /**
   * The stack shared by everything in this JVM, with all four stores: started on the first call,
   * stopped when the JVM exits. Its {@link #close()} does nothing. Tests that pause, stop or
   * restart a store should start a stack of their own instead.
   */
  public static Devstack shared() {
    return shared(StoreKind.values());
  }

  /**
   * The shared stack with at least the given stores: starts those it lacks (so {@code
   * shared(POSTGRES)} does not wait for Elasticsearch) and keeps them until the JVM exits.
   */
  public static Devstack shared(StoreKind... kinds) {
    Set<StoreKind> wanted =
        kinds.length == 0 ? EnumSet.allOf(StoreKind.class) : EnumSet.copyOf(Arrays.asList(kinds));
    Devstack stack;
    synchronized (Devstack.class) {
      if (shared == null || shared.isClosed()) {
        shared = new Builder().create(true);
      }
      stack = shared;
    }
    stack.ensure(wanted);
    return stack;
  }

  /** The stores this stack runs. */
  public Set<StoreKind> stores() {
    synchronized (stores) {
      return stores.isEmpty() ? EnumSet.noneOf(StoreKind.class) : EnumSet.copyOf(stores.keySet());
    }
  }

  /**
   * Control over one store: its processes, pause/resume, stop/start/restart, kill.
   *
   * @throws IllegalStateException when this stack does not run that store
   */
  public StoreHandle store(StoreKind kind) {
    return require(kind);
  }

  /**
   * Where this stack's PostgreSQL listens.
   *
   * @throws IllegalStateException when this stack has no PostgreSQL
   */
  public PostgresInfo postgres() {
    return (PostgresInfo) require(StoreKind.POSTGRES).info();
  }

  /**
   * Where this stack's Elasticsearch listens.
   *
   * @throws IllegalStateException when this stack has no Elasticsearch
   */
  public ElasticsearchInfo elasticsearch() {
    return (ElasticsearchInfo) require(StoreKind.ELASTICSEARCH).info();
  }

  /**
   * Where this stack's Redis listens.
   *
   * @throws IllegalStateException when this stack has no Redis
   */
  public RedisInfo redis() {
    return (RedisInfo) require(StoreKind.REDIS).info();
  }

  /**
   * Where this stack's Memcached listens.
   *
   * @throws IllegalStateException when this stack has no Memcached
   */
  public MemcachedInfo memcached() {
    return (MemcachedInfo) require(StoreKind.MEMCACHED).info();
  }

  /** The folder holding every store's folder; deleted on close. */
  public Path folder() {
    return runFolder;
  }

  /** Whether this is the JVM-wide stack of {@link #shared()}. */
  public boolean isShared() {
    return isShared;
  }

  /**
   * Stops every store (gracefully, then killing what is left after a deadline) and deletes the
   * stack's folder. Idempotent. Does nothing on the {@linkplain #shared() shared} stack, which
   * stops when the JVM exits.
   */
  @Override
  public void close() {
    if (!isShared) {
      shutdown();
    }
  }

  private LocalStore require(StoreKind kind) {
    LocalStore store = stores.get(kind);
    if (store == null) {
      throw new IllegalStateException(
          "this Devstack runs "
              + stores()
              + ", not "
              + kind.id()
              + "; start it with Devstack.builder().stores(...)");
    }
    return store;
  }

  /** Starts the stores among {@code wanted} that this stack does not run yet, in parallel. */
  void ensure(Set<StoreKind> wanted) {
    synchronized (startLock) {
      if (closed.get()) {
        throw new IllegalStateException("this Devstack is closed");
      }
      Set<StoreKind> missing = EnumSet.noneOf(StoreKind.class);
      for (StoreKind kind : wanted) {
        if (!stores.containsKey(kind)) {
          missing.add(kind);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      Map<StoreKind, LocalStore> created = create(missing);
      made.addAll(created.values());
      if (closed.get()) { // a shutdown began meanwhile and may not have seen these
        created.values().forEach(LocalStore::close);
        throw new IllegalStateException("this Devstack was closed while starting");
      }
      startAll(created.values());
      stores.putAll(created);
    }
  }

  /** Starts stores in parallel, one thread each; on any failure stops them all and throws. */
  private void startAll(Collection<LocalStore> toStart) {
    Deadline deadline = Deadline.in(startupTimeout);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            toStart.size(),
            r -> {
              Thread t = new Thread(r, "devstack-start");
              t.setDaemon(true);
              return t;
            });
    List<Throwable> failures = new ArrayList<>();
    try {
      List<Future<?>> starts = new ArrayList<>();
      for (LocalStore store : toStart) {
        starts.add(pool.submit(() -> store.start(deadline)));
      }
      for (Future<?> start : starts) {
        try {
          start.get();
        } catch (ExecutionException e) {
          failures.add(e.getCause());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failures.add(e);
    } finally {
      pool.shutdown();
    }
    if (!failures.isEmpty()) {
      toStart.forEach(LocalStore::close);
      Throwable cause = failures.get(0);
      // Rethrown here so that the trace shows the caller, with the store thread's as the cause.
      DevstackException error =
          cause instanceof DevstackException
              ? new DevstackException(cause.getMessage(), cause)
              : new DevstackException("cannot start the stack: " + cause, cause);
      failures.stream().skip(1).forEach(error::addSuppressed);
      throw error;
    }
  }

  /** Creates (but does not start) the stores, after checking that every program is there. */
  private Map<StoreKind, LocalStore> create(Set<StoreKind> kinds) {
    List<String> problems = new ArrayList<>();
    Map<StoreKind, Path> programs = new EnumMap<>(StoreKind.class);
    for (StoreKind kind : kinds) {
      try {
        switch (kind) {
          case POSTGRES -> programs.put(kind, binaries.postgresBin());
          case REDIS -> programs.put(kind, binaries.require("redis-server", "redis-server"));
          case MEMCACHED -> programs.put(kind, binaries.require("memcached", "memcached"));
          case ELASTICSEARCH -> {
            // the distribution is found (and unpacked once) when the store prepares its folder
          }
        }
      } catch (DevstackException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new DevstackException(String.join(System.lineSeparator(), problems));
    }
    host.prepare(binaries);
    Map<StoreKind, LocalStore> created = new EnumMap<>(StoreKind.class);
    for (StoreKind kind : kinds) {
      Path folder = runFolder.resolve(kind.id());
      created.put(
          kind,
          switch (kind) {
            case POSTGRES -> new PostgresStore(folder, host, startupTimeout, programs.get(kind));
            case ELASTICSEARCH -> new ElasticsearchStore(folder, host, startupTimeout);
            case REDIS -> new RedisStore(folder, host, startupTimeout, programs.get(kind));
            case MEMCACHED -> new MemcachedStore(folder, host, startupTimeout, programs.get(kind));
          });
    }
    return created;
  }

  private boolean isClosed() {
    return closed.get();
  }

  /** Stops every store and deletes the run folder; idempotent. */
  void shutdown() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<LocalStore> toStop = List.copyOf(made);
    // Stop in parallel: Elasticsearch takes a second or two, the others milliseconds.
    List<Thread> stoppers = new ArrayList<>();
    for (LocalStore store : toStop) {
      Thread t = new Thread(store::close, "devstack-stop-" + store.kind().id());
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    OPEN.remove(this);
    deleteRunFolder();
  }

  private void deleteRunFolder() {
    IOException last = null;
    // A store's last writes may still land while the tree is walked; try again then.
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        Host.deleteTree(runFolder);
        return;
      } catch (IOException e) {
        last = e;
      }
    }
    LocalStore.LOG.log(Level.WARNING, "cannot delete " + runFolder, last);
  }

  /** The stores' endpoints, one per line. */
  String describe() {
    StringBuilder text = new StringBuilder();
    for (StoreKind kind : stores()) {
      text.append(String.format("  %-14s", kind.id()));
      switch (kind) {
        case POSTGRES -> {
          PostgresInfo pg = postgres();
          text.append(pg.jdbcUrl())
              .append("  user ")
              .append(pg.user())
              .append("  password ")
              .append(pg.password());
        }
        case ELASTICSEARCH -> text.append(elasticsearch().httpUrl());
        case REDIS -> text.append(redis().uri());
        case MEMCACHED -> text.append(memcached().address());
      }
      text.append("  (pid ")
          .append(store(kind).process().pid())
          .append(", ready in ")
          .append(require(kind).lastStartup().toMillis())
          .append(" ms)")
          .append(System.lineSeparator());
    }
    return text.toString();
  }

  @Override
  public String toString() {
    return "Devstack" + stores() + " in " + runFolder;
  }

  private static synchronized void register(Devstack stack) {
    if (!hookInstalled) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    List<Devstack> open;
                    synchronized (OPEN) {
                      open = new ArrayList<>(OPEN);
                    }
                    open.forEach(Devstack::shutdown);
                  },
                  "devstack-shutdown"));
      hookInstalled = true;
    }
    OPEN.add(stack);
  }

  /**
   * Starts the stack (or the stores named as arguments: postgres, elasticsearch, redis, memcached),
   * prints the endpoints and runs until Ctrl-C.
   */
  public static void main(String[] args) throws InterruptedException {
    List<StoreKind> kinds = new ArrayList<>();
    for (String arg : args) {
      kinds.add(StoreKind.of(arg));
    }
    long began = System.nanoTime();
    Devstack stack;
    try {
      stack = builder().stores(kinds).start();
    } catch (DevstackException e) {
      System.err.println(e.getMessage());
      System.exit(1);
      return;
    }
    System.out.printf(
        "Tidemark devstack ready in %.1f s, in %s (Ctrl-C stops it):%n%s",
        (System.nanoTime() - began) / 1e9, stack.folder(), stack.describe());
    System.out.flush();
    new CountDownLatch(1).await(); // the shutdown hook stops the stack
  }

  /** Chooses the stores and where they run; {@link #start()} starts them. */
  public static final class Builder {
    private final Set<StoreKind> kinds = EnumSet.noneOf(StoreKind.class);
    private Path workRoot;
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private Binaries binaries;

    private Builder() {}

    /** The stores to start; all four when never called (or called with none). */
    public Builder stores(StoreKind... kinds) {
      return stores(Arrays.asList(kinds));
    }

    /** The stores to start; all four when never called (or called with none). */
    public Builder stores(Collection<StoreKind> kinds) {
      this.kinds.addAll(kinds);
      return this;
    }

    /**
     * Where the run folder is made. Default: {@code -Dtidemark.devstack.workRoot}, else {@code
     * java.io.tmpdir}/tidemark-devstack-USER. As root it must be reachable by the store account
     * (every parent searchable by others); otherwise the default is used.
     */
    public Builder workRoot(Path workRoot) {
      this.workRoot = workRoot;
      return this;
    }

    /** How long all stores together may take to become ready; default 90 s. */
    public Builder startupTimeout(Duration startupTimeout) {
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException(
            "startupTimeout must be positive, got " + startupTimeout);
      }
      this.startupTimeout = startupTimeout;
      return this;
    }

    /** Where programs are looked up (tests use a PATH without them). */
    Builder binaries(Binaries binaries) {
      this.binaries = binaries;
      return this;
    }

    /**
     * Starts the stores in parallel and returns when all answer.
     *
     * @throws DevstackException naming the missing program and its Debian package, or the store
     *     that failed with the tail of its log; nothing started is left running
     */
    public Devstack start() {
      Devstack stack = create(false);
      try {
        stack.ensure(kinds.isEmpty() ? EnumSet.allOf(StoreKind.class) : kinds);
      } catch (RuntimeException e) {
        stack.shutdown();
        throw e;
      }
      return stack;
    }

    private Devstack create(boolean isShared) {
      String mode = System.getProperty(STACK_PROPERTY, "local").trim();
      if (mode.equals("containers")) {
        throw Containers.unavailable();
      }
      if (!mode.equals("local")) {
        throw new DevstackException(
            "-D"
                + STACK_PROPERTY
                + "="
                + mode
                + " is not valid: use local (the default: stores as local processes) or containers");
      }
      Host host = Host.current(System.getProperty(USER_PROPERTY, Host.DEFAULT_SERVICE_USER));
      try {
        Path root = chooseWorkRoot(host);
        StaleRuns.reap(root);
        Path run = Files.createTempDirectory(root, "run-");
        // Readable and searchable by the store account when running as root.
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        StaleRuns.writeOwner(run);
        Devstack stack =
            new Devstack(
                run,
                host,
                binaries == null ? Binaries.system() : binaries,
                startupTimeout,
                isShared);
        register(stack);
        return stack;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make a run folder: " + e.getMessage(), e);
      }
    }

    /**
     * The configured work root, made if missing, or the default when the store user can't reach it.
     */
    private Path chooseWorkRoot(Host host) throws IOException {
      Path fallback =
          Path.of(
                  System.getProperty("java.io.tmpdir"),
                  "tidemark-devstack-" + System.getProperty("user.name"))
              .toAbsolutePath();
      Path chosen = workRoot;
      if (chosen == null) {
        String configured = System.getProperty(WORK_ROOT_PROPERTY);
        chosen = configured == null || configured.isBlank() ? fallback : Path.of(configured);
      }
      chosen = Files.createDirectories(chosen.toAbsolutePath());
      if (!chosen.equals(fallback) && !host.storeUserCanReach(chosen)) {
        LocalStore.LOG.log(
            Level.WARNING,
            chosen
                + " is not reachable by the store account "
                + host.storeUser()
                + "; using "
                + fallback);
        return Files.createDirectories(fallback);
      }
      return chosen;
    }
  }
}
