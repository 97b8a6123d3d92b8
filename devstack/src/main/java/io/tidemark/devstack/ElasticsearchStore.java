package io.tidemark.devstack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One Elasticsearch node from the integ-test distribution: a single-node cluster without security,
 * its configuration, data, logs and temporary files all inside its folder, on the JVM that runs
 * devstack.
 */
final class ElasticsearchStore extends LocalStore {
  private static final String CLUSTER = "tidemark-devstack";
  private static final Pattern USABLE = Pattern.compile("\"status\"\\s*:\\s*\"(green|yellow)\"");

  private Path home;
  private final int httpPort;
  private final int transportPort;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

  ElasticsearchStore(Path folder, Host host, Duration startupTimeout) {
    super(StoreKind.ELASTICSEARCH, folder, host, startupTimeout);
    this.httpPort = Ports.free();
    this.transportPort = Ports.free();
  }

  private Path config() {
    return folder().resolve("config");
  }

  @Override
  void prepare(Deadline deadline) throws IOException {
    home = ElasticsearchDistribution.home();
    Path source = home.resolve("config");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path copy = config().resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Files.writeString(
        config().resolve("elasticsearch.yml"),
        String.join(
            "\n",
            "# tidemark devstack",
            "cluster.name: " + CLUSTER,
            "node.name: devstack",
            "path.data: " + folder().resolve("data"),
            "path.logs: " + folder().resolve("logs"),
            "network.host: " + Ports.HOST,
            "http.port: " + httpPort,
            "transport.port: " + transportPort,
            "discovery.type: single-node",
            "xpack.security.enabled: false",
            "cluster.routing.allocation.disk.threshold_enabled: false",
            // Tests clean up with wildcard index deletes.
            "action.destructive_requires_name: false",
            ""));
    Files.createDirectories(folder().resolve("data"));
    Files.createDirectories(folder().resolve("logs"));
    Files.createDirectories(folder().resolve("tmp"));
  }

  @Override
  List<String> command() {
    return List.of(home.resolve("bin/elasticsearch").toString());
  }

  @Override
  void environment(Map<String, String> env) {
    env.put("ES_JAVA_HOME", System.getProperty("java.home"));
    env.remove("JAVA_HOME");
    env.put("ES_PATH_CONF", config().toString());
    env.put("ES_TMPDIR", folder().resolve("tmp").toString());
    env.put("ES_JAVA_OPTS", "-Xms512m -Xmx512m");
  }

  /** {@code GET /} answers 405 in this distribution; cluster health is the readiness probe. */
  @Override
  boolean ready() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(info().httpUrl() + "/_cluster/health"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && USABLE.matcher(response.body()).find();
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  /** The launcher stops the server JVM on SIGTERM; that can take a while on a busy node. */
  @Override
  Duration stopGrace() {
    return Duration.ofSeconds(20);
  }

  @Override
  List<Path> logs() {
    return List.of(outputLog(), folder().resolve("logs").resolve(CLUSTER + ".log"));
  }

  @Override
  ElasticsearchInfo info() {
    return new ElasticsearchInfo(Ports.HOST, httpPort);
  }
}
