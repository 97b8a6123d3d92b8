package io.tidemark.coordinator.sidecar;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.client.WritePath;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.redis.RedisStore;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The read path's figures, all in one run on the devstack's real stores: the sidecar's requests/s
 * for snapshot creation ({@code POST /v1/snapshots {}}) and for gets ({@code GET .../docs/{id}} at
 * a token, answered from Redis), then the client library's get latency against the direct store
 * read it wraps (Redis for a cache hit, PostgreSQL for the read database), interleaved so both see
 * the same noise.
 *
 * <pre>
 * ./mvnw -q -B -pl coordinator test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.tidemark.coordinator.sidecar.ReadPathBenchmark [-Dexec.args="5 16"]
 * </pre>
 *
 * Arguments: seconds per HTTP measurement (default 5), HTTP connections (default 16).
 */
public final class ReadPathBenchmark {

  static final int KEYS = 1000;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    try (WritePath path = new WritePath("sc")) {
      for (int i = 0; i < KEYS; i++) {
        path.commit("k" + i, Map.of("title", "bench ad " + i, "price", Integer.toString(i * 10)));
      }
      Stamp at = path.awaitQuiet(120_000);
      String c = path.collection;
      FrontierSource frontier = FrontierSource.inProcess(path.tracker, Stamp::empty, Set::of);
      try (Tidemark tidemark = path.client(frontier, "cache").build();
          Tidemark dbOnly =
              Tidemark.builder()
                  .sharedFrontier(frontier)
                  .source(WritePath.SOURCE)
                  .store(path.postgresConfig())
                  .collection(c, "readdb")
                  .build();
          Sidecar sidecar =
              Sidecar.start(
                  tidemark,
                  SidecarOptions.defaults().withAddress("127.0.0.1", 0).withThreads(16),
                  () -> "")) {
        String token = at.token();
        byte[] snapshotRequest =
            ("POST /v1/snapshots HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\n\r\n{}")
                .getBytes(StandardCharsets.US_ASCII);
        System.out.printf(
            Locale.ROOT,
            "read path benchmark: %d keys, %d HTTP connections, %d s per measurement, %d cores%n",
            KEYS,
            connections,
            seconds,
            Runtime.getRuntime().availableProcessors());
        double snapshots =
            httpRate(sidecar.port(), connections, seconds, i -> snapshotRequest, 201);
        double gets =
            httpRate(
                sidecar.port(),
                connections,
                seconds,
                i ->
                    ("GET /v1/collections/"
                            + c
                            + "/docs/k"
                            + (i % KEYS)
                            + "?snapshot="
                            + token
                            + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII),
                200);
        System.out.printf(
            Locale.ROOT,
            "sidecar snapshot creations: %,.0f requests/s (goal >= 20,000)%n",
            snapshots);
        System.out.printf(
            Locale.ROOT, "sidecar gets (Redis hit):  %,.0f requests/s (goal >= 5,000)%n", gets);

        Version version = at.get(WritePath.SOURCE).orElseThrow();
        try (RedisStore redis = RedisStore.open(path.redisConfig());
            PostgresStore pg = PostgresStore.open(path.postgresConfig())) {
          latency("cache hit (Redis)", 20_000, tidemark, c, version, redis::get);
          latency("read database (PostgreSQL)", 5_000, dbOnly, c, version, pg::get);
        }
      }
    }
  }

  /** A direct store read, as the client makes it. */
  interface Read {
    Lookup get(String collection, String key, Version at);
  }

  /**
   * p50/p99 of the client's {@code snapshot.get} against the direct read it wraps, alternating the
   * two in one loop.
   */
  static void latency(
      String what, int rounds, Tidemark tidemark, String collection, Version at, Read direct) {
    String storeCollection =
        collection.endsWith("_db") ? collection.substring(0, collection.length() - 3) : collection;
    Histogram client = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    Histogram store = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    Histogram withSnapshot = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    Snapshot s = tidemark.snapshot(Stamp.of(WritePath.SOURCE, at));
    long sink = 0;
    for (int i = -rounds / 5; i < rounds; i++) { // the first fifth warms up
      String key = "k" + Math.floorMod(i * 7919, KEYS);
      // Alternate which goes first, so neither always finds the connection warm.
      Lookup l;
      java.util.Optional<io.tidemark.client.Document> d;
      long directNanos;
      long clientNanos;
      if ((i & 1) == 0) {
        long t0 = System.nanoTime();
        l = direct.get(collection, key, at);
        long t1 = System.nanoTime();
        d = s.get(collection, key);
        long t2 = System.nanoTime();
        directNanos = t1 - t0;
        clientNanos = t2 - t1;
      } else {
        long t0 = System.nanoTime();
        d = s.get(collection, key);
        long t1 = System.nanoTime();
        l = direct.get(collection, key, at);
        long t2 = System.nanoTime();
        clientNanos = t1 - t0;
        directNanos = t2 - t1;
      }
      long t2 = System.nanoTime();
      var d2 = tidemark.snapshot().get(collection, key);
      long t3 = System.nanoTime();
      if (!l.isFound() || d.isEmpty() || d2.isEmpty()) {
        throw new IllegalStateException(what + ": key " + key + " not found: " + l + " " + d);
      }
      sink += d.get().doc().size() + d2.get().doc().size();
      if (i >= 0) {
        store.recordValue(directNanos);
        client.recordValue(clientNanos);
        withSnapshot.recordValue(t3 - t2);
      }
    }
    double p50Store = store.getValueAtPercentile(50) / 1000.0;
    double p50Client = client.getValueAtPercentile(50) / 1000.0;
    System.out.printf(
        Locale.ROOT,
        "%s, %d rounds: direct store read p50 %.1f us (p99 %.1f); client get p50 %.1f us (p99 %.1f);"
            + " ratio %.3f (goal <= 1.1); snapshot()+get p50 %.1f us, ratio %.3f%s%n",
        what,
        rounds,
        p50Store,
        store.getValueAtPercentile(99) / 1000.0,
        p50Client,
        client.getValueAtPercentile(99) / 1000.0,
        p50Client / p50Store,
        withSnapshot.getValueAtPercentile(50) / 1000.0,
        withSnapshot.getValueAtPercentile(50) / 1000.0 / p50Store,
        sink == 0 ? "!" : "");
  }

  /** A request per index. */
  interface Requests {
    byte[] request(long i);
  }

  /**
   * Requests/s over keep-alive connections, each a thread sending one request and reading its
   * answer (no pipelining), after a one-second warm-up.
   */
  static double httpRate(int port, int connections, int seconds, Requests requests, int expected)
      throws Exception {
    AtomicBoolean counting = new AtomicBoolean(false);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    AtomicLong wrong = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < connections; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                  socket.setTcpNoDelay(true);
                  OutputStream out = socket.getOutputStream();
                  InputStream in = new BufferedInputStream(socket.getInputStream(), 16384);
                  long i = id;
                  while (running.get()) {
                    out.write(requests.request(i));
                    out.flush();
                    int status = readResponse(in);
                    if (status != expected) {
                      wrong.incrementAndGet();
                    }
                    if (counting.get()) {
                      done.incrementAndGet();
                    }
                    i += connections;
                  }
                } catch (IOException e) {
                  if (running.get()) {
                    throw new IllegalStateException(e);
                  }
                }
              },
              "bench-http-" + t);
      thread.start();
      threads.add(thread);
    }
    Thread.sleep(1000);
    counting.set(true);
    long start = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    counting.set(false);
    long elapsed = System.nanoTime() - start;
    long count = done.get();
    running.set(false);
    for (Thread t : threads) {
      t.join(10_000);
    }
    if (wrong.get() > 0) {
      throw new IllegalStateException(wrong.get() + " answers were not " + expected);
    }
    return count / (elapsed / 1e9);
  }

  /** Reads one HTTP/1.1 answer with a Content-Length; returns its status. */
  static int readResponse(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int status = -1;
    int length = 0;
    boolean first = true;
    while (true) {
      line.setLength(0);
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new IOException("connection closed");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      if (line.length() == 0) {
        break;
      }
      String text = line.toString();
      if (first) {
        status = Integer.parseInt(text.substring(9, 12));
        first = false;
      } else if (text.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(text.substring(15).trim());
      }
    }
    in.skipNBytes(length);
    return status;
  }
}
