package io.tidemark.coordinator.sidecar;

import static io.tidemark.coordinator.sidecar.Http.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.client.WritePath;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint and every error code of the sidecar's contract (design §5, {@code openapi.json}),
 * on real stores written through their real writers ({@link WritePath}).
 */
class SidecarContractIT {

  static final String TOKEN = "it-secret";

  static WritePath path;
  static final AtomicReference<Stamp> horizon = new AtomicReference<>(Stamp.empty());
  static final Set<String> detached = ConcurrentHashMap.newKeySet();
  static Tidemark tidemark;
  static Sidecar sidecar;
  static Http http;
  static String c;
  static String noSearch;

  /** Frontiers at which the seeded rows had their first and their second values. */
  static Stamp first;

  static Stamp second;

  @BeforeAll
  static void start() throws Exception {
    path = new WritePath("sc");
    c = path.collection;
    noSearch = c + "_nosearch";
    FrontierSource frontier =
        FrontierSource.inProcess(path.tracker, horizon::get, () -> Set.copyOf(detached));
    tidemark = path.client(frontier, "cache").collection(noSearch, "cache", "readdb").build();
    sidecar =
        Sidecar.start(
            tidemark,
            SidecarOptions.defaults().withAddress("127.0.0.1", 0).withBearerToken(TOKEN),
            () -> "# TYPE engine_up gauge\nengine_up 1\n");
    http = new Http(sidecar.baseUrl(), TOKEN);
    path.commit("a1", Map.of("title", "alpha one", "n", "1"));
    path.commit("gone", Map.of("title", "alpha gone", "n", "1"));
    path.commit("a/b c+é", Map.of("title", "odd key", "n", "1"));
    first = path.awaitQuiet(60_000);
    path.commit("a1", Map.of("title", "bravo one", "n", "2"));
    path.commit("gone", null);
    second = path.awaitQuiet(60_000);
  }

  @AfterAll
  static void stop() {
    if (sidecar != null) {
      sidecar.close();
      tidemark.close();
    }
    if (path != null) {
      path.close();
    }
  }

  static String lsn(Stamp s) {
    return s.get(WritePath.SOURCE).orElseThrow().toString();
  }

  /** The version that wrote {@code key}'s value at {@code at}, as the history recorded it. */
  static String expectedVersion(String key, Stamp at) {
    return Version.of(
            path.expected(key, at.get(WritePath.SOURCE).orElseThrow()).orElseThrow().getKey())
        .toString();
  }

  static Stamp above() {
    Version v = path.tracker.frontier().get(WritePath.SOURCE).orElseThrow();
    return Stamp.of(WritePath.SOURCE, Version.of(v.asLong() + 0x100_0000));
  }

  // ---- GET /v1/frontier -------------------------------------------------------------------

  @Test
  void frontierNamesTokenStampHorizonAndStores() {
    Http.Answer a = http.get("/v1/frontier");
    assertThat(a.status()).isEqualTo(200);
    JsonNode j = a.json();
    Stamp now = Stamp.parse(j.get("token").asText());
    assertThat(now.covers(second)).isTrue();
    assertThat(j.at("/stamp/listings").asText()).isEqualTo(lsn(now));
    assertThat(j.get("horizon").isObject()).isTrue();
    assertThat(j.get("stores").size()).isEqualTo(4);
    assertThat(j.at("/stores/readdb/watermark/listings").asText()).isNotEmpty();
    assertThat(j.at("/stores/readdb/state").asText()).isNotEmpty();
    assertThat(j.at("/stores/readdb/lagMillis").isNumber()).isTrue();
    assertThat(j.get("detached").isArray()).isTrue();
    assertThat(a.header("Tidemark-Snapshot")).isEqualTo(now.token());
    assertThat(http.get("/v1/frontier?x=1").error()).isEqualTo("bad_request");
  }

  // ---- POST /v1/snapshots -----------------------------------------------------------------

