package io.tidemark.coordinator.sidecar;

import com.sun.net.httpserver.HttpServer;
import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.coordinator.Coordinator;
import io.tidemark.coordinator.TidemarkConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP sidecar (design §5): snapshots and snapshot reads for any language, JSON over HTTP/1.1,
 * on {@code 127.0.0.1:7070} by default. Its contract is {@code /v1/openapi.json}.
 *
 * <pre>{@code
 * // in `tidemark run`, beside the engine
 * try (Sidecar sidecar = Sidecar.serve(coordinator)) { ... }
 *
 * // standalone next to a service: `tidemark sidecar --config FILE --coordinator http://host:7070`
 * }</pre>
 *
 * Built on the client library: a {@link Tidemark} reads the stores, its {@link FrontierSource} is
 * the coordinator in this process or, standalone, the coordinator's sidecar over HTTP.
 */
public final class Sidecar implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Sidecar.class);

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm
    // and delayed ACKs stall each keep-alive response by up to 40 ms.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    // Past this many idle keep-alive connections the JDK server closes a connection right after
    // answering on it, without saying so; a client that reuses it meanwhile gets no answer. The
    // default (200) is far below what a busy sidecar has open.
    if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
      System.setProperty("sun.net.httpserver.maxIdleConnections", "10000");
    }
  }

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final ExecutorService answers;
  private final Tidemark tidemark;
  private final boolean ownsTidemark;
  private final SidecarOptions options;

  private Sidecar(
      HttpServer server,
      ThreadPoolExecutor executor,
      ExecutorService answers,
      Tidemark tidemark,
      boolean ownsTidemark,
      SidecarOptions options) {
    this.server = server;
    this.executor = executor;
    this.answers = answers;
    this.tidemark = tidemark;
    this.ownsTidemark = ownsTidemark;
    this.options = options;
  }

  /**
   * Serves a running coordinator's snapshots and its stores' reads, on the address its
   * configuration names ({@code sidecar.host}, {@code sidecar.port}, {@code sidecar.token}).
   */
  public static Sidecar serve(Coordinator coordinator) {
    TidemarkConfig.Sidecar s = coordinator.config().sidecar();
    return serve(coordinator, s.host(), s.port(), s.token() == null ? "" : s.token().value());
  }

  /** Serves a running coordinator on this address; an empty token turns authentication off. */
  public static Sidecar serve(Coordinator coordinator, String host, int port, String token) {
    SidecarOptions options =
        SidecarOptions.defaults().withAddress(host, port).withBearerToken(token);
    FrontierSource frontier = new CoordinatorFrontier(coordinator);
    Tidemark tidemark =
        ConfiguredStores.addTo(
                Tidemark.builder().sharedFrontier(frontier), coordinator.config(), options)
            .build();
    try {
      return start(tidemark, true, options, coordinator::scrapeMetrics);
    } catch (RuntimeException e) {
      tidemark.close();
      throw e;
    }
  }

  /**
   * Serves a configured deployment's stores, learning the frontier from {@code frontier} (for the
   * standalone sidecar: {@link FrontierSource#remote} on the coordinator's sidecar).
   */
  public static Sidecar serve(
      TidemarkConfig config, FrontierSource frontier, SidecarOptions options) {
    Tidemark tidemark =
        ConfiguredStores.addTo(Tidemark.builder().frontier(frontier), config, options).build();
    try {
      return start(tidemark, true, options, () -> "");
    } catch (RuntimeException e) {
      tidemark.close();
      throw e;
    }
  }

  /**
   * Serves reads through a {@link Tidemark} the caller built (and closes).
   *
   * @param engineMetrics Prometheus text to serve on {@code /metrics} before the sidecar's own
   */
  public static Sidecar start(
      Tidemark tidemark, SidecarOptions options, Supplier<String> engineMetrics) {
    return start(tidemark, false, options, engineMetrics);
  }

  private static Sidecar start(
      Tidemark tidemark,
      boolean ownsTidemark,
      SidecarOptions options,
      Supplier<String> engineMetrics) {
    HttpServer server;
    InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
    try {
      server = HttpServer.create(address, 1024);
    } catch (BindException e) {
      throw new IllegalStateException(
          "the sidecar cannot listen on "
              + options.host()
              + ":"
              + options.port()
              + " ("
              + e.getMessage()
              + "): is another sidecar running there? Choose another port (sidecar.port, or"
              + " --port)",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "the sidecar cannot listen on " + options.host() + ":" + options.port(), e);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            options.threads(),
            options.threads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(4096),
            r -> {
              Thread t = new Thread(r, "tidemark-sidecar-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            // A full queue makes the accepting thread serve: it stops accepting meanwhile.
            new ThreadPoolExecutor.CallerRunsPolicy());
    server.setExecutor(executor);
    // Answers to waits are tiny and due now: they get threads of their own rather than a place in
    // the queue behind store reads.
    ExecutorService answers =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "tidemark-sidecar-answer-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.createContext("/", new Router(tidemark, options, engineMetrics, answers));
    server.start();
    Sidecar sidecar = new Sidecar(server, executor, answers, tidemark, ownsTidemark, options);
    log.info(
        "sidecar listening on http://{}:{} ({}; frontier from {})",
        options.host(),
        sidecar.port(),
        options.bearerToken().isEmpty() ? "no authentication" : "bearer token required",
        tidemark.frontierSource());
    return sidecar;
  }

  /** The port it listens on (the chosen one when configured with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://host:port}. */
  public String baseUrl() {
    return "http://" + options.host() + ":" + port();
  }

  /** Stops listening, lets requests in progress finish (up to a second), closes its stores. */
  @Override
  public void close() {
    server.stop(1);
    answers.shutdown();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (ownsTidemark) {
      tidemark.close();
    }
  }
}
