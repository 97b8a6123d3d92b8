package io.tidemark.connector.elasticsearch;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;

/**
 * The Elasticsearch the integration tests and the benchmark use: devstack's shared node (started on
 * first use, stopped when the JVM exits), or a running cluster named by a system property.
 */
final class TestCluster {

  /** Set to use a running cluster instead of devstack's, e.g. {@code http://127.0.0.1:9200}. */
  static final String URL_PROPERTY = "tidemark.test.elasticsearch.url";

  private TestCluster() {}

  static String url() {
    String url = System.getProperty(URL_PROPERTY);
    if (url != null && !url.isBlank()) {
      return url;
    }
    return Devstack.shared(StoreKind.ELASTICSEARCH).elasticsearch().httpUrl();
  }
}