  @Test
  void snapshotsAtTheFrontierAtLeastATokenOrExactlyOne() {
    Http.Answer empty = http.post("/v1/snapshots", "{}");
    assertThat(empty.status()).isEqualTo(201);
    Stamp taken = Stamp.parse(empty.json().get("token").asText());
    assertThat(taken.covers(second)).isTrue();
    assertThat(empty.header("Tidemark-Snapshot")).isEqualTo(taken.token());
    assertThat(empty.json().at("/stamp/listings").asText()).isEqualTo(lsn(taken));
    assertThat(http.post("/v1/snapshots", "").status()).isEqualTo(201);

    Version mine = path.commit("ryw", Map.of("title", "mine", "n", "1"));
    String myToken = Stamp.of(WritePath.SOURCE, mine).token();
    Http.Answer atLeast =
        http.post("/v1/snapshots", "{\"atLeast\":\"" + myToken + "\",\"waitMillis\":10000}");
    assertThat(atLeast.status()).isEqualTo(201);
    assertThat(Stamp.parse(atLeast.json().get("token").asText()).covers(Stamp.parse(myToken)))
        .isTrue();

    Http.Answer late =
        http.post("/v1/snapshots", "{\"atLeast\":\"" + above().token() + "\",\"waitMillis\":100}");
    assertThat(late.status()).isEqualTo(408);
    assertThat(late.error()).isEqualTo("not_ready");
    assertThat(late.json().get("message").asText()).contains("did not reach");

    Http.Answer exact = http.post("/v1/snapshots", "{\"at\":\"" + first.token() + "\"}");
    assertThat(exact.status()).isEqualTo(201);
    assertThat(exact.json().get("token").asText()).isEqualTo(first.token());
    Http.Answer notReady = http.post("/v1/snapshots", "{\"at\":\"" + above().token() + "\"}");
    assertThat(notReady.status()).isEqualTo(409);
    assertThat(notReady.error()).isEqualTo("snapshot_not_ready");
    withHorizon(
        second,
        () -> {
          Http.Answer expired = http.post("/v1/snapshots", "{\"at\":\"" + first.token() + "\"}");
          assertThat(expired.status()).isEqualTo(410);
          assertThat(expired.error()).isEqualTo("snapshot_expired");
          // at least an expired token is fine: the frontier covers it
          assertThat(http.post("/v1/snapshots", "{\"atLeast\":\"" + first.token() + "\"}").status())
              .isEqualTo(201);
        });
  }

  @Test
  void snapshotRequestsThatAreWrongSayWhy() {
    assertError(http.post("/v1/snapshots", "{\"atLeast\":\"tm1:nope\"}"), 400, "bad_token");
    assertError(http.post("/v1/snapshots", "{\"at\":\"tm2:listings@0/1\"}"), 400, "bad_token");
    assertError(http.post("/v1/snapshots", "{\"atLeast\":42}"), 400, "bad_token");
    assertError(http.post("/v1/snapshots", "{\"atLeast\":"), 400, "bad_request");
    assertError(http.post("/v1/snapshots", "[1]"), 400, "bad_request");
    assertError(http.post("/v1/snapshots", "{\"atleast\":\"x\"}"), 400, "bad_request");
    assertError(http.post("/v1/snapshots", "{\"waitMillis\":-1}"), 400, "bad_request");
    assertError(http.post("/v1/snapshots", "{\"waitMillis\":1.5}"), 400, "bad_request");
    Http.Answer tooLong = http.post("/v1/snapshots", "{\"waitMillis\":100000000}");
    assertError(tooLong, 400, "limit_exceeded");
    assertThat(tooLong.json().get("message").asText()).contains("10000 ms");
    assertError(
        http.post(
            "/v1/snapshots",
            "{\"at\":\"" + first.token() + "\",\"atLeast\":\"" + first.token() + "\"}"),
        400,
        "bad_request");
    Http.Answer big = http.post("/v1/snapshots", "{\"atLeast\":\"" + "x".repeat(70_000) + "\"}");
    assertError(big, 413, "body_too_large");
    assertThat(big.json().get("message").asText()).contains("65536");
  }

  // ---- GET /v1/collections/{c}/docs/{id} ---------------------------------------------------

