package io.tidemark.devstack;

/**
 * Where a started Redis listens (no password, no persistence).
 *
 * @param host always {@code 127.0.0.1}
 * @param port the TCP port, stable across {@link StoreHandle#restart()}
 */
public record RedisInfo(String host, int port) {

  /** {@code redis://127.0.0.1:PORT}. */
  public String uri() {
    return "redis://" + host + ":" + port;
  }
}
