package io.tidemark.connector.memcached;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to reach the Memcached servers that serve as a Tidemark cache, validated when built.
 *
 * @param storeName the store's name in the deployment (e.g. {@code cache}); it appears in errors
 * @param addresses {@code host:port} of each server (keys are spread by consistent hashing)
 * @param timeout how long one operation may take before the store counts as unavailable
 * @param maxVersionsPerKey the most versions a key's list keeps: writing one more drops the oldest.
 *     Reads at a snapshot older than the oldest kept version miss, which a cache may always do.
 * @param maxCasAttempts how often a write retries when another writer changed the key between its
 *     read and its compare-and-set, before the write is reported retryable
 */
public record MemcachedStoreConfig(
    String storeName,
    List<String> addresses,
    Duration timeout,
    int maxVersionsPerKey,
    int maxCasAttempts) {

  /** Defaults: 2 s per operation, 8 versions per key, 10 CAS attempts. */
  public static MemcachedStoreConfig of(String storeName, String... addresses) {
    return new MemcachedStoreConfig(storeName, List.of(addresses), Duration.ofSeconds(2), 8, 10);
  }

  public MemcachedStoreConfig {
    Objects.requireNonNull(storeName, "storeName");
    Objects.requireNonNull(timeout, "timeout");
    addresses = List.copyOf(addresses);
    if (storeName.isBlank()) {
      throw new IllegalArgumentException("storeName is blank: name the store, e.g. 'cache'");
    }
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException(
          "addresses is empty: give at least one host:port, e.g. 127.0.0.1:11211");
    }
    for (String address : addresses) {
      port(address);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "timeout = " + timeout + ": must be positive and at most an hour");
    }
    if (maxVersionsPerKey < 1) {
      throw new IllegalArgumentException(
          "maxVersionsPerKey = " + maxVersionsPerKey + ": must be at least 1");
    }
    if (maxCasAttempts < 1) {
      throw new IllegalArgumentException(
          "maxCasAttempts = " + maxCasAttempts + ": must be at least 1");
    }
  }

  public MemcachedStoreConfig withTimeout(Duration timeout) {
    return new MemcachedStoreConfig(
        storeName, addresses, timeout, maxVersionsPerKey, maxCasAttempts);
  }

  public MemcachedStoreConfig withMaxVersionsPerKey(int maxVersionsPerKey) {
    return new MemcachedStoreConfig(
        storeName, addresses, timeout, maxVersionsPerKey, maxCasAttempts);
  }

  public MemcachedStoreConfig withMaxCasAttempts(int maxCasAttempts) {
    return new MemcachedStoreConfig(
        storeName, addresses, timeout, maxVersionsPerKey, maxCasAttempts);
  }

  static String host(String address) {
    return address.substring(0, address.lastIndexOf(':'));
  }

  static int port(String address) {
    Objects.requireNonNull(address, "address");
    int colon = address.lastIndexOf(':');
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "address '"
              + address
              + "': expected host:port with a port 1-65535, e.g. 127.0.0.1:11211");
    }
    return port;
  }
}