  @Test
  void docsAtTheFrontierOrAtAToken() {
    Http.Answer now = http.get("/v1/collections/" + c + "/docs/a1");
    assertThat(now.status()).isEqualTo(200);
    JsonNode j = now.json();
    assertThat(j.get("id").asText()).isEqualTo("a1");
    assertThat(j.at("/doc/title").asText()).isEqualTo("bravo one");
    assertThat(j.get("store").asText()).isEqualTo("cache");
    Stamp used = Stamp.parse(j.get("snapshot").asText());
    assertThat(now.header("Tidemark-Snapshot")).isEqualTo(used.token());
    assertThat(Version.parse(j.get("version").asText()))
        .isLessThanOrEqualTo(used.get(WritePath.SOURCE).orElseThrow())
        .isGreaterThan(first.get(WritePath.SOURCE).orElseThrow());

    Http.Answer old = http.get("/v1/collections/" + c + "/docs/a1?snapshot=" + enc(first.token()));
    assertThat(old.status()).isEqualTo(200);
    assertThat(old.json().at("/doc/title").asText()).isEqualTo("alpha one");
    assertThat(old.json().get("snapshot").asText()).isEqualTo(first.token());
    assertThat(old.json().get("version").asText()).isEqualTo(expectedVersion("a1", first));

    for (String from : List.of("cache", "db", "search")) {
      Http.Answer a =
          http.get(
              "/v1/collections/" + c + "/docs/a1?from=" + from + "&snapshot=" + enc(first.token()));
      assertThat(a.status()).as(from).isEqualTo(200);
      assertThat(a.json().at("/doc/title").asText()).as(from).isEqualTo("alpha one");
      assertThat(a.json().get("store").asText())
          .isEqualTo(Map.of("cache", "cache", "db", "readdb", "search", "search").get(from));
    }
    Http.Answer latest =
        http.get("/v1/collections/" + c + "/docs/a1?level=at_least&snapshot=" + enc(first.token()));
    assertThat(latest.json().at("/doc/title").asText()).isEqualTo("bravo one");

    Http.Answer odd =
        http.get("/v1/collections/" + c + "/docs/" + enc("a/b c+é").replace("+", "%20"));
    assertThat(odd.status()).as(odd.toString()).isEqualTo(200);
    assertThat(odd.json().get("id").asText()).isEqualTo("a/b c+é");
  }

  @Test
  void docsThatAreAbsentOrRefused() {
    Http.Answer deleted = http.get("/v1/collections/" + c + "/docs/gone");
    assertError(deleted, 404, "not_found");
    assertThat(deleted.json().get("snapshot").asText()).isNotEmpty();
    assertThat(
            http.get("/v1/collections/" + c + "/docs/gone?snapshot=" + enc(first.token())).status())
        .isEqualTo(200);
    assertError(http.get("/v1/collections/" + c + "/docs/never?from=cache"), 404, "cache_miss");
    assertError(http.get("/v1/collections/" + c + "/docs/never?from=db"), 404, "not_found");
    assertError(http.get("/v1/collections/" + c + "/docs/never"), 404, "not_found");
    assertError(http.get("/v1/collections/nope/docs/a1"), 404, "unknown_collection");
    assertError(
        http.get("/v1/collections/" + noSearch + "/docs/a1?from=search"),
        404,
        "unknown_collection");
    assertError(http.get("/v1/collections/" + c + "/docs/a1?from=disk"), 400, "bad_request");
    assertError(http.get("/v1/collections/" + c + "/docs/a1?level=eventual"), 400, "bad_request");
    assertError(http.get("/v1/collections/" + c + "/docs/a1?snap=1"), 400, "bad_request");
    assertError(http.get("/v1/collections/" + c + "/docs/a1?snapshot=tm1:x"), 400, "bad_token");
    assertError(
        http.get("/v1/collections/" + c + "/docs/a1?snapshot=" + enc(above().token())),
        409,
        "snapshot_not_ready");
    withHorizon(
        second,
        () ->
            assertError(
                http.get("/v1/collections/" + c + "/docs/a1?snapshot=" + enc(first.token())),
                410,
                "snapshot_expired"));
  }

  // ---- GET /v1/collections/{c}/search -----------------------------------------------------

