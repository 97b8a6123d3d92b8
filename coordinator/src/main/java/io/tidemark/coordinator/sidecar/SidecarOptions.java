package io.tidemark.coordinator.sidecar;

import java.time.Duration;
import java.util.Objects;

/**
 * How the HTTP sidecar listens and what it accepts. Validated when built; a bad value is rejected
 * naming the setting, the value and what would be valid.
 *
 * @param host the address to bind; {@code 127.0.0.1} by default (only this machine)
 * @param port the port to bind, {@code 7070} by default; 0 picks a free one
 * @param bearerToken when not empty, every call but {@code GET /healthz} needs {@code
 *     Authorization: Bearer <token>}
 * @param threads how many requests are served at once (more wait in a queue)
 * @param maxBodyBytes the largest request body accepted (64 KiB)
 * @param maxQueryChars the longest search text accepted (1 KiB)
 * @param maxSearchSize the most hits one search returns (1000)
 * @param requestTimeout the longest one request may take: the longest {@code waitMillis}, and the
 *     timeout given to the store connections the sidecar opens
 */
public record SidecarOptions(
    String host,
    int port,
    String bearerToken,
    int threads,
    int maxBodyBytes,
    int maxQueryChars,
    int maxSearchSize,
    Duration requestTimeout) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7070;

  /**
   * Defaults: 127.0.0.1:7070, no token, 16 threads, 64 KiB bodies, 1 KiB queries, 1000 hits, 10 s.
   */
  public static SidecarOptions defaults() {
    return new SidecarOptions(
        DEFAULT_HOST, DEFAULT_PORT, "", 16, 64 * 1024, 1024, 1000, Duration.ofSeconds(10));
  }

  public SidecarOptions {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host is blank: use an address, e.g. 127.0.0.1");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range: use 0 to 65535");
    }
    Objects.requireNonNull(bearerToken, "bearerToken (use \"\" for none)");
    requireRange("threads", threads, 1, 1024);
    requireRange("maxBodyBytes", maxBodyBytes, 1, 64 * 1024 * 1024);
    requireRange("maxQueryChars", maxQueryChars, 1, 1024 * 1024);
    requireRange("maxSearchSize", maxSearchSize, 1, 10_000);
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative()
        || requestTimeout.isZero()
        || requestTimeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "requestTimeout " + requestTimeout + " is not valid: use 1 ms to 1 hour, e.g. PT10S");
    }
  }

  private static void requireRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " " + value + " is out of range: use " + min + " to " + max);
    }
  }

  public SidecarOptions withAddress(String host, int port) {
    return new SidecarOptions(
        host,
        port,
        bearerToken,
        threads,
        maxBodyBytes,
        maxQueryChars,
        maxSearchSize,
        requestTimeout);
  }

  public SidecarOptions withBearerToken(String bearerToken) {
    return new SidecarOptions(
        host,
        port,
        bearerToken,
        threads,
        maxBodyBytes,
        maxQueryChars,
        maxSearchSize,
        requestTimeout);
  }

  public SidecarOptions withThreads(int threads) {
    return new SidecarOptions(
        host,
        port,
        bearerToken,
        threads,
        maxBodyBytes,
        maxQueryChars,
        maxSearchSize,
        requestTimeout);
  }

  public SidecarOptions withRequestTimeout(Duration requestTimeout) {
    return new SidecarOptions(
        host,
        port,
        bearerToken,
        threads,
        maxBodyBytes,
        maxQueryChars,
        maxSearchSize,
        requestTimeout);
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "SidecarOptions[host="
        + host
        + ", port="
        + port
        + ", bearerToken="
        + (bearerToken.isEmpty() ? "none" : "****")
        + ", threads="
        + threads
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", maxQueryChars="
        + maxQueryChars
        + ", maxSearchSize="
        + maxSearchSize
        + ", requestTimeout="
        + requestTimeout
        + "]";
  }
}
