package io.tidemark.coordinator.sidecar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.tidemark.client.Document;
import io.tidemark.client.FrontierSource;
import io.tidemark.client.ReadFrom;
import io.tidemark.client.Snapshot;
import io.tidemark.client.SnapshotNotReadyException;
import io.tidemark.client.Tidemark;
import io.tidemark.client.TidemarkException;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every path of the sidecar's contract ({@code openapi.json}): routing, authentication, limits, and
 * the mapping of the client's typed errors to statuses.
 */
final class Router implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(Router.class);
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLLECTIONS = "/v1/collections/";
  private static final int DEFAULT_SEARCH_SIZE = 10;
  private static final Set<String> SNAPSHOT_FIELDS = Set.of("atLeast", "waitMillis", "at");

  private final Tidemark tidemark;
  private final SidecarOptions options;
  private final Supplier<String> engineMetrics;
  private final SidecarMetrics metrics = new SidecarMetrics();
  private final byte[] expectedAuthorization;
  private final byte[] openapi;
  private final Executor executor;

  Router(
      Tidemark tidemark,
      SidecarOptions options,
      Supplier<String> engineMetrics,
      Executor executor) {
    this.tidemark = tidemark;
    this.executor = executor;
    this.options = options;
    this.engineMetrics = engineMetrics;
    this.expectedAuthorization =
        options.bearerToken().isEmpty()
            ? null
            : ("Bearer " + options.bearerToken()).getBytes(StandardCharsets.UTF_8);
    this.openapi = loadOpenApi();
  }

  /** What to send back. */
  private record Answer(
      int status, String contentType, byte[] body, String token, CompletableFuture<Answer> later) {

    Answer(int status, String contentType, byte[] body, String token) {
      this(status, contentType, body, token, null);
    }

    /** An answer that comes when {@code later} completes (a wait), off the serving thread. */
    static Answer later(CompletableFuture<Answer> later) {
      return new Answer(0, null, null, null, later);
    }

    static Answer json(int status, JsonNode body, String token) {
      try {
        return new Answer(status, "application/json", JSON.writeValueAsBytes(body), token);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    String path = exchange.getRequestURI().getRawPath();
    String endpoint = endpointOf(path);
    Answer answer;
    try {
      answer = route(exchange, path);
    } catch (RuntimeException | IOException e) {
      answer = errorFor(exchange, e);
    }
    if (answer.later() != null) {
      // A wait: the thread goes back to the pool; whoever completes the wait hands the answer to
      // the pool again, so no frontier-reporting thread ever writes to a socket.
      answer
          .later()
          .whenCompleteAsync(
              (done, failure) ->
                  finish(
                      exchange, done != null ? done : errorFor(exchange, failure), endpoint, start),
              executor);
      return;
    }
    finish(exchange, answer, endpoint, start);
  }

  private void finish(HttpExchange exchange, Answer answer, String endpoint, long start) {
    try {
      send(exchange, answer);
    } catch (IOException e) {
      log.debug("sidecar: could not answer {}: {}", exchange.getRequestURI(), e.toString());
    } finally {
      exchange.close();
      metrics.record(endpoint, answer.status(), System.nanoTime() - start);
    }
  }

  /** The error answer for a failure, by type: the contract's codes, else 500. */
  private Answer errorFor(HttpExchange exchange, Throwable failure) {
    Throwable e = failure;
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof HttpError http) {
      return error(http.status, http.code, http.getMessage(), null);
    }
    if (e instanceof TidemarkException t) {
      return error(statusOf(t), t.code(), t.getMessage(), null);
    }
    if (e instanceof IllegalArgumentException) {
      return error(400, "bad_request", e.getMessage(), null);
    }
    log.error(
        "sidecar: {} {} failed",
        exchange.getRequestMethod(),
        exchange.getRequestURI().getRawPath(),
        e);
    return error(500, "internal_error", "the sidecar failed: " + e + " (see its log)", null);
  }

  private static int statusOf(TidemarkException e) {
    switch (e.code()) {
      case "bad_token":
        return 400;
      case "snapshot_expired":
        return 410;
      case "snapshot_not_ready":
        return 409;
      case "unknown_collection":
        return 404;
      case "store_unavailable":
        return 503;
      default:
        return 500;
    }
  }

  private static String endpointOf(String path) {
    if (path.startsWith(COLLECTIONS)) {
      return path.contains("/docs/") ? "docs" : path.endsWith("/search") ? "search" : "other";
    }
    switch (path) {
      case "/v1/frontier":
        return "frontier";
      case "/v1/snapshots":
        return "snapshots";
      case "/healthz":
        return "healthz";
      case "/metrics":
        return "metrics";
      case "/v1/openapi.json":
        return "openapi";
      default:
        return "other";
    }
  }

  private Answer route(HttpExchange exchange, String path) throws IOException {
    String method = exchange.getRequestMethod();
    if (path.equals("/healthz")) {
      allow(method, "GET");
      return health();
    }
    authenticate(exchange);
    switch (path) {
      case "/v1/frontier":
        allow(method, "GET");
        noParameters(exchange);
        return frontier();
      case "/v1/snapshots":
        allow(method, "POST");
        return createSnapshot(readBody(exchange));
      case "/v1/openapi.json":
        allow(method, "GET");
        return new Answer(200, "application/json", openapi, null);
      case "/metrics":
        allow(method, "GET");
        return metrics();
      default:
        break;
    }
    if (path.startsWith(COLLECTIONS)) {
      String[] parts = path.substring(COLLECTIONS.length()).split("/", -1);
      // An empty last segment is the empty key: a text primary key may be ''.
      if (parts.length == 3 && parts[1].equals("docs") && !parts[0].isEmpty()) {
        allow(method, "GET");
        return get(decodeSegment(parts[0]), decodeSegment(parts[2]), parameters(exchange));
      }
      if (parts.length == 2 && parts[1].equals("search") && !parts[0].isEmpty()) {
        allow(method, "GET");
        return search(decodeSegment(parts[0]), parameters(exchange));
      }
    }
    throw new HttpError(
        404,
        "not_found",
        "no such path: "
            + abbreviate(path)
            + "; paths are /v1/frontier, /v1/snapshots, /v1/collections/{c}/docs/{id},"
            + " /v1/collections/{c}/search, /v1/openapi.json, /healthz, /metrics");
  }

  // ---- endpoints --------------------------------------------------------------------------

  private Answer health() {
    FrontierSource source = tidemark.frontierSource();
    ObjectNode body = JSON.createObjectNode();
    boolean healthy;
    try {
      healthy = source.healthy();
      Stamp frontier = source.frontier();
      body.put("frontier", frontier.isEmpty() ? null : frontier.token());
    } catch (TidemarkException e) {
      healthy = false;
      body.put("message", e.getMessage());
    }
    body.put("status", healthy ? "ok" : "unhealthy");
    return Answer.json(healthy ? 200 : 503, body, null);
  }

  private Answer frontier() {
    FrontierSource source = tidemark.frontierSource();
    Stamp frontier = source.frontier();
    ObjectNode body = JSON.createObjectNode();
    body.put("token", frontier.isEmpty() ? null : frontier.token());
    body.set("stamp", stampJson(frontier));
    body.set("horizon", stampJson(source.horizon()));
    ObjectNode stores = body.putObject("stores");
    source
        .stores()
        .forEach(
            (name, s) -> {
              ObjectNode store = stores.putObject(name);
              store.put("state", s.state());
              store.set("watermark", stampJson(s.watermark()));
              store.put("lagMillis", s.lagMillis());
            });
    ArrayNode detached = body.putArray("detached");
    source.detachedStores().stream().sorted().forEach(detached::add);
    body.put("healthy", source.healthy());
    return Answer.json(200, body, frontier.isEmpty() ? null : frontier.token());
  }

  private Answer createSnapshot(byte[] bytes) throws IOException {
    if (isEmptyObject(bytes)) { // the common call, {}: no parsing
      try {
        return created(tidemark.snapshot());
      } catch (SnapshotNotReadyException e) {
        return error(408, "not_ready", e.getMessage(), null);
      }
    }
    JsonNode request;
    if (bytes.length == 0) {
      request = JSON.createObjectNode();
    } else {
      try {
        request = JSON.readTree(bytes);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw HttpError.badRequest(
            "the body is not JSON: "
                + abbreviate(e.getOriginalMessage())
                + "; send {} or {\"atLeast\": \"<token>\", \"waitMillis\": 1000}");
      }
    }
    if (request == null || !request.isObject()) {
      throw HttpError.badRequest(
          "the body must be a JSON object: {} or {\"atLeast\": \"<token>\", \"waitMillis\": 1000}");
    }
    for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!SNAPSHOT_FIELDS.contains(name)) {
        throw HttpError.badRequest(
            "unknown field '" + abbreviate(name) + "'; fields are atLeast, waitMillis, at");
      }
    }
    long waitMillis = 0;
    JsonNode wait = request.get("waitMillis");
    if (wait != null) {
      if (!wait.canConvertToLong() || !wait.isIntegralNumber() || wait.asLong() < 0) {
        throw HttpError.badRequest(
            "waitMillis must be a whole number of milliseconds, 0 or more; got " + wait);
      }
      waitMillis = wait.asLong();
      if (waitMillis > options.requestTimeout().toMillis()) {
        throw HttpError.limit(
            "waitMillis "
                + waitMillis
                + " is above this sidecar's request timeout of "
                + options.requestTimeout().toMillis()
                + " ms; wait at most that long per request");
      }
    }
    String atLeast = tokenField(request, "atLeast");
    String at = tokenField(request, "at");
    if (atLeast != null && at != null) {
      throw HttpError.badRequest(
          "give atLeast (the frontier once it covers a token) or at (exactly a token), not both");
    }
    if (atLeast != null) {
      CompletableFuture<Answer> answer =
          tidemark
              .snapshotAtLeastAsync(atLeast, Duration.ofMillis(waitMillis))
              .handle(
                  (snapshot, failure) -> {
                    if (failure == null) {
                      return created(snapshot);
                    }
                    Throwable cause =
                        failure instanceof java.util.concurrent.CompletionException
                                && failure.getCause() != null
                            ? failure.getCause()
                            : failure;
                    if (cause instanceof SnapshotNotReadyException) {
                      return error(408, "not_ready", cause.getMessage(), null);
                    }
                    throw new java.util.concurrent.CompletionException(cause);
                  });
      return answer.isDone() ? answer.join() : Answer.later(answer);
    }
    Snapshot snapshot;
    try {
      snapshot = at != null ? tidemark.snapshot(at) : waitForAny(waitMillis);
    } catch (SnapshotNotReadyException e) {
      if (at != null) {
        throw e; // an exact token above the frontier: 409 like every other read
      }
      return error(408, "not_ready", e.getMessage(), null);
    }
    return created(snapshot);
  }

  /** The last snapshot answered, as sent: the frontier moves every few milliseconds at most. */
  private volatile Answer lastCreated;

  private Answer created(Snapshot snapshot) {
    Answer last = lastCreated;
    if (last != null && last.token().equals(snapshot.token())) {
      return last;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("token", snapshot.token());
    body.set("stamp", stampJson(snapshot.stamp()));
    Answer answer = Answer.json(201, body, snapshot.token());
    lastCreated = answer;
    return answer;
  }

  /** Whether the body is empty or {@code {}} (with any whitespace). */
  private static boolean isEmptyObject(byte[] bytes) {
    int i = 0;
    int n = bytes.length;
    while (i < n && Character.isWhitespace(bytes[i])) {
      i++;
    }
    if (i == n) {
      return true;
    }
    if (bytes[i++] != '{') {
      return false;
    }
    while (i < n && Character.isWhitespace(bytes[i])) {
      i++;
    }
    if (i == n || bytes[i++] != '}') {
      return false;
    }
    while (i < n && Character.isWhitespace(bytes[i])) {
      i++;
    }
    return i == n;
  }

  /** The current frontier, waiting for a first one only when the caller allows a wait. */
  private Snapshot waitForAny(long waitMillis) {
    long deadline = System.nanoTime() + waitMillis * 1_000_000L;
    while (true) {
      try {
        return tidemark.snapshot();
      } catch (SnapshotNotReadyException e) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw e;
        }
        try {
          // Nothing published yet: this happens once per deployment, so polling is fine here.
          Thread.sleep(Math.min(10, Math.max(1, left / 1_000_000L)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static String tokenField(JsonNode request, String name) {
    JsonNode value = request.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new HttpError(
          400,
          "bad_token",
          name
              + " must be a token as text, e.g. \"tm1:listings@0/16B3748\"; got "
              + abbreviate(value.toString()));
    }
    return value.asText();
  }

  private Answer get(String collection, String id, Map<String, String> params) {
    onlyParameters(params, "snapshot", "from", "level");
    ConsistencyLevel level = level(params);
    Snapshot snapshot = snapshot(params);
    String fromText = params.get("from");
    ObjectNode body;
    if (fromText == null) {
      Optional<Document> doc = snapshot.get(collection, id, level);
      if (doc.isEmpty()) {
        return notFound(collection, id, snapshot);
      }
      body = document(doc.get().id(), doc.get().version(), doc.get().doc(), doc.get().store());
    } else {
      ReadFrom from = ReadFrom.parse(fromText);
      Lookup lookup = snapshot.lookup(collection, id, from, level);
      if (lookup.isMiss()) {
        return error(
            404,
            "cache_miss",
            "the cache of collection '"
                + collection
                + "' holds no entry for '"
                + abbreviate(id)
                + "' at "
                + snapshot.token()
                + " (a cache may miss); read without from= to fall back to the read database",
            snapshot.token());
      }
      if (!lookup.isFound()) {
        return notFound(collection, id, snapshot);
      }
      body =
          document(
              id,
              lookup.version().orElseThrow(),
              lookup.document().orElseThrow(),
              snapshot.storeName(collection, from));
    }
    body.put("snapshot", snapshot.token());
    return Answer.json(200, body, snapshot.token());
  }

  private Answer notFound(String collection, String id, Snapshot snapshot) {
    return error(
        404,
        "not_found",
        "'"
            + abbreviate(id)
            + "' does not exist in collection '"
            + collection
            + "' at "
            + snapshot.token(),
        snapshot.token());
  }

  private Answer search(String collection, Map<String, String> params) {
    onlyParameters(params, "q", "snapshot", "size", "level");
    String q = params.get("q");
    if (q == null) {
      throw HttpError.badRequest(
          "the search text is missing: add q=<text> (Elasticsearch simple query syntax; q=* for"
              + " every document)");
    }
    if (q.length() > options.maxQueryChars()) {
      throw HttpError.limit(
          "the search text has "
              + q.length()
              + " characters; at most "
              + options.maxQueryChars()
              + " are allowed");
    }
    int size = DEFAULT_SEARCH_SIZE;
    String sizeText = params.get("size");
    if (sizeText != null) {
      try {
        size = Integer.parseInt(sizeText);
      } catch (NumberFormatException e) {
        throw HttpError.badRequest(
            "size '"
                + abbreviate(sizeText)
                + "' is not a whole number; use 0 to "
                + options.maxSearchSize());
      }
      if (size < 0 || size > options.maxSearchSize()) {
        throw HttpError.limit(
            "size " + size + " is out of range: use 0 to " + options.maxSearchSize());
      }
    }
    ConsistencyLevel level = level(params);
    Snapshot snapshot = snapshot(params);
    List<Document> hits = snapshot.search(collection, q, size, level);
    ObjectNode body = JSON.createObjectNode();
    body.put("snapshot", snapshot.token());
    ArrayNode array = body.putArray("hits");
    for (Document d : hits) {
      array.add(document(d.id(), d.version(), d.doc(), d.store()));
    }
    return Answer.json(200, body, snapshot.token());
  }

  private Answer metrics() {
    String engine = engineMetrics.get();
    String text = (engine == null ? "" : engine) + metrics.scrape();
    return new Answer(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        text.getBytes(StandardCharsets.UTF_8),
        null);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private Snapshot snapshot(Map<String, String> params) {
    String token = params.get("snapshot");
    return token == null ? tidemark.snapshot() : tidemark.snapshot(token);
  }

  private static ConsistencyLevel level(Map<String, String> params) {
    String text = params.get("level");
    return text == null ? ConsistencyLevel.SNAPSHOT : ConsistencyLevel.parse(text);
  }

  private static ObjectNode document(
      String id, Version version, Map<String, Object> doc, String store) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", id);
    node.put("version", version.toString());
    node.set("doc", JSON.valueToTree(doc));
    node.put("store", store);
    return node;
  }

  private static ObjectNode stampJson(Stamp stamp) {
    ObjectNode node = JSON.createObjectNode();
    stamp.asMap().forEach((source, version) -> node.put(source, version.toString()));
    return node;
  }

  private static Answer error(int status, String code, String message, String token) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", code);
    body.put("message", message);
    if (token != null) {
      body.put("snapshot", token);
    }
    return Answer.json(status, body, token);
  }

  private void authenticate(HttpExchange exchange) {
    if (expectedAuthorization == null) {
      return;
    }
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    if (given == null
        || !MessageDigest.isEqual(
            given.trim().getBytes(StandardCharsets.UTF_8), expectedAuthorization)) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"tidemark\"");
      throw new HttpError(
          401,
          "unauthorized",
          given == null
              ? "this sidecar requires a token: send Authorization: Bearer <token> (the"
                  + " deployment's sidecar.token)"
              : "the bearer token is wrong: send Authorization: Bearer <token> with the"
                  + " deployment's sidecar.token");
    }
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new HttpError(
          405,
          "method_not_allowed",
          "method " + abbreviate(method) + " is not allowed here; use " + allowed);
    }
  }

  private byte[] readBody(HttpExchange exchange) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        throw HttpError.badRequest("Content-Length '" + abbreviate(declared) + "' is not a number");
      }
      if (length > options.maxBodyBytes()) {
        throw tooLarge(length);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(options.maxBodyBytes() + 1);
      if (body.length > options.maxBodyBytes()) {
        throw tooLarge(body.length);
      }
      return body;
    }
  }

  private HttpError tooLarge(long length) {
    return new HttpError(
        413,
        "body_too_large",
        "the request body has "
            + (length > options.maxBodyBytes() ? "more than " + options.maxBodyBytes() : length)
            + " bytes; at most "
            + options.maxBodyBytes()
            + " are accepted");
  }

  private static void noParameters(HttpExchange exchange) {
    onlyParameters(parameters(exchange));
  }

  private static void onlyParameters(Map<String, String> params, String... allowed) {
    Set<String> valid = Set.of(allowed);
    for (String name : params.keySet()) {
      if (!valid.contains(name)) {
        throw HttpError.badRequest(
            "unknown parameter '"
                + abbreviate(name)
                + "'"
                + (allowed.length == 0
                    ? "; this call takes none"
                    : "; parameters here are " + String.join(", ", allowed)));
      }
    }
  }

  /** Query parameters, decoded; the first of a repeated name wins. */
  private static Map<String, String> parameters(HttpExchange exchange) {
    String raw = exchange.getRequestURI().getRawQuery();
    Map<String, String> params = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decodeQuery(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decodeQuery(pair.substring(eq + 1));
      params.putIfAbsent(name, value);
    }
    return params;
  }

  private static String decodeQuery(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(
          "bad percent-encoding in the query: '" + abbreviate(text) + "': " + e.getMessage());
    }
  }

  /** A path segment, percent-decoded ({@code +} stays a plus sign there). */
  private static String decodeSegment(String text) {
    return decodeQuery(text.replace("+", "%2B"));
  }

  static String abbreviate(String text) {
    String shown = text.length() <= 80 ? text : text.substring(0, 77) + "...";
    StringBuilder out = new StringBuilder(shown.length());
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        out.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static void send(HttpExchange exchange, Answer answer) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", answer.contentType);
    headers.set("Cache-Control", "no-store");
    if (answer.token != null) {
      headers.set(SnapshotToken.HEADER, answer.token);
    }
    if (answer.status == 405) {
      // every path takes exactly one method
      headers.set("Allow", allowedFor(exchange.getRequestURI().getRawPath()));
    }
    exchange.sendResponseHeaders(answer.status, answer.body.length == 0 ? -1 : answer.body.length);
    if (answer.body.length > 0) {
      exchange.getResponseBody().write(answer.body);
    }
  }

  private static String allowedFor(String path) {
    return path.equals("/v1/snapshots") ? "POST" : "GET";
  }

  private static byte[] loadOpenApi() {
    try (InputStream in = Router.class.getResourceAsStream("/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read openapi.json", e);
    }
  }
}