  @Test
  void searchAtTheFrontierOrAtAToken() {
    Http.Answer now = http.get("/v1/collections/" + c + "/search?q=alpha&size=100");
    assertThat(now.status()).isEqualTo(200);
    assertThat(ids(now.json())).doesNotContain("a1", "gone");
    Stamp used = Stamp.parse(now.json().get("snapshot").asText());
    assertThat(now.header("Tidemark-Snapshot")).isEqualTo(used.token());

    Http.Answer old =
        http.get("/v1/collections/" + c + "/search?q=alpha&snapshot=" + enc(first.token()));
    assertThat(ids(old.json())).containsExactlyInAnyOrder("a1", "gone");
    JsonNode hit = old.json().get("hits").get(0);
    assertThat(hit.get("version").asText())
        .isEqualTo(expectedVersion(hit.get("id").asText(), first));
    assertThat(hit.at("/doc/title").asText()).startsWith("alpha");
    assertThat(
            ids(
                http.get(
                        "/v1/collections/"
                            + c
                            + "/search?q=alpha&size=1&snapshot="
                            + enc(first.token()))
                    .json()))
        .hasSize(1);
    assertThat(ids(http.get("/v1/collections/" + c + "/search?q=bravo").json()))
        .containsExactly("a1");
  }

  @Test
  void searchesThatAreWrongSayWhy() {
    assertError(http.get("/v1/collections/" + c + "/search"), 400, "bad_request");
    Http.Answer longQ = http.get("/v1/collections/" + c + "/search?q=" + "a".repeat(1025));
    assertError(longQ, 400, "limit_exceeded");
    assertThat(longQ.json().get("message").asText()).contains("1024");
    assertError(http.get("/v1/collections/" + c + "/search?q=a&size=1001"), 400, "limit_exceeded");
    assertError(http.get("/v1/collections/" + c + "/search?q=a&size=-1"), 400, "limit_exceeded");
    assertError(http.get("/v1/collections/" + c + "/search?q=a&size=ten"), 400, "bad_request");
    assertError(http.get("/v1/collections/nope/search?q=a"), 404, "unknown_collection");
    assertError(http.get("/v1/collections/" + noSearch + "/search?q=a"), 404, "unknown_collection");
    assertError(
        http.get("/v1/collections/" + c + "/search?q=a&snapshot=tm1:listings@1"), 400, "bad_token");
    assertError(
        http.get("/v1/collections/" + c + "/search?q=a&snapshot=" + enc(above().token())),
        409,
        "snapshot_not_ready");
    withHorizon(
        second,
        () ->
            assertError(
                http.get("/v1/collections/" + c + "/search?q=a&snapshot=" + enc(first.token())),
                410,
                "snapshot_expired"));
  }

  // ---- the rest -------------------------------------------------------------------------

  @Test
  void healthMetricsOpenApiAndUnknownPaths() throws Exception {
    Http anonymous = http.withToken(null);
    Http.Answer health = anonymous.get("/healthz");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("ok");

    Http.Answer metrics = http.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.header("Content-Type")).startsWith("text/plain");
    assertThat(metrics.body()).contains("engine_up 1").contains("tidemark_sidecar_requests_total");

    Http.Answer openapi = http.get("/v1/openapi.json");
    assertThat(openapi.status()).isEqualTo(200);
    JsonNode paths = openapi.json().get("paths");
    assertThat(paths.fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder(
            "/v1/frontier",
            "/v1/snapshots",
            "/v1/collections/{collection}/docs/{id}",
            "/v1/collections/{collection}/search",
            "/v1/openapi.json",
            "/healthz",
            "/metrics");
    // the served description is the checked-in file
    assertThat(openapi.body())
        .isEqualTo(
            new String(
                Sidecar.class.getResourceAsStream("/openapi.json").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8));

    assertError(http.get("/v2/frontier"), 404, "not_found");
    Http.Answer emptyKey = http.get("/v1/collections/" + c + "/docs/");
    assertError(emptyKey, 404, "not_found");
    assertThat(emptyKey.body()).as("the empty key, absent").contains("'' does not exist");
    Http.Answer wrong = http.post("/v1/frontier", "{}");
    assertError(wrong, 405, "method_not_allowed");
    assertThat(wrong.header("Allow")).isEqualTo("GET");
    Http.Answer wrongPost = http.get("/v1/snapshots");
    assertError(wrongPost, 405, "method_not_allowed");
    assertThat(wrongPost.header("Allow")).isEqualTo("POST");
    assertError(
        http.method("DELETE", "/v1/collections/" + c + "/docs/a1"), 405, "method_not_allowed");
  }

