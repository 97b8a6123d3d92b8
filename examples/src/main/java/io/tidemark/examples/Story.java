package io.tidemark.examples;

import io.tidemark.client.Document;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * One run of the story: a writer posts, edits and withdraws ads (an ad and its images in one
 * transaction) while readers search for ads, click a hit and load its detail. The reads are either
 * each store's latest value ({@link ConsistencyLevel#LATEST}, as teams do today) or one Tidemark
 * snapshot per page view. Both runs use the same stores, writer and pacing.
 */
final class Story {

  static final String[] ITEMS = {
    "bicycle", "sofa", "guitar", "camera", "stroller", "laptop", "kayak", "lamp"
  };
  private static final String[] COLORS = {"red", "blue", "green", "black", "white", "vintage"};
  private static final String[] CONDITIONS = {"like new", "barely used", "must go", "bargain"};

  /** How one run is loaded; the same for both runs. */
  record Load(
      Duration duration, int writesPerSecond, int liveAds, int readers, int viewsPerSecond) {}

  /** What one run measured. */
  record Result(
      String name,
      long writes,
      long searches,
      long clicks,
      long notFound,
      long stale,
      long errors,
      String firstError,
      long[] searchNanos,
      long[] detailNanos,
      long[] visibilityNanos,
      long[] notFoundPerSecond,
      long[] stalePerSecond,
      long[] clicksPerSecond) {

    static long percentile(long[] sorted, double p) {
      if (sorted.length == 0) {
        return 0;
      }
      int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  private final Deployment deployment;
  private final AtomicLong nextId;
  private volatile boolean halted;

  Story(Deployment deployment, long firstId) {
    this.deployment = deployment;
    this.nextId = new AtomicLong(firstId);
  }

  /** Ends a run in progress early (for {@code --serve}: Ctrl-C). */
  void halt() {
    halted = true;
  }

  /** A committed writer transaction: when, and an upper bound on its commit LSN. */
  private record Commit(long nanos, Version upper) {}

  /**
   * Runs the load for its duration, reading at {@code level}.
   *
   * @param progress called about once a second with a one-line summary
   */
  Result run(String name, ConsistencyLevel level, Load load, Consumer<String> progress)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    int seconds = (int) Math.min(3600, Math.max(1, load.duration().toSeconds()));
    AtomicLongArray notFoundAt = new AtomicLongArray(seconds + 1);
    AtomicLongArray staleAt = new AtomicLongArray(seconds + 1);
    AtomicLongArray clicksAt = new AtomicLongArray(seconds + 1);
    AtomicLong searches = new AtomicLong();
    AtomicLong clicks = new AtomicLong();
    AtomicLong notFound = new AtomicLong();
    AtomicLong stale = new AtomicLong();
    AtomicLong writes = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<String> firstError =
        new java.util.concurrent.atomic.AtomicReference<>("");
    ConcurrentLinkedQueue<Long> searchNanos = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> detailNanos = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Commit> commits = new ConcurrentLinkedQueue<>();
    List<Long> visibility = new ArrayList<>();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();

    threads.add(thread(name + "-writer", () -> write(load, running, commits, writes), running));
    Tidemark tidemark = deployment.tidemark;
    for (int r = 0; r < load.readers(); r++) {
      Random random = new Random(31L * r + 7);
      long pauseNanos = 1_000_000_000L * load.readers() / Math.max(1, load.viewsPerSecond());
      threads.add(
          thread(
              name + "-reader-" + r,
              () -> {
                long next = System.nanoTime();
                while (running.get()) {
                  next += pauseNanos;
                  sleepUntil(next);
                  Runnable view =
                      () -> {
                        String word = ITEMS[random.nextInt(ITEMS.length)];
                        Snapshot snapshot = tidemark.snapshot();
                        long t0 = System.nanoTime();
                        List<Document> hits = snapshot.search("ads", word, 10, level);
                        long t1 = System.nanoTime();
                        searchNanos.add(t1 - t0);
                        searches.incrementAndGet();
                        if (hits.isEmpty()) {
                          return;
                        }
                        Document hit = hits.get(random.nextInt(hits.size()));
                        Optional<Document> detail = snapshot.get("ads", hit.id(), level);
                        long t2 = System.nanoTime();
                        detailNanos.add(t2 - t1);
                        int second = (int) Math.min(seconds, (t2 - start) / 1_000_000_000L);
                        clicks.incrementAndGet();
                        clicksAt.incrementAndGet(second);
                        if (detail.isEmpty()) {
                          notFound.incrementAndGet();
                          notFoundAt.incrementAndGet(second);
                        } else if (detail.get().version().isBefore(hit.version())) {
                          stale.incrementAndGet();
                          staleAt.incrementAndGet(second);
                        }
                      };
                  try {
                    view.run();
                  } catch (RuntimeException e) {
                    errors.incrementAndGet(); // counted and shown; the reader goes on
                    firstError.compareAndSet("", e.toString());
                  }
                }
              },
              running));
    }
    // Visibility: from the writer's commit until searches at this level can see it (the search
    // store's watermark for latest reads, the frontier for snapshots).
    threads.add(
        thread(
            name + "-visibility",
            () -> {
              ArrayDeque<Commit> pending = new ArrayDeque<>();
              long[] stoppedAt = {System.nanoTime()};
              while (running.get() || !pending.isEmpty()) {
                for (Commit c; (c = commits.poll()) != null; ) {
                  pending.add(c);
                }
                Stamp visible =
                    level == ConsistencyLevel.SNAPSHOT
                        ? deployment.coordinator.frontier()
                        : deployment.coordinator.stores().get("search").watermark();
                Version at = visible.getOrElse(Deployment.SOURCE, Version.ZERO);
                long now = System.nanoTime();
                while (!pending.isEmpty() && !pending.peek().upper().isAfter(at)) {
                  visibility.add(now - pending.poll().nanos());
                }
                if (running.get()) {
                  stoppedAt[0] = now;
                } else if (now - stoppedAt[0] > 10_000_000_000L) {
                  break; // not visible 10 s after the end: leave it out
                }
                sleepUntil(now + 2_000_000L);
              }
            },
            null));

    long end = start + load.duration().toNanos();
    while (System.nanoTime() < end && !halted) {
      sleepUntil(Math.min(end, System.nanoTime() + 200_000_000L));
      progress.accept(
          String.format(
              "%-8s %3d/%ds  writes %,6d  searches %,6d  clicks %,6d  404 %,5d  stale %,5d",
              name,
              Math.min(seconds, (System.nanoTime() - start) / 1_000_000_000L),
              seconds,
              writes.get(),
              searches.get(),
              clicks.get(),
              notFound.get(),
              stale.get()));
    }
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    return new Result(
        name,
        writes.get(),
        searches.get(),
        clicks.get(),
        notFound.get(),
        stale.get(),
        errors.get(),
        firstError.get(),
        sorted(searchNanos),
        sorted(detailNanos),
        sorted(visibility),
        toArray(notFoundAt),
        toArray(staleAt),
        toArray(clicksAt));
  }

  /**
   * Posts {@code count} ads in one transaction and waits until a snapshot holds them, so both runs
   * start on the same live ads and a searchable index.
   */
  void seed(int count, Duration timeout) throws SQLException, InterruptedException {
    Random random = new Random(1);
    Version upper;
    try (Connection c = deployment.connect()) {
      c.setAutoCommit(false);
      for (int i = 0; i < count; i++) {
        post(c, nextId.getAndIncrement(), random);
      }
      c.commit();
      upper = walInsertLsn(c);
      c.commit();
    }
    if (deployment
        .tidemark
        .frontierSource()
        .awaitCovering(Stamp.of(Deployment.SOURCE, upper), timeout)
        .isEmpty()) {
      throw new IllegalStateException(
          "the first "
              + count
              + " ads did not reach every store within "
              + timeout
              + "; stores: "
              + deployment.coordinator.stores());
    }
  }

  /** Posts, edits and withdraws ads at the load's rate, keeping about {@code liveAds} live. */
  private void write(
      Load load, AtomicBoolean running, ConcurrentLinkedQueue<Commit> commits, AtomicLong writes) {
    Random random = new Random(42);
    List<Long> live = new ArrayList<>(liveAds());
    long pause = 1_000_000_000L / Math.max(1, load.writesPerSecond());
    try (Connection c = deployment.connect()) {
      c.setAutoCommit(false);
      long next = System.nanoTime();
      while (running.get()) {
        next += pause;
        sleepUntil(next);
        double dice = random.nextDouble();
        if (live.size() < load.liveAds() * 9 / 10 || (dice < 0.4 && live.size() < load.liveAds())) {
          long id = nextId.getAndIncrement();
          post(c, id, random);
          live.add(id);
        } else if (dice < 0.7) {
          edit(c, live.get(random.nextInt(live.size())), random);
        } else {
          withdraw(c, live.remove(random.nextInt(live.size())));
        }
        c.commit();
        commits.add(new Commit(System.nanoTime(), walInsertLsn(c)));
        c.commit();
        writes.incrementAndGet();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the writer failed: " + e.getMessage(), e);
    }
  }

  /** The ads live now (those the previous run or a user left are edited and withdrawn too). */
  private List<Long> liveAds() {
    List<Long> ids = new ArrayList<>();
    try (Connection c = deployment.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id FROM ads")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot list the live ads: " + e.getMessage(), e);
    }
    return ids;
  }

  /** Posts one ad and its images (the caller commits: one transaction). */
  static void post(Connection c, long id, Random random) throws SQLException {
    String title =
        COLORS[random.nextInt(COLORS.length)]
            + " "
            + ITEMS[random.nextInt(ITEMS.length)]
            + ", "
            + CONDITIONS[random.nextInt(CONDITIONS.length)];
    try (PreparedStatement ad =
            c.prepareStatement(
                "INSERT INTO ads (id, title, price_cents, seller) VALUES (?, ?, ?, ?)");
        PreparedStatement image =
            c.prepareStatement("INSERT INTO ad_images (id, ad_id, url) VALUES (?, ?, ?)")) {
      ad.setLong(1, id);
      ad.setString(2, title);
      ad.setInt(3, 500 + random.nextInt(50_000));
      ad.setString(4, "seller-" + random.nextInt(100));
      ad.executeUpdate();
      for (int n = 1; n <= 2; n++) {
        image.setLong(1, id * 10 + n);
        image.setLong(2, id);
        image.setString(3, "https://img.example/ads/" + id + "/" + n + ".jpg");
        image.executeUpdate();
      }
    }
  }

  private static void edit(Connection c, long id, Random random) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE ads SET price_cents = ? WHERE id = ?")) {
      s.setInt(1, 500 + random.nextInt(50_000));
      s.setLong(2, id);
      s.executeUpdate();
    }
  }

  private static void withdraw(Connection c, long id) throws SQLException {
    try (PreparedStatement images = c.prepareStatement("DELETE FROM ad_images WHERE ad_id = ?");
        PreparedStatement ad = c.prepareStatement("DELETE FROM ads WHERE id = ?")) {
      images.setLong(1, id);
      images.executeUpdate();
      ad.setLong(1, id);
      ad.executeUpdate();
    }
  }

  /** At or above the commit LSN of the transaction just committed on {@code c} (design §6). */
  private static Version walInsertLsn(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  private Thread thread(String name, Runnable body, AtomicBoolean stopOnFailure) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (RuntimeException e) {
                if (stopOnFailure != null) {
                  stopOnFailure.set(false);
                }
                if (!halted) {
                  throw e; // when halted, the stores are going away: an error is expected
                }
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  static void sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private static long[] sorted(java.util.Collection<Long> values) {
    long[] out = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(out);
    return out;
  }

  private static long[] toArray(AtomicLongArray a) {
    long[] out = new long[a.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i);
    }
    return out;
  }
}
