package io.tidemark.connector.redis;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach a Redis that serves as a Tidemark cache, validated when built.
 *
 * @param storeName the store's name in the deployment (e.g. {@code cache}); it appears in errors
 * @param address {@code host:port} of a standalone Redis (6.2 or later; not Redis Cluster: a write
 *     script touches many keys at once)
 * @param connectTimeout how long opening a connection may take
 * @param timeout how long one command (or one pipelined batch) may take before the store counts as
 *     unavailable
 * @param maxConnections the most connections the store holds open (lane plus concurrent readers)
 * @param maxVersionsPerKey the most versions a key keeps after a {@code purge}, which drops the
 *     oldest beyond it, so a key updated many times within the retention stays bounded (writes only
 *     add: between purges a key holds every version written since). Reads at a snapshot older than
 *     the oldest kept version miss, which a cache may always do.
 */
public record RedisStoreConfig(
    String storeName,
    String address,
    Duration connectTimeout,
    Duration timeout,
    int maxConnections,
    int maxVersionsPerKey) {

  /** Defaults: 2 s to connect, 2 s per command, 8 connections, 64 versions per key. */
  public static RedisStoreConfig of(String storeName, String address) {
    return new RedisStoreConfig(
        storeName, address, Duration.ofSeconds(2), Duration.ofSeconds(2), 8, 64);
  }

  public RedisStoreConfig {
    Objects.requireNonNull(storeName, "storeName");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(timeout, "timeout");
    if (storeName.isBlank()) {
      throw new IllegalArgumentException("storeName is blank: name the store, e.g. 'cache'");
    }
    port(address); // validates
    requireMillis("connectTimeout", connectTimeout);
    requireMillis("timeout", timeout);
    if (maxConnections < 1) {
      throw new IllegalArgumentException(
          "maxConnections = " + maxConnections + ": must be at least 1");
    }
    if (maxVersionsPerKey < 1) {
      throw new IllegalArgumentException(
          "maxVersionsPerKey = " + maxVersionsPerKey + ": must be at least 1");
    }
  }

  public RedisStoreConfig withTimeouts(Duration connectTimeout, Duration timeout) {
    return new RedisStoreConfig(
        storeName, address, connectTimeout, timeout, maxConnections, maxVersionsPerKey);
  }

  public RedisStoreConfig withMaxConnections(int maxConnections) {
    return new RedisStoreConfig(
        storeName, address, connectTimeout, timeout, maxConnections, maxVersionsPerKey);
  }

  public RedisStoreConfig withMaxVersionsPerKey(int maxVersionsPerKey) {
    return new RedisStoreConfig(
        storeName, address, connectTimeout, timeout, maxConnections, maxVersionsPerKey);
  }

  /** The host part of {@link #address()}. */
  public String host() {
    return address.substring(0, address.lastIndexOf(':'));
  }

  /** The port part of {@link #address()}. */
  public int port() {
    return port(address);
  }

  private static int port(String address) {
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
          "address '" + address + "': expected host:port with a port 1-65535, e.g. 127.0.0.1:6379");
    }
    return port;
  }

  private static void requireMillis(String name, Duration value) {
    if (value.isNegative()
        || value.isZero()
        || value.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException(
          name + " = " + value + ": must be positive and at most " + Integer.MAX_VALUE + " ms");
    }
  }
}