  @Test
  void aBearerTokenIsRequiredWhenConfigured() {
    Http.Answer none = http.withToken(null).get("/v1/frontier");
    assertError(none, 401, "unauthorized");
    assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(none.json().get("message").asText()).contains("Authorization: Bearer");
    assertError(http.withToken("wrong").post("/v1/snapshots", "{}"), 401, "unauthorized");
    assertError(http.withToken(null).get("/v1/collections/" + c + "/docs/a1"), 401, "unauthorized");
  }

  @Test
  void storesThatCannotAnswerAreUnavailable() {
    detached.add("readdb");
    try {
      Http.Answer a = http.get("/v1/collections/" + c + "/docs/never");
      assertError(a, 503, "store_unavailable");
      assertThat(a.json().get("message").asText()).contains("detached");
    } finally {
      detached.remove("readdb");
    }
    FrontierSource frontier = FrontierSource.inProcess(path.tracker, horizon::get, Set::of);
    try (Tidemark down =
            Tidemark.builder()
                .sharedFrontier(frontier)
                .source(WritePath.SOURCE)
                .store(
                    PostgresStoreConfig.of("jdbc:postgresql://127.0.0.1:1/none", "u", "p")
                        .withStoreName("readdb"))
                .collection(c, "readdb")
                .build();
        Sidecar other =
            Sidecar.start(down, SidecarOptions.defaults().withAddress("127.0.0.1", 0), () -> "")) {
      Http.Answer a = new Http(other.baseUrl(), null).get("/v1/collections/" + c + "/docs/a1");
      assertError(a, 503, "store_unavailable");
      assertThat(a.json().get("message").asText()).contains("readdb");
    }
  }

  /** Malformed tokens, wherever they come in, are 400 bad_token: never a 500 or a read. */
  @Test
  void fuzzedMalformedTokensAlwaysGive400() throws Exception {
    Random random = new Random(7070);
    String[] valid = {first.token(), second.token(), "tm1:listings@0/1,users@A/B", "tm1:a@0/0"};
    String alphabet = "tm1:@/,.-_09AFaFxyz%+ \t\n\u0000é€😀\\\"'{}[]&=?#";
    int tried = 0;
    List<String> failures = new ArrayList<>();
    while (tried < 1200) {
      String t = mutate(random, valid[random.nextInt(valid.length)], alphabet);
      try {
        SnapshotToken.parse(t);
        continue; // still valid: not a malformed token
      } catch (io.tidemark.protocol.BadTokenException expected) {
        // a malformed one: send it
      }
      tried++;
      Http.Answer a;
      switch (tried % 4) {
        case 0:
          a = http.get("/v1/collections/" + c + "/docs/a1?snapshot=" + enc(t));
          break;
        case 1:
          a = http.get("/v1/collections/" + c + "/search?q=alpha&snapshot=" + enc(t));
          break;
        case 2:
          a = http.post("/v1/snapshots", "{\"atLeast\":" + Http.JSON.writeValueAsString(t) + "}");
          break;
        default:
          a = http.post("/v1/snapshots", "{\"at\":" + Http.JSON.writeValueAsString(t) + "}");
          break;
      }
      if (a.status() != 400 || !"bad_token".equals(a.error())) {
        failures.add(Http.JSON.writeValueAsString(t) + " -> " + a);
      }
    }
    assertThat(failures).isEmpty();
  }

  private static String mutate(Random random, String token, String alphabet) {
    StringBuilder b = new StringBuilder(token);
    int edits = 1 + random.nextInt(4);
    for (int i = 0; i < edits; i++) {
      int kind = random.nextInt(8);
      int at = b.length() == 0 ? 0 : random.nextInt(b.length());
      int cp =
          alphabet.codePointAt(
              alphabet.offsetByCodePoints(
                  0, random.nextInt(alphabet.codePointCount(0, alphabet.length()))));
      switch (kind) {
        case 0, 1 -> b.insert(at, Character.toChars(cp));
        case 2, 3 -> {
          if (b.length() > 0) {
            b.deleteCharAt(at);
          }
        }
        case 4 -> {
          if (b.length() > 0) {
            b.replace(at, at + 1, new String(Character.toChars(cp)));
          }
        }
        case 5 -> b.setLength(random.nextInt(b.length() + 1));
        case 6 -> b.append(',').append(token.substring(4));
        default -> b.append("x".repeat(random.nextInt(5000)));
      }
    }
    return b.toString();
  }

