package io.tidemark.examples;

import io.tidemark.coordinator.sidecar.Sidecar;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.ConsistencyLevel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The classified-ads story in one command ({@code ./demo}): starts devstack's stores and a
 * coordinator, runs the same load twice (reading each store's latest value, then Tidemark
 * snapshots), prints a side-by-side table and writes an HTML report. {@code --serve} keeps the
 * whole deployment running instead, with the writer trickling ads, and writes {@code
 * .tidemark/dev.json}.
 */
public final class ClassifiedAds {

  /** What the command line asked for. */
  record Options(
      Duration runTime,
      Map<String, Duration> lags,
      int readers,
      int viewsPerSecond,
      int writesPerSecond,
      int liveAds,
      boolean serve,
      Path workDir) {

    static final Set<String> STORES = Set.of("search", "cache", "memo", "readdb");

    Options {
      lags = Collections.unmodifiableMap(new LinkedHashMap<>(lags));
    }

    static Options defaults() {
      return new Options(
          Duration.ofSeconds(15),
          Map.of("search", Duration.ofMillis(300)),
          2,
          150,
          40,
          120,
          false,
          Path.of(".tidemark"));
    }

    String delayText() {
      List<String> parts = new ArrayList<>();
      lags.forEach(
          (store, lag) -> {
            if (!lag.isZero()) {
              parts.add("+" + lag.toMillis() + " ms in the '" + store + "' lane");
            }
          });
      return parts.isEmpty() ? "none, every store at its natural speed" : String.join(", ", parts);
    }

    Options withRunTime(Duration d) {
      return new Options(
          d, lags, readers, viewsPerSecond, writesPerSecond, liveAds, serve, workDir);
    }

    Options withLags(Map<String, Duration> l) {
      return new Options(
          runTime, l, readers, viewsPerSecond, writesPerSecond, liveAds, serve, workDir);
    }

    Options withServe(boolean s) {
      return new Options(
          runTime, lags, readers, viewsPerSecond, writesPerSecond, liveAds, s, workDir);
    }
  }

  /** Both runs' measurements, and where the report went. */
  record Outcome(Story.Result latest, Story.Result snapshot, Path report) {}

