package io.tidemark.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The frontier as a sidecar publishes it ({@code GET /v1/frontier}), remembered for {@link
 * RemoteFrontierConfig#refreshInterval()}: one thread refreshes a frontier that is due while the
 * others go on with the one in memory (a valid snapshot, see {@link FrontierSource}); only a
 * frontier older than {@link RemoteFrontierConfig#maxAge()} makes callers wait for the fetch.
 * Frontiers are joined as they arrive, so what this source answers never moves back.
 *
 * <p>Waiting for a token is done by the sidecar ({@code POST /v1/snapshots} with {@code atLeast}),
 * which is told the moment the frontier covers it.
 */
final class RemoteFrontier implements FrontierSource {

  static final ObjectMapper JSON = new ObjectMapper();

  private final RemoteFrontierConfig config;
  private final HttpClient http;
  private final URI frontierUri;
  private final URI snapshotsUri;
  private final long refreshNanos;
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private final ReentrantLock fetching = new ReentrantLock();
  private volatile View view; // null until the first fetch

  RemoteFrontier(RemoteFrontierConfig config) {
    this(config, System::nanoTime);
  }

  RemoteFrontier(RemoteFrontierConfig config, LongSupplier nanoTime) {
    this.config = config;
    this.nanoTime = nanoTime;
    this.refreshNanos = config.refreshInterval().toNanos();
    this.maxAgeNanos = config.maxAge().toNanos();
    String base = config.sidecar().toString().replaceAll("/+$", "");
    this.frontierUri = URI.create(base + "/v1/frontier");
    this.snapshotsUri = URI.create(base + "/v1/snapshots");
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.requestTimeout())
            .build();
  }

  /**
   * What one {@code GET /v1/frontier} said, and when it was asked. {@code storesBehind}: a wait
   * since then taught a newer frontier than the one the store statuses came with, so they must be
   * fetched again before a cache is judged by its watermark (else a cache at that frontier would
   * look behind it and be skipped).
   */
  private record View(
      Stamp frontier,
      Stamp horizon,
      Set<String> detached,
      Map<String, StoreStatus> stores,
      boolean healthy,
      long fetchedAtNanos,
      boolean storesBehind) {

    View withFrontier(Stamp newer) {
      return new View(
          frontier.join(newer),
          horizon,
          detached,
          stores,
          healthy,
          fetchedAtNanos,
          storesBehind || !frontier.covers(newer));
    }
  }

  @Override
  public Stamp frontier() {
    return current().frontier;
  }

  @Override
  public Stamp horizon() {
    return current().horizon;
  }

  @Override
  public Set<String> detachedStores() {
    return current().detached;
  }

  @Override
  public Map<String, StoreStatus> stores() {
    return current().stores;
  }

  @Override
  public boolean healthy() {
    try {
      return current().healthy;
    } catch (StoreUnavailableException e) {
      return false;
    }
  }

  @Override
  public Optional<Stamp> awaitCovering(Stamp target, Duration timeout) throws InterruptedException {
    View known = current();
    if (known.frontier.covers(target)) {
      return Optional.of(known.frontier);
    }
    HttpRequest request = waitRequest(target, timeout);
    try {
      return covering(http.send(request, HttpResponse.BodyHandlers.ofString()), target);
    } catch (java.net.http.HttpTimeoutException e) {
      return Optional.empty(); // no answer within the wait (and a request's time): it ran out
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "frontier",
          "cannot reach the sidecar at "
              + config.sidecar()
              + " waiting for "
              + target.token()
              + ": "
              + e,
          e);
    }
  }

  @Override
  public CompletableFuture<Optional<Stamp>> whenCovering(Stamp target, Duration timeout) {
    View known;
    try {
      known = current();
    } catch (StoreUnavailableException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (known.frontier.covers(target)) {
      return CompletableFuture.completedFuture(Optional.of(known.frontier));
    }
    return http.sendAsync(waitRequest(target, timeout), HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                if (cause instanceof java.net.http.HttpTimeoutException) {
                  return Optional.<Stamp>empty(); // no answer within the wait: it ran out
                }
                throw new StoreUnavailableException(
                    "frontier",
                    "cannot reach the sidecar at "
                        + config.sidecar()
                        + " waiting for "
                        + target.token()
                        + ": "
                        + cause,
                    cause);
              }
              return covering(response, target);
            });
  }

  /** {@code POST /v1/snapshots {"atLeast": target, "waitMillis": timeout}}. */
  private HttpRequest waitRequest(Stamp target, Duration timeout) {
    long waitMillis = Math.max(0, timeout.toMillis());
    ObjectNode body = JSON.createObjectNode();
    body.put("atLeast", target.token());
    body.put("waitMillis", waitMillis);
    return authorized(HttpRequest.newBuilder(snapshotsUri))
        .timeout(config.requestTimeout().plusMillis(waitMillis))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build();
  }

  /** The answer to a wait: the covering frontier (remembered), or empty when it ran out. */
  private Optional<Stamp> covering(HttpResponse<String> response, Stamp target) {
    if (response.statusCode() == 408) {
      return Optional.empty();
    }
    if (response.statusCode() != 201) {
      throw unexpected(response, "waiting for " + target.token());
    }
    Stamp covering = parseToken(json(response).path("token").asText(null), response);
    fold(covering);
    return Optional.of(covering);
  }

  /** The view to answer from: the remembered one while fresh enough, else a new one. */
  private View current() {
    View v = view;
    long now = nanoTime.getAsLong();
    if (v != null && !v.storesBehind && now - v.fetchedAtNanos < refreshNanos) {
      return v;
    }
    if (!fetching.tryLock()) {
      if (v != null && !v.storesBehind && now - v.fetchedAtNanos < maxAgeNanos) {
        return v; // someone else is refreshing; this one is still a valid snapshot
      }
      fetching.lock();
    }
    try {
      v = view;
      if (v != null && !v.storesBehind && nanoTime.getAsLong() - v.fetchedAtNanos < refreshNanos) {
        return v; // refreshed while this thread waited for the lock
      }
      try {
        View fresh = fetch();
        View merged =
            v == null
                ? fresh
                : new View(
                    v.frontier.join(fresh.frontier),
                    v.horizon.join(fresh.horizon),
                    fresh.detached,
                    fresh.stores,
                    fresh.healthy,
                    fresh.fetchedAtNanos,
                    !fresh.frontier.covers(v.frontier));
        view = merged;
        return merged;
      } catch (StoreUnavailableException e) {
        if (v != null && nanoTime.getAsLong() - v.fetchedAtNanos < maxAgeNanos) {
          return v;
        }
        throw e;
      }
    } finally {
      fetching.unlock();
    }
  }

  /** Remembers a frontier learned from a wait (it is newer than the remembered one). */
  private void fold(Stamp covering) {
    fetching.lock();
    try {
      View v = view;
      if (v != null) {
        view = v.withFrontier(covering);
      }
    } finally {
      fetching.unlock();
    }
  }

  private View fetch() {
    long asked = nanoTime.getAsLong();
    HttpRequest request =
        authorized(HttpRequest.newBuilder(frontierUri))
            .timeout(config.requestTimeout())
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = send(request, "reading the frontier");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(
          "frontier", "interrupted while reading the frontier from " + frontierUri, e);
    }
    if (response.statusCode() != 200) {
      throw unexpected(response, "reading the frontier");
    }
    JsonNode root = json(response);
    Stamp frontier = stamp(root.path("stamp"), response);
    Stamp horizon = stamp(root.path("horizon"), response);
    Set<String> detached = new HashSet<>();
    root.path("detached").forEach(n -> detached.add(n.asText()));
    Map<String, StoreStatus> stores = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("stores").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> store = it.next();
      JsonNode s = store.getValue();
      stores.put(
          store.getKey(),
          new StoreStatus(
              s.path("state").asText("unknown"),
              stamp(s.path("watermark"), response),
              s.path("lagMillis").asLong(-1)));
    }
    return new View(
        frontier,
        horizon,
        Set.copyOf(detached),
        Map.copyOf(stores),
        root.path("healthy").asBoolean(true),
        asked,
        false);
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder request) {
    if (!config.bearerToken().isEmpty()) {
      request.header("Authorization", "Bearer " + config.bearerToken());
    }
    return request;
  }

  private HttpResponse<String> send(HttpRequest request, String what) throws InterruptedException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "frontier", "cannot reach the sidecar at " + config.sidecar() + " " + what + ": " + e, e);
    }
  }

  private StoreUnavailableException unexpected(HttpResponse<String> response, String what) {
    String body = response.body() == null ? "" : response.body();
    if (body.length() > 300) {
      body = body.substring(0, 300) + "...";
    }
    String hint =
        response.statusCode() == 401
            ? " (the sidecar wants a bearer token: set RemoteFrontierConfig.bearerToken)"
            : "";
    return new StoreUnavailableException(
        "frontier",
        "the sidecar at "
            + config.sidecar()
            + " answered "
            + response.statusCode()
            + " "
            + what
            + hint
            + ": "
            + body,
        null);
  }

  private JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "frontier",
          "the sidecar at " + config.sidecar() + " answered with text that is not JSON: " + e,
          e);
    }
  }

  private Stamp parseToken(String token, HttpResponse<String> response) {
    try {
      return SnapshotToken.parse(token);
    } catch (io.tidemark.protocol.BadTokenException e) {
      throw unexpected(response, "(its token does not parse: " + e.getMessage() + ")");
    }
  }

  private Stamp stamp(JsonNode versions, HttpResponse<String> response) {
    Map<String, Version> entries = new TreeMap<>();
    try {
      for (Iterator<Map.Entry<String, JsonNode>> it = versions.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        entries.put(e.getKey(), Version.parse(e.getValue().asText()));
      }
      return Stamp.of(entries);
    } catch (IllegalArgumentException e) {
      throw unexpected(response, "(a stamp does not parse: " + e.getMessage() + ")");
    }
  }

  @Override
  public void close() {
    // java.net.http.HttpClient releases its connections when unreachable (close() is Java 21).
  }

  @Override
  public String toString() {
    return "RemoteFrontier[" + config + "]";
  }
}