  private static List<String> ids(JsonNode answer) {
    List<String> ids = new ArrayList<>();
    answer.get("hits").forEach(h -> ids.add(h.get("id").asText()));
    return ids;
  }

  private static void assertError(Http.Answer a, int status, String code) {
    assertThat(a.status()).as(a.toString()).isEqualTo(status);
    assertThat(a.error()).as(a.toString()).isEqualTo(code);
    assertThat(a.json().get("message").asText()).as(a.toString()).isNotBlank();
    assertThat(a.header("Content-Type")).isEqualTo("application/json");
  }

  private static void withHorizon(Stamp h, Runnable check) {
    horizon.set(h);
    try {
      check.run();
    } finally {
      horizon.set(Stamp.empty());
    }
  }

  /**
   * {@code tidemark sidecar --config FILE --coordinator URL}: the standalone sidecar built from a
   * deployment's YAML reads the same stores and learns the frontier from the sidecar above.
   */
  @Test
  void theSidecarCommandServesTheConfiguredStoresWithTheCoordinatorsFrontier() throws Exception {
    var pg = path.stack.postgres();
    String yaml =
        """
        source: {name: listings, jdbcUrl: "%s", user: %s, password: "%s"}
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "%s"}
          cache: {kind: redis, address: "%s"}
          memo: {kind: memcached, address: "%s"}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: %s}
        collections:
          %s: {table: public.ads, stores: {search: {}, cache: {}, memo: {}, readdb: {}}}
        sidecar: {host: 127.0.0.1, port: 7070, token: %s}
        """
            .formatted(
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                path.stack.elasticsearch().httpUrl(),
                path.indexPrefix,
                path.redisConfig().address(),
                path.stack.memcached().address(),
                pg.jdbcUrl(),
                pg.user(),
                pg.password(),
                path.schema,
                c,
                TOKEN);
    java.nio.file.Path file = java.nio.file.Files.createTempFile("tidemark-sidecar", ".yaml");
    try {
      java.nio.file.Files.writeString(file, yaml);
      SidecarCommand command = new SidecarCommand();
      new picocli.CommandLine(command)
          .parseArgs(
              "--config", file.toString(), "--coordinator", sidecar.baseUrl(), "--port", "0");
      try (Sidecar standalone = command.open()) {
        Http there = new Http(standalone.baseUrl(), TOKEN);
        Http.Answer frontier = there.get("/v1/frontier");
        assertThat(frontier.status()).isEqualTo(200);
        assertThat(Stamp.parse(frontier.json().get("token").asText()).covers(second)).isTrue();
        assertThat(frontier.json().at("/stores/readdb/watermark/listings").asText()).isNotEmpty();
        Http.Answer old =
            there.get("/v1/collections/" + c + "/docs/a1?snapshot=" + enc(first.token()));
        assertThat(old.status()).as(old.toString()).isEqualTo(200);
        assertThat(old.json().at("/doc/title").asText()).isEqualTo("alpha one");
        Version mine = path.commit("cli", Map.of("title", "via the command", "n", "1"));
        Http.Answer s =
            there.post(
                "/v1/snapshots",
                "{\"atLeast\":\""
                    + Stamp.of(WritePath.SOURCE, mine).token()
                    + "\",\"waitMillis\":10000}");
        assertThat(s.status()).as(s.toString()).isEqualTo(201);
        Http.Answer cli =
            there.get(
                "/v1/collections/"
                    + c
                    + "/docs/cli?from=db&snapshot="
                    + enc(s.json().get("token").asText()));
        assertThat(cli.json().at("/doc/title").asText()).isEqualTo("via the command");
        assertThat(there.withToken(null).get("/v1/frontier").status()).isEqualTo(401);
      }
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }
}