  private ClassifiedAds() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "classified-ads-logback.xml");
    }
    // spymemcached and a few libraries log on their own; the console is for the story.
    System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SLF4JLogger");
    if (java.util.Arrays.asList(args).contains("--help")
        || java.util.Arrays.asList(args).contains("-h")) {
      System.out.println(USAGE);
      return;
    }
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    System.setProperty("tidemark.demo.log", options.workDir().resolve("demo.log").toString());
    Files.createDirectories(options.workDir());
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("");
    for (java.util.logging.Handler h : jul.getHandlers()) {
      jul.removeHandler(h);
    }
    java.util.logging.FileHandler julFile =
        new java.util.logging.FileHandler(
            options.workDir().resolve("demo-jul.log").toString(), false);
    julFile.setFormatter(new java.util.logging.SimpleFormatter());
    jul.addHandler(julFile);
    if (options.serve()) {
      serve(options, System.out);
    } else {
      story(options, System.out);
    }
    System.exit(0);
  }

  static final String USAGE =
      """
      usage: ./demo [--seconds N] [--delay STORE=DURATION | --no-delay] [--serve]
        --seconds N              length of each of the two runs (default 15)
        --delay STORE=DURATION   an extra delay in the coordinator's lane to one store (search,
                                 cache, memo or readdb), e.g. search=300ms (the default for the
                                 story; none with --serve); may be repeated
        --no-delay               every store at its natural speed
        --serve                  keep the stack, coordinator and sidecar running until Ctrl-C,
                                 the writer trickling ads; writes .tidemark/dev.json""";

  static Options parse(String[] args) {
    Options o = Options.defaults();
    Map<String, Duration> lags = null; // the default until a --delay or --no-delay
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--seconds" -> {
          int s = Integer.parseInt(value(args, ++i, arg));
          if (s < 2) {
            throw new IllegalArgumentException("--seconds must be at least 2, got " + s);
          }
          o = o.withRunTime(Duration.ofSeconds(s));
        }
        case "--delay" -> {
          String v = value(args, ++i, arg);
          int eq = v.indexOf('=');
          if (eq < 0 || !Options.STORES.contains(v.substring(0, eq))) {
            throw new IllegalArgumentException(
                "--delay takes STORE=DURATION with STORE one of search, cache, memo, readdb"
                    + " (e.g. search=300ms), got '"
                    + v
                    + "'");
          }
          lags = lags == null ? new LinkedHashMap<>() : lags;
          lags.put(v.substring(0, eq), duration(v.substring(eq + 1)));
        }
        case "--no-delay" -> lags = new LinkedHashMap<>();
        case "--serve" -> o = o.withServe(true);
        default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
    }
    if (lags != null) {
      o = o.withLags(lags);
    } else if (o.serve()) {
      o = o.withLags(Map.of()); // --serve: natural speed unless asked
    }
    return o;
  }

  private static String value(String[] args, int i, String name) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    return args[i];
  }

  private static Duration duration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofMillis(
            Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
      }
    } catch (NumberFormatException e) {
      // fall through to the message
    }
    throw new IllegalArgumentException("bad duration '" + text + "': write it like 250ms or 1s");
  }

  /** Runs the story end to end and prints the table; returns the measurements. */
  static Outcome story(Options options, PrintStream out) throws Exception {
    long began = System.nanoTime();
    out.println("Tidemark: the classified-ads story, the 404 before and after.");
    out.println("Starting PostgreSQL, Elasticsearch, Redis and Memcached (devstack)...");
    try (Devstack stack = Devstack.builder().start()) {
      out.printf(Locale.ROOT, "  stores ready in %.1f s%n", seconds(began));
      try (Deployment deployment = new Deployment(stack, options.lags(), options.workDir())) {
        out.println("Coordinator started: PostgreSQL -> Debezium -> search, cache, memo, readdb.");
        out.println(
            "Extra delay: "
                + options.delayText()
                + (options.lags().isEmpty()
                    ? "."
                    : " (the coordinator applies each epoch there that long after its commit;"
                        + " readers read the stores directly)."));
        awaitFrontier(deployment);
        Story story = new Story(deployment, 1 + new Random().nextInt(1000) * 1_000_000L);
        story.seed(options.liveAds(), Duration.ofSeconds(60));
        Story.Load load =
            new Story.Load(
                options.runTime(),
                options.writesPerSecond(),
                options.liveAds(),
                options.readers(),
                options.viewsPerSecond());
        out.printf(
            Locale.ROOT,
            "Each run: %d s, a writer at %d transactions/s (post, edit, withdraw; ~%d live ads),"
                + " %d readers at %d page views/s in all (search, click a hit, load its detail).%n",
            options.runTime().toSeconds(),
            load.writesPerSecond(),
            load.liveAds(),
            load.readers(),
            load.viewsPerSecond());
        Progress progress = new Progress(out);
        warmUp(story, load, options, out);
        Story.Result latest = story.run("latest", ConsistencyLevel.LATEST, load, progress::show);
        progress.done();
        Story.Result snapshot =
            story.run("snapshot", ConsistencyLevel.SNAPSHOT, load, progress::show);
        progress.done();
        out.println();
        out.print(Report.table(latest, snapshot));
        out.println();
        out.print(Report.sentences(latest, snapshot, options.delayText()));
        for (Story.Result r : List.of(latest, snapshot)) {
          if (r.errors() > 0) {
            out.println(
                r.name() + " run: " + r.errors() + " page views failed, first: " + r.firstError());
          }
        }
        Path report = options.workDir().resolve("classified-ads-report.html").toAbsolutePath();
        String setup =
            String.format(
                Locale.ROOT,
                "Same stores, same writer, same readers, run twice for %d s each: first reading"
                    + " each store's latest value, then through Tidemark snapshots.",
                options.runTime().toSeconds());
        Files.writeString(report, Report.html(latest, snapshot, options.delayText(), setup));
        out.println();
        out.println("Report with a chart of anomalies over time: " + report);
        out.printf(
            Locale.ROOT, "Done in %.0f s; everything started has been stopped.%n", seconds(began));
        return new Outcome(latest, snapshot, report);
      }
    }
  }

  /**
   * Runs the load unmeasured until the search lane keeps up (a change searchable within its extra
   * delay plus half a second, median), at most 30 s: a freshly started Elasticsearch indexes slowly
   * for its first half minute, and the first run should not pay for that.
   */
  private static void warmUp(Story story, Story.Load load, Options options, PrintStream out)
      throws Exception {
    long began = System.nanoTime();
    long allowed = options.lags().getOrDefault("search", Duration.ZERO).plusMillis(500).toNanos();
    Story.Load chunk =
        new Story.Load(
            Duration.ofSeconds(3),
            load.writesPerSecond(),
            load.liveAds(),
            load.readers(),
            load.viewsPerSecond());
    for (int i = 0; i < 10; i++) {
      Story.Result r = story.run("warm-up", ConsistencyLevel.LATEST, chunk, line -> {});
      if (Story.Result.percentile(r.visibilityNanos(), 50) <= allowed) {
        break;
      }
    }
    out.printf(
        Locale.ROOT, "  warmed up in %.0f s (until the search lane keeps up)%n", seconds(began));
  }

  /** Keeps everything running until Ctrl-C, the writer trickling, and writes dev.json. */
  static void serve(Options options, PrintStream out) throws Exception {
    out.println("Starting PostgreSQL, Elasticsearch, Redis and Memcached (devstack)...");
    CountDownLatch stop = new CountDownLatch(1);
    Story[] trickling = new Story[1]; // halted first on Ctrl-C: the stores are about to go
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Story writer = trickling[0];
                  if (writer != null) {
                    writer.halt();
                  }
                  stop.countDown();
                  try {
                    stopped.await(30, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "classified-ads-stop"));
    try (Devstack stack = Devstack.builder().start();
        Deployment deployment = new Deployment(stack, options.lags(), options.workDir());
        Sidecar sidecar = Sidecar.serve(deployment.coordinator)) {
      awaitFrontier(deployment);
      var pg = stack.postgres();
      String json =
          """
          {"sidecar": "http://127.0.0.1:%d", "postgres": {"jdbcUrl": "%s", "user": "%s", "password": "%s"}, \
          "elasticsearch": "%s", "redis": "%s", "memcached": "%s", "collections": ["ads", "ad_images"]}
          """
              .formatted(
                  sidecar.port(),
                  pg.jdbcUrl(),
                  pg.user(),
                  pg.password(),
                  stack.elasticsearch().httpUrl(),
                  stack.redis().uri(),
                  stack.memcached().address());
      Path devJson = options.workDir().resolve("dev.json").toAbsolutePath();
      Files.writeString(devJson, json);
      out.println("Running; " + devJson + ":");
      out.print(json);
      out.printf(
          """
          Try:
            curl -s 'http://127.0.0.1:%1$d/v1/collections/ads/search?q=bicycle'
            curl -s 'http://127.0.0.1:%1$d/v1/frontier'
            psql -h %2$s -p %3$d -U %4$s %5$s -c "INSERT INTO ads (id, title, price_cents) VALUES (1, 'yellow submarine', 999)"
            curl -s 'http://127.0.0.1:%1$d/v1/collections/ads/docs/1'
          The writer posts, edits and withdraws an ad every second. Ctrl-C stops everything.
          """,
          sidecar.port(), pg.host(), pg.port(), pg.user(), pg.database());
      Story story = new Story(deployment, 1_000_000_000L);
      trickling[0] = story;
      Thread trickle =
          new Thread(
              () -> {
                try {
                  story.run(
                      "serve",
                      ConsistencyLevel.SNAPSHOT,
                      new Story.Load(Duration.ofDays(365), 1, 30, 0, 1),
                      line -> {});
                } catch (Exception e) {
                  out.println("the writer stopped: " + e.getMessage());
                }
              },
              "classified-ads-trickle");
      trickle.setDaemon(true);
      trickle.start();
      stop.await();
      out.println("Stopping...");
      story.halt();
      trickle.join(5_000);
    } catch (RuntimeException e) {
      if (stop.getCount() > 0) {
        throw e;
      }
      // Stopping: devstack's own shutdown hook stops the stores at the same time, so closing the
      // coordinator may find PostgreSQL gone already. Nothing is left behind either way.
      org.slf4j.LoggerFactory.getLogger(ClassifiedAds.class)
          .info("while stopping: {}", e.toString());
    } finally {
      Files.deleteIfExists(options.workDir().resolve("dev.json"));
      out.println("Stopped the writer, the sidecar, the coordinator and the stores.");
      stopped.countDown();
    }
  }

  /** The first frontier comes once every store applied its first epoch. */
  private static void awaitFrontier(Deployment deployment) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (deployment.coordinator.frontier().get(Deployment.SOURCE).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "no frontier 60 s after the coordinator started; stores: "
                + deployment.coordinator.stores()
                + "; source: "
                + deployment.coordinator.sourceError());
      }
      Thread.sleep(20);
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /** One line rewritten in place on a terminal; one line per update otherwise. */
  private static final class Progress {
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private String last = "";
    private int shown;

    Progress(PrintStream out) {
      this.out = out;
    }

    void show(String line) {
      last = line;
      if (terminal) {
        out.print("\r  " + line);
        out.flush();
      } else if (++shown % 25 == 0) {
        out.println("  " + line);
      }
    }

    void done() {
      shown = 0;
      if (terminal) {
        out.println();
      } else {
        out.println("  " + last);
      }
    }
  }
}
