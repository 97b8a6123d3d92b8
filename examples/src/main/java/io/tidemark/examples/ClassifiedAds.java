package io.tidemark.examples;

import io.tidemark.coordinator.sidecar.Sidecar;
import io.tidemark.devstack.Devstack;
import io.tidemark.protocol.ConsistencyLevel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
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
      String delayedStore,
      Duration delay,
      int readers,
      int viewsPerSecond,
      int writesPerSecond,
      int liveAds,
      boolean serve,
      Path workDir) {

    static Options defaults() {
      return new Options(
          Duration.ofSeconds(20),
          "search",
          Duration.ofMillis(250),
          2,
          150,
          40,
          120,
          false,
          Path.of(".tidemark"));
    }

    String delayText() {
      return delayedStore == null || delay.isZero()
          ? "none added: every store at its natural speed"
          : "+"
              + delay.toMillis()
              + " ms per request in the coordinator's '"
              + delayedStore
              + "' lane (readers use the store directly)";
    }
  }

  /** Both runs' measurements, and where the report went. */
  record Outcome(Story.Result latest, Story.Result snapshot, Path report) {}

  private ClassifiedAds() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "classified-ads-logback.xml");
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
        --seconds N              length of each of the two runs (default 20)
        --delay STORE=DURATION   slow the coordinator's lane to one store: search, cache, memo or
                                 readdb, e.g. search=250ms (the default), readdb=1s
        --no-delay               every store at its natural speed
        --serve                  keep the stack, coordinator and sidecar running until Ctrl-C,
                                 the writer trickling ads; writes .tidemark/dev.json""";

  static Options parse(String[] args) {
    Options o = Options.defaults();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--seconds" -> {
          int s = Integer.parseInt(value(args, ++i, arg));
          if (s < 2) {
            throw new IllegalArgumentException("--seconds must be at least 2, got " + s);
          }
          o = with(o, Duration.ofSeconds(s), o.delayedStore(), o.delay(), o.serve());
        }
        case "--delay" -> {
          String v = value(args, ++i, arg);
          int eq = v.indexOf('=');
          if (eq < 0) {
            throw new IllegalArgumentException(
                "--delay takes STORE=DURATION (e.g. search=250ms), got '" + v + "'");
          }
          o = with(o, o.runTime(), v.substring(0, eq), duration(v.substring(eq + 1)), o.serve());
        }
        case "--no-delay" -> o = with(o, o.runTime(), null, Duration.ZERO, o.serve());
        case "--serve" -> o = with(o, o.runTime(), o.delayedStore(), o.delay(), true);
        case "-h", "--help" -> throw new IllegalArgumentException("");
        default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
    }
    if (o.delayedStore() != null
        && !java.util.List.of("search", "cache", "memo", "readdb").contains(o.delayedStore())) {
      throw new IllegalArgumentException(
          "--delay names store '" + o.delayedStore() + "'; valid: search, cache, memo, readdb");
    }
    return o;
  }

  private static Options with(
      Options o, Duration runTime, String store, Duration delay, boolean serve) {
    return new Options(
        runTime,
        store,
        delay,
        o.readers(),
        o.viewsPerSecond(),
        o.writesPerSecond(),
        o.liveAds(),
        serve,
        o.workDir());
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
      try (Deployment deployment =
          new Deployment(stack, options.delayedStore(), options.delay(), options.workDir())) {
        out.println("Coordinator started: PostgreSQL -> Debezium -> search, cache, memo, readdb.");
        out.println("Extra delay: " + options.delayText() + ".");
        awaitFrontier(deployment);
        Story story = new Story(deployment, 1 + new Random().nextInt(1000) * 1_000_000L);
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
        Story.Result latest = story.run("latest", ConsistencyLevel.LATEST, load, progress::show);
        progress.done();
        Story.Result snapshot =
            story.run("snapshot", ConsistencyLevel.SNAPSHOT, load, progress::show);
        progress.done();
        out.println();
        out.print(Report.table(latest, snapshot));
        out.println();
        out.print(Report.sentences(latest, snapshot, options.delayText()));
        Path report = options.workDir().resolve("classified-ads-report.html").toAbsolutePath();
        String setup =
            "Same stores, same writer, same readers, run twice for %d s each: first reading each"
                + " store's latest value, then through Tidemark snapshots."
                    .formatted(options.runTime().toSeconds());
        Files.writeString(report, Report.html(latest, snapshot, options.delayText(), setup));
        out.println();
        out.println("Report with a chart of anomalies over time: " + report);
        out.printf(
            Locale.ROOT, "Done in %.0f s; everything started has been stopped.%n", seconds(began));
        return new Outcome(latest, snapshot, report);
      }
    }
  }

  /** Keeps everything running until Ctrl-C, the writer trickling, and writes dev.json. */
  static void serve(Options options, PrintStream out) throws Exception {
    out.println("Starting PostgreSQL, Elasticsearch, Redis and Memcached (devstack)...");
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    stopped.await(30, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "classified-ads-stop"));
    Duration delay = options.delay();
    // No delay unless asked for: the sidecar reads through the configured addresses.
    boolean delayAsked = false;
    try (Devstack stack = Devstack.builder().start();
        Deployment deployment =
            new Deployment(
                stack, delayAsked ? options.delayedStore() : null, delay, options.workDir());
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
    } finally {
      Files.deleteIfExists(options.workDir().resolve("dev.json"));
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
      } else if (++shown % 5 == 0) {
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
