package io.tidemark.client;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link FrontierSource#remote remote frontier source} reaches a sidecar and how old a
 * frontier it may answer with.
 *
 * @param sidecar the sidecar's base address, e.g. {@code http://127.0.0.1:7070}
 * @param bearerToken sent as {@code Authorization: Bearer ...} when the sidecar requires it; empty
 *     for none
 * @param refreshInterval a frontier fetched less than this long ago is answered from memory: at
 *     most one {@code GET /v1/frontier} per interval, whatever the call rate. This is how much
 *     older than the coordinator's a snapshot may be (plus one request's time)
 * @param maxAge when the sidecar cannot be reached, a frontier up to this old is still answered (it
 *     is still a valid snapshot); past that, calls fail with {@link StoreUnavailableException}
 * @param requestTimeout how long one request may take (a wait for a token comes on top)
 */
public record RemoteFrontierConfig(
    URI sidecar,
    String bearerToken,
    Duration refreshInterval,
    Duration maxAge,
    Duration requestTimeout) {

  /** Defaults: no token, 20 ms refresh, 10 s max age, 2 s per request. */
  public static RemoteFrontierConfig of(URI sidecar) {
    return new RemoteFrontierConfig(
        sidecar, "", Duration.ofMillis(20), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  public RemoteFrontierConfig {
    Objects.requireNonNull(sidecar, "sidecar");
    String scheme = sidecar.getScheme();
    if (!("http".equals(scheme) || "https".equals(scheme)) || sidecar.getHost() == null) {
      throw new IllegalArgumentException(
          "sidecar '" + sidecar + "' is not valid: expected http(s)://host:port");
    }
    Objects.requireNonNull(bearerToken, "bearerToken (use \"\" for none)");
    requirePositive("refreshInterval", refreshInterval, true);
    requirePositive("maxAge", maxAge, false);
    requirePositive("requestTimeout", requestTimeout, false);
    if (maxAge.compareTo(refreshInterval) < 0) {
      throw new IllegalArgumentException(
          "maxAge " + maxAge + " is below refreshInterval " + refreshInterval + ": raise it");
    }
  }

  private static void requirePositive(String name, Duration value, boolean zeroAllowed) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || (!zeroAllowed && value.isZero())) {
      throw new IllegalArgumentException(
          name + " " + value + " is not valid: use a positive duration, e.g. PT0.02S");
    }
  }

  public RemoteFrontierConfig withBearerToken(String bearerToken) {
    return new RemoteFrontierConfig(sidecar, bearerToken, refreshInterval, maxAge, requestTimeout);
  }

  public RemoteFrontierConfig withRefreshInterval(Duration refreshInterval) {
    return new RemoteFrontierConfig(sidecar, bearerToken, refreshInterval, maxAge, requestTimeout);
  }

  public RemoteFrontierConfig withMaxAge(Duration maxAge) {
    return new RemoteFrontierConfig(sidecar, bearerToken, refreshInterval, maxAge, requestTimeout);
  }

  public RemoteFrontierConfig withRequestTimeout(Duration requestTimeout) {
    return new RemoteFrontierConfig(sidecar, bearerToken, refreshInterval, maxAge, requestTimeout);
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "RemoteFrontierConfig[sidecar="
        + sidecar
        + ", bearerToken="
        + (bearerToken.isEmpty() ? "none" : "****")
        + ", refreshInterval="
        + refreshInterval
        + ", maxAge="
        + maxAge
        + ", requestTimeout="
        + requestTimeout
        + "]";
  }
}
