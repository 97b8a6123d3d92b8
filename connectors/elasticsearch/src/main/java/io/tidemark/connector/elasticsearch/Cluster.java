package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.TransportException;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import io.tidemark.protocol.store.StoreUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;

/**
 * The connection to the cluster and the one place that decides what a failure means: retry later
 * (unreachable, overloaded, server error) or stop (the request itself is wrong).
 */
final class Cluster implements AutoCloseable {

  private final String storeName;
  private final RestClient restClient;
  private final ElasticsearchClient client;

  Cluster(ElasticsearchStoreConfig config) {
    this.storeName = config.storeName();
    HttpHost[] hosts = config.urls().stream().map(Cluster::host).toArray(HttpHost[]::new);
    int timeoutMillis = (int) config.requestTimeout().toMillis();
    this.restClient =
        RestClient.builder(hosts)
            .setRequestConfigCallback(
                request ->
                    request
                        .setConnectTimeout(Math.min(timeoutMillis, 5_000))
                        .setSocketTimeout(timeoutMillis)
                        .setConnectionRequestTimeout(timeoutMillis))
            .build();
    this.client =
        new ElasticsearchClient(
            new RestClientTransport(restClient, new JacksonJsonpMapper(Json.MAPPER)));
  }

  private static HttpHost host(URI url) {
    int port = url.getPort() >= 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 9200;
    return new HttpHost(url.getHost(), port, url.getScheme());
  }

  ElasticsearchClient client() {
    return client;
  }

  String storeName() {
    return storeName;
  }

  /** Whether a failed item or request with this HTTP status may succeed if sent again. */
  static boolean isRetryable(int status) {
    return status == 429 || status == 408 || status == 404 || status == 409 || status >= 500;
  }

  /**
   * Whether a failed request may succeed later: the cluster was unreachable, timed out, or answered
   * with a status {@link #isRetryable} accepts.
   */
  static boolean isRetryable(Exception failure) {
    if (failure instanceof ElasticsearchException es) {
      return isRetryable(es.status());
    }
    if (failure instanceof TransportException transport) {
      return transport.statusCode() <= 0 || isRetryable(transport.statusCode());
    }
    return failure instanceof IOException;
  }

  /** Whether the failure says the index does not exist. */
  static boolean isIndexMissing(Exception failure) {
    return failure instanceof ElasticsearchException es
        && es.error() != null
        && "index_not_found_exception".equals(es.error().type());
  }

  /** A short description of a failed request, for reasons and exception messages. */
  static String describe(Exception failure) {
    if (failure instanceof ElasticsearchException es && es.error() != null) {
      return es.status() + " " + es.error().type() + ": " + es.error().reason();
    }
    String message = failure.getMessage();
    return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /**
   * The exception for a read or control request that failed: {@link StoreUnavailableException} when
   * it may pass, {@link IllegalArgumentException} when the request itself is wrong.
   */
  RuntimeException failure(String what, Exception failure) {
    if (isRetryable(failure)) {
      return new StoreUnavailableException(
          storeName, what + " failed: " + describe(failure), failure);
    }
    return new IllegalArgumentException(
        "store '" + storeName + "': " + what + " was refused: " + describe(failure), failure);
  }

  /** A source document as Elasticsearch returns it. */
  static final class Source extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;
  }

  @Override
  public void close() {
    try {
      restClient.close();
    } catch (IOException e) {
      // Closing only releases connections; nothing to recover.
    }
  }
}
