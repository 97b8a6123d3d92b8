package io.tidemark.devstack;

/**
 * Where a started Memcached listens (TCP only, 256 MB, items up to 2 MB).
 *
 * @param host always {@code 127.0.0.1}
 * @param port the TCP port, stable across {@link StoreHandle#restart()}
 */
public record MemcachedInfo(String host, int port) {

  /** {@code 127.0.0.1:PORT}, the form that memcached clients' address lists take. */
  public String address() {
    return host + ":" + port;
  }
}
