package io.tidemark.connector.elasticsearch;

/** The Elasticsearch the integration tests use. */
final class TestCluster {

  /** Set to use a running cluster instead of devstack's, e.g. {@code http://127.0.0.1:9200}. */
  static final String URL_PROPERTY = "tidemark.test.elasticsearch.url";

  private TestCluster() {}

  static String url() {
    String url = System.getProperty(URL_PROPERTY);
    if (url != null && !url.isBlank()) {
      return url;
    }
    throw new IllegalStateException("set -D" + URL_PROPERTY);
  }
}
