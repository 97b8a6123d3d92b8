package io.tidemark.connector.elasticsearch;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How to reach an Elasticsearch cluster and lay out a store in it. Validated when built: a bad
 * value is rejected naming the setting, the value and what would be valid.
 *
 * @param urls the cluster's HTTP addresses, e.g. {@code http://127.0.0.1:9200}; at least one
 * @param indexPrefix put in front of every collection's index name ({@code tm-} gives {@code
 *     tm-ads}); lower case, without {@code \ / * ? " < > | , # :} or spaces; it also names the
 *     store's watermark documents, so two stores in one cluster need different prefixes
 * @param storeName the store's name in the deployment (e.g. {@code search}), used in errors and
 *     recorded with the watermark
 * @param maxBulkBytes the largest bulk request body sent at once; an epoch bigger than that goes in
 *     several bulks, one after another. 64 KiB to 100 MiB (Elasticsearch's default request limit)
 * @param requestTimeout how long one request may take before the store counts as unavailable
 * @param keyCacheSize how many keys' current versions (with their documents, to close them without
 *     asking the store) the writer remembers; keys written since the last refresh are kept beyond
 *     it, because a search cannot find them yet. 0 disables the cache (every write asks the store)
 * @param searchFields the fields a text search looks in, with optional {@code ^boost}; {@code *}
 *     means every searchable field of the documents ({@code _tm_} fields are never searched: field
 *     patterns skip names that start with {@code _})
 */
public record ElasticsearchStoreConfig(
    List<URI> urls,
    String indexPrefix,
    String storeName,
    int maxBulkBytes,
    Duration requestTimeout,
    int keyCacheSize,
    List<String> searchFields) {

  public static final String DEFAULT_INDEX_PREFIX = "tm-";
  public static final String DEFAULT_STORE_NAME = "elasticsearch";
  public static final int DEFAULT_MAX_BULK_BYTES = 8 * 1024 * 1024;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_KEY_CACHE_SIZE = 100_000;

  static final int MIN_BULK_BYTES = 64 * 1024;
  static final int MAX_BULK_BYTES = 100 * 1024 * 1024;

  public ElasticsearchStoreConfig {
    Objects.requireNonNull(urls, "urls");
    urls = List.copyOf(urls);
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("urls is empty: give at least one, e.g. http://host:9200");
    }
    for (URI url : urls) {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https"))
          || url.getHost() == null
          || (url.getPath() != null && !url.getPath().isEmpty() && !url.getPath().equals("/"))) {
        throw new IllegalArgumentException(
            "url '"
                + url
                + "' is not valid: expected http(s)://host[:port], e.g. http://host:9200");
      }
    }
    Objects.requireNonNull(indexPrefix, "indexPrefix");
    if (!indexPrefix.isEmpty()) {
      String problem = Layout.indexNameProblem(indexPrefix);
      if (problem != null) {
        throw new IllegalArgumentException(
            "indexPrefix '"
                + indexPrefix
                + "' "
                + problem
                + ": use lower-case letters, digits and - _ . + not starting with - _ +, e.g. tm-");
      }
    }
    Objects.requireNonNull(storeName, "storeName");
    if (storeName.isBlank()) {
      throw new IllegalArgumentException("storeName is blank: name the store, e.g. search");
    }
    if (maxBulkBytes < MIN_BULK_BYTES || maxBulkBytes > MAX_BULK_BYTES) {
      throw new IllegalArgumentException(
          "maxBulkBytes "
              + maxBulkBytes
              + " is out of range: use "
              + MIN_BULK_BYTES
              + " to "
              + MAX_BULK_BYTES
              + " (default "
              + DEFAULT_MAX_BULK_BYTES
              + ")");
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative()
        || requestTimeout.isZero()
        || requestTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "requestTimeout " + requestTimeout + " is not valid: use a positive duration, e.g. 30s");
    }
    if (keyCacheSize < 0) {
      throw new IllegalArgumentException(
          "keyCacheSize " + keyCacheSize + " is negative: use 0 (no cache) or more");
    }
    Objects.requireNonNull(searchFields, "searchFields");
    searchFields = List.copyOf(searchFields);
    if (searchFields.isEmpty() || searchFields.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException(
          "searchFields " + searchFields + " is not valid: list field names or patterns, e.g. *");
    }
  }

  /** The defaults for a cluster at {@code url}, e.g. {@code http://127.0.0.1:9200}. */
  public static ElasticsearchStoreConfig of(String url) {
    Objects.requireNonNull(url, "url");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "url '" + url + "' is not valid: expected http(s)://host[:port], e.g. http://host:9200",
          e);
    }
    return new ElasticsearchStoreConfig(
        List.of(uri),
        DEFAULT_INDEX_PREFIX,
        DEFAULT_STORE_NAME,
        DEFAULT_MAX_BULK_BYTES,
        DEFAULT_REQUEST_TIMEOUT,
        DEFAULT_KEY_CACHE_SIZE,
        List.of("*"));
  }

  public ElasticsearchStoreConfig withIndexPrefix(String indexPrefix) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }

  public ElasticsearchStoreConfig withStoreName(String storeName) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }

  public ElasticsearchStoreConfig withMaxBulkBytes(int maxBulkBytes) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }

  public ElasticsearchStoreConfig withRequestTimeout(Duration requestTimeout) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }

  public ElasticsearchStoreConfig withKeyCacheSize(int keyCacheSize) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }

  public ElasticsearchStoreConfig withSearchFields(List<String> searchFields) {
    return new ElasticsearchStoreConfig(
        urls, indexPrefix, storeName, maxBulkBytes, requestTimeout, keyCacheSize, searchFields);
  }
}
