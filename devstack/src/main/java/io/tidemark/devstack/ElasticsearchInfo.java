package io.tidemark.devstack;

import java.net.URI;

/**
 * Where a started Elasticsearch answers HTTP (security disabled: plain HTTP, no credentials).
 *
 * @param host always {@code 127.0.0.1}
 * @param port the HTTP port, stable across {@link StoreHandle#restart()}
 */
public record ElasticsearchInfo(String host, int port) {

  /** {@code http://127.0.0.1:PORT}, without a trailing slash. */
  public String httpUrl() {
    return "http://" + host + ":" + port;
  }

  /** {@link #httpUrl()} as a URI. */
  public URI uri() {
    return URI.create(httpUrl());
  }
}
