package io.tidemark.coordinator.sidecar;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.RemoteFrontierConfig;
import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.TidemarkConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tidemark sidecar --config FILE [--coordinator URL]}: the HTTP sidecar on its own, next to
 * a service. It reads the deployment's stores itself and learns the frontier from the coordinator's
 * sidecar (the one {@code tidemark run} serves), remembering it for a short refresh interval (see
 * {@link RemoteFrontierConfig}).
 */
@Command(
    name = "sidecar",
    description =
        "Serve snapshots and snapshot reads over HTTP next to a service, learning the frontier"
            + " from the coordinator (until SIGTERM/Ctrl-C).")
public final class SidecarCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "The YAML configuration file.")
  Path config;

  @Option(
      names = "--coordinator",
      description =
          "The coordinator's sidecar, e.g. http://10.0.0.5:7070 (default: the configuration's"
              + " sidecar.host and sidecar.port).")
  URI coordinator;

  @Option(
      names = "--host",
      description = "The address to listen on (default: the configuration's sidecar.host).")
  String host;

  @Option(
      names = "--port",
      description = "The port to listen on (default: the configuration's sidecar.port).")
  Integer port;

  @Option(
      names = "--refresh-millis",
      defaultValue = "20",
      description = "How long a frontier learned from the coordinator is reused (default: 20).")
  long refreshMillis;

  @Override
  public Integer call() throws InterruptedException {
    Sidecar sidecar = open();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sidecar.close();
                  stopped.countDown();
                },
                "tidemark-sidecar-shutdown"));
    stopped.await();
    return 0;
  }

  /** Reads the configuration and starts the sidecar the options describe. */
  Sidecar open() {
    TidemarkConfig parsed = ConfigLoader.load(config);
    TidemarkConfig.Sidecar configured = parsed.sidecar();
    String token = configured.token() == null ? "" : configured.token().value();
    URI upstream =
        coordinator != null
            ? coordinator
            : URI.create("http://" + configured.host() + ":" + configured.port());
    SidecarOptions options =
        SidecarOptions.defaults()
            .withAddress(
                host != null ? host : configured.host(), port != null ? port : configured.port())
            .withBearerToken(token);
    FrontierSource frontier =
        FrontierSource.remote(
            RemoteFrontierConfig.of(upstream)
                .withBearerToken(token)
                .withRefreshInterval(java.time.Duration.ofMillis(refreshMillis)));
    return Sidecar.serve(parsed, frontier, options);
  }
}
