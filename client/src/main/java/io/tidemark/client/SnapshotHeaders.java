package io.tidemark.client;

import io.tidemark.protocol.SnapshotToken;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Carries a snapshot between services in the {@value #HEADER} HTTP header: the caller sends its
 * snapshot's token, the callee reads at least that snapshot, so a chain of services never goes back
 * in time (search in one service, details in the next).
 *
 * <pre>{@code
 * // calling another service (java.net.http)
 * HttpRequest request = SnapshotHeaders.propagate(HttpRequest.newBuilder(uri), snapshot).build();
 *
 * // serving a call: at least the caller's snapshot, or the frontier when it sent none
 * Snapshot s = SnapshotHeaders.snapshotFor(tidemark, request.headers(), Duration.ofSeconds(1));
 * }</pre>
 *
 * For servlets, {@link TidemarkServletFilter} does the serving side.
 */
public final class SnapshotHeaders {

  /** {@code Tidemark-Snapshot}. */
  public static final String HEADER = SnapshotToken.HEADER;

  private SnapshotHeaders() {}

  /** Adds the snapshot's token to an outgoing request. */
  public static HttpRequest.Builder propagate(HttpRequest.Builder request, Snapshot snapshot) {
    return propagate(request, snapshot.token());
  }

  /** Adds a token to an outgoing request, replacing one set before. */
  public static HttpRequest.Builder propagate(HttpRequest.Builder request, String token) {
    Objects.requireNonNull(token, "token");
    return request.setHeader(HEADER, token);
  }

  /** The token a response (e.g. from the sidecar) carries, if any. */
  public static Optional<String> token(HttpResponse<?> response) {
    return token(response.headers());
  }

  /** The token in these headers (the first value, if several), if any. */
  public static Optional<String> token(HttpHeaders headers) {
    return headers.firstValue(HEADER);
  }

  /**
   * The snapshot to serve a request with: at least {@code token} when there is one (waiting up to
   * {@code wait} for the frontier to reach it), else the current frontier.
   *
   * @param token the incoming header's value, or null
   * @throws BadTokenException when the token is malformed
   * @throws SnapshotNotReadyException when the frontier did not reach it in time
   */
  public static Snapshot snapshotFor(Tidemark tidemark, String token, Duration wait) {
    return token == null || token.isEmpty()
        ? tidemark.snapshot()
        : tidemark.snapshotAtLeast(token.trim(), wait);
  }

  /** {@link #snapshotFor(Tidemark, String, Duration)} with the token from these headers. */
  public static Snapshot snapshotFor(Tidemark tidemark, HttpHeaders headers, Duration wait) {
    return snapshotFor(tidemark, token(headers).orElse(null), wait);
  }
}
