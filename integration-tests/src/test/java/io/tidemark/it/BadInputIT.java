package io.tidemark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.client.BadTokenException;
import io.tidemark.client.ReadFrom;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.client.UnknownCollectionException;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input, through the sidecar and the library: malformed and hostile tokens and parameters;
 * huge, empty, unicode and odd keys and values; NULLs; a column added mid-stream; a captured table
 * without a primary key; column types the projections may not support. Each gets a clear error or
 * is handled, and nothing already committed is lost.
 */
class BadInputIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path stateDir;

  // ---- tokens and parameters ----------------------------------------------------------------

  @Test
  void hostileTokensAndParametersGetAClearErrorAndNeverAServerError() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.table("ads", "id bigint PRIMARY KEY, title text, price integer");
      d.start();
      Version committed =
          d.commit("INSERT INTO " + d.tables.get("ads") + " VALUES (1, 'red bike', 10)");
      assertThat(d.frontierCovers(committed, WAIT)).isTrue();

      List<String> malformed =
          List.of(
              "garbage",
              "tm1:",
              "tm1",
              "tm2:listings@0/1",
              "tm1:listings@zz/1",
              "tm1:listings@0/1/2",
              "tm1:listings@0/1,listings@0/2",
              "tm1:lïstings@0/1",
              "tm1:listings@-1/0",
              "tm1:listings@" + "1".repeat(40) + "/0",
              "'; DROP TABLE ads; --",
              "tm1:listings@0/1\u0000",
              "tm1:listings@0/1 ",
              "tm1:" + "a".repeat(100_00) + "@0/1",
              "tm1:@0/1",
              "tm1:listings@");
      for (String token : malformed) {
        String q = URLEncoder.encode(token, StandardCharsets.UTF_8);
        expectError(d.get("/v1/collections/ads/docs/1?snapshot=" + q), 400, "bad_token");
        expectError(d.get("/v1/collections/ads/search?q=red&snapshot=" + q), 400, "bad_token");
        expectError(
            d.post("/v1/snapshots", "{\"atLeast\": " + JSON.writeValueAsString(token) + "}"),
            400,
            "bad_token");
        assertThatThrownBy(() -> d.cacheClient.snapshot(token))
            .as(token)
            .isInstanceOf(BadTokenException.class)
            .hasMessageContaining("token");
        assertThatThrownBy(() -> d.cacheClient.snapshotAtLeast(token, Duration.ZERO))
            .isInstanceOf(BadTokenException.class);
      }
      // Above the frontier: not ready (409 on a read, 408 when a POST wait runs out); below the
      // horizon: expired.
      String future = URLEncoder.encode("tm1:listings@FFFFFFF0/0", StandardCharsets.UTF_8);
      expectError(
          d.get("/v1/collections/ads/docs/1?snapshot=" + future), 409, "snapshot_not_ready");
      expectError(
          d.post("/v1/snapshots", "{\"atLeast\": \"tm1:listings@FFFFFFF0/0\", \"waitMillis\": 20}"),
          408,
          "not_ready");
      // Hostile bodies and parameters.
      for (String body :
          List.of(
              "not json",
              "[]",
              "{\"atLeast\": 5}",
              "{\"waitMillis\": -1}",
              "{\"waitMillis\": \"soon\"}",
              "{\"waitMillis\": 1e30}",
              "{\"unknown\": 1}")) {
        HttpResponse<String> r = d.post("/v1/snapshots", body);
        assertThat(r.statusCode())
            .as("POST /v1/snapshots %s -> %s", body, r.body())
            .isBetween(400, 499);
        assertThat(errorBody(r).path("message").asText()).as(body).isNotBlank();
      }
      expectError(d.get("/v1/collections/nope/docs/1"), 404, "unknown_collection");
      expectError(
          d.get("/v1/collections/" + "x".repeat(5000) + "/docs/1"), 404, "unknown_collection");
      for (String query :
          List.of(
              "?size=-1&q=red",
              "?size=abc&q=red",
              "?size=99999999999&q=red",
              "?q=red&size=1000000",
              "",
              "?q=" + "a".repeat(5000),
              "?q=red&level=bogus",
              "?q=red&bogus=1")) {
        HttpResponse<String> r = d.get("/v1/collections/ads/search" + query);
        assertThat(r.statusCode())
            .as("search%s -> %s", abbreviate(query), r.body())
            .isBetween(400, 499);
        assertThat(errorBody(r).path("message").asText()).isNotBlank();
      }
      for (String query : List.of("?from=bogus", "?level=", "?snapshot=&from=db")) {
        HttpResponse<String> r = d.get("/v1/collections/ads/docs/1" + query);
        assertThat(r.statusCode()).as("docs%s -> %s", query, r.body()).isBetween(400, 499);
      }
      // Queries in Elasticsearch's simple syntax that are odd but legal are answered, not failed.
      for (String q :
          List.of("*", "\"unterminated", "red -bike", "(((", "\\", "ü", "red~2", "OR AND")) {
        HttpResponse<String> r =
            d.get("/v1/collections/ads/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as("search q=%s -> %s", q, r.body()).isIn(200, 400);
      }
      // Ids that try to escape the path, or carry odd bytes, are just ids that do not exist.
      for (String id :
          List.of("..%2F..%2Fetc%2Fpasswd", "1%20OR%201%3D1", "%E2%82%AC", "1;DROP", "%25")) {
        HttpResponse<String> r = d.get("/v1/collections/ads/docs/" + id);
        assertThat(r.statusCode()).as("docs/%s -> %s", id, r.body()).isIn(404, 400);
      }
      // Methods and request lines no client should send.
      assertThat(d.raw("DELETE /v1/frontier HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 405");
      assertThat(d.raw("GET /v1/frontier\u0001 HTTP/1.1\r\nHost: x\r\n\r\n"))
          .startsWith("HTTP/1.1 4");
      // The library refuses an unknown collection by name.
      Snapshot s = d.cacheClient.snapshot();
      assertThatThrownBy(() -> s.get("nope", "1"))
          .isInstanceOf(UnknownCollectionException.class)
          .hasMessageContaining("nope");
      // And after all that, the row is still there, everywhere.
      assertThat(s.get("ads", "1")).isPresent();
      assertThat(d.coordinator.healthy()).isTrue();
    }
  }

  private static void expectError(HttpResponse<String> r, int status, String code)
      throws Exception {
    assertThat(r.statusCode()).as("%s -> %s", r.uri(), r.body()).isEqualTo(status);
    JsonNode body = errorBody(r);
    assertThat(body.path("error").asText()).as(r.body()).isEqualTo(code);
    assertThat(body.path("message").asText()).as(r.body()).isNotBlank();
  }

  private static JsonNode errorBody(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  // ---- keys and values ----------------------------------------------------------------------

  @Test
  void oddKeysAndValuesAreStoredAndReadExactlyInEveryStore() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      String table = d.table("odd", "id text PRIMARY KEY, title text, note text, price integer");
      d.start();
      Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
      List<String> keys =
          List.of(
              " ",
              "a,b",
              "100%",
              "%2C",
              "ключ",
              "鍵",
              "😀",
              "a/b?c#d&e=f",
              "tab\tnew\nline",
              "quote'\"\\",
              "x".repeat(2000),
              "@0/1",
              "key@0/16B3748",
              "null",
              "NULL");
      List<String> notes =
          List.of(
              "",
              "ünïcödé ✓ 😀",
              "{\"json\": [1, 2]}",
              "<script>alert(1)</script>",
              "line1\nline2\r\n\ttab",
              "n".repeat(1_000_000));
      List<String> statements = new ArrayList<>();
      int i = 0;
      for (String key : keys) {
        String title = i % 4 == 0 ? null : "odd " + i;
        String note = notes.get(i % notes.size());
        Integer price = i % 3 == 0 ? null : i * 1000;
        statements.add(
            "INSERT INTO "
                + table
                + " VALUES ("
                + literal(key)
                + ", "
                + literal(title)
                + ", "
                + literal(note)
                + ", "
                + (price == null ? "NULL" : price)
                + ")");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("id", key);
        doc.put("title", title);
        doc.put("note", note);
        doc.put("price", price);
        rows.put(key, doc);
        i++;
      }
      Version committed = d.commit(statements.toArray(String[]::new));
      assertThat(d.frontierCovers(committed, WAIT))
          .as("frontier covers the odd rows; stores " + d.coordinator.stores())
          .isTrue();
      checkEveryStore(d, "odd", rows);

      // Update and delete some, including the huge one: still exact.
      Version changed =
          d.commit(
              "UPDATE "
                  + table
                  + " SET title = 'changed ✓', note = NULL WHERE id = "
                  + literal("x".repeat(2000)),
              "DELETE FROM " + table + " WHERE id = ' '",
              "DELETE FROM " + table + " WHERE id = '😀'");
      rows.get("x".repeat(2000)).put("title", "changed ✓");
      rows.get("x".repeat(2000)).put("note", null);
      rows.put(" ", null);
      rows.put("😀", null);
      assertThat(d.frontierCovers(changed, WAIT)).isTrue();
      checkEveryStore(d, "odd", rows);
      assertThat(d.coordinator.healthy()).isTrue();
    }
  }

  /**
   * Each row, by the library from every store and by the sidecar (URL-encoded id), equals {@code
   * rows}.
   */
  private static void checkEveryStore(
      Deployment d, String collection, Map<String, Map<String, Object>> rows) throws Exception {
    Snapshot viaCache = d.cacheClient.snapshot();
    Snapshot viaMemo = d.memoClient.snapshot(viaCache.token());
    List<String> problems = new ArrayList<>();
    for (var row : rows.entrySet()) {
      String key = row.getKey();
      String shown = abbreviate(key);
      for (Object[] target :
          new Object[][] {
            {viaCache, ReadFrom.DB},
            {viaCache, ReadFrom.SEARCH},
            {viaCache, ReadFrom.CACHE},
            {viaMemo, ReadFrom.CACHE}
          }) {
        Snapshot s = (Snapshot) target[0];
        ReadFrom from = (ReadFrom) target[1];
        String store = s.storeName(collection, from);
        Lookup lookup;
        try {
          lookup = s.lookup(collection, key, from, ConsistencyLevel.SNAPSHOT);
        } catch (RuntimeException e) {
          problems.add(store + " '" + shown + "': " + e);
          continue;
        }
        if (lookup.isMiss() && from == ReadFrom.CACHE) {
          problems.add(
              store + " '" + shown + "': a miss right after the write (is the key storable?)");
        } else if (row.getValue() == null
            ? lookup.isFound()
            : !lookup.isFound()
                || !Checker.sameDoc(row.getValue(), lookup.document().orElseThrow())) {
          problems.add(
              store
                  + " '"
                  + shown
                  + "': expected "
                  + abbreviateDoc(row.getValue())
                  + ", got "
                  + (lookup.isFound() ? abbreviateDoc(lookup.document().get()) : lookup.kind()));
        }
      }
      HttpResponse<String> r =
          d.get(
              "/v1/collections/"
                  + collection
                  + "/docs/"
                  + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20")
                  + "?snapshot="
                  + URLEncoder.encode(viaCache.token(), StandardCharsets.UTF_8));
      int expected = row.getValue() == null ? 404 : 200;
      if (r.statusCode() != expected) {
        problems.add(
            "sidecar '" + shown + "': HTTP " + r.statusCode() + " " + abbreviate(r.body()));
      } else if (expected == 200) {
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = JSON.convertValue(JSON.readTree(r.body()).get("doc"), Map.class);
        if (!Checker.sameDoc(row.getValue(), doc)) {
          problems.add("sidecar '" + shown + "': got " + abbreviateDoc(doc));
        }
      }
    }
    assertThat(problems).as("stores at " + viaCache.token()).isEmpty();
  }

  private static String abbreviateDoc(Map<String, Object> doc) {
    return doc == null ? "absent" : abbreviate(doc.toString());
  }

  private static String literal(String s) {
    return s == null ? "NULL" : "'" + s.replace("'", "''") + "'";
  }

  // ---- schema changes -----------------------------------------------------------------------

  @Test
  void aColumnAddedMidStreamIsCarriedAndNothingCommittedIsLost() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      String table = d.table("ads", "id bigint PRIMARY KEY, title text, price integer");
      d.start();
      Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
      Version before =
          d.commit("INSERT INTO " + table + " VALUES (1, 'before', 1), (2, 'before too', 2)");
      rows.put("1", Map.of("id", 1, "title", "before", "price", 1));
      rows.put("2", Map.of("id", 2, "title", "before too", "price", 2));
      assertThat(d.frontierCovers(before, WAIT)).isTrue();
      // The column arrives between two transactions, with a default, while the coordinator runs.
      Version after =
          d.commit(
              "ALTER TABLE " + table + " ADD COLUMN colour text DEFAULT 'none'",
              "INSERT INTO " + table + " VALUES (3, 'after', 3, 'red')",
              "UPDATE " + table + " SET title = 'updated', colour = 'blue' WHERE id = 1");
      Version more =
          d.commit(
              "ALTER TABLE " + table + " ADD COLUMN born timestamptz",
              "INSERT INTO " + table + " VALUES (4, 'later', 4, 'green', '2026-01-02T03:04:05Z')",
              "UPDATE " + table + " SET price = 22 WHERE id = 2");
      rows.put("1", Map.of("id", 1, "title", "updated", "price", 1, "colour", "blue"));
      rows.put("3", Map.of("id", 3, "title", "after", "price", 3, "colour", "red"));
      rows.put("2", Map.of("id", 2, "title", "before too", "price", 22, "colour", "none"));
      rows.put(
          "4",
          Map.of(
              "id",
              4,
              "title",
              "later",
              "price",
              4,
              "colour",
              "green",
              "born",
              "2026-01-02T03:04:05Z"));
      boolean covered = d.frontierCovers(Version.max(after, more), WAIT);
      assertThat(covered)
          .as(
              "frontier after ADD COLUMN; source error '%s', stores %s",
              d.coordinator.sourceError(), d.coordinator.stores())
          .isTrue();
      // Rows written with the new columns carry them; rows untouched since keep their old shape.
      Map<String, Map<String, Object>> expected = new LinkedHashMap<>(rows);
      expected.put("1", withNullsFor(rows.get("1"), "born"));
      expected.put("3", withNullsFor(rows.get("3"), "born"));
      expected.put("2", withNullsFor(rows.get("2"), "born"));
      checkEveryStore(d, "ads", expected);
      assertThat(d.coordinator.healthy()).isTrue();
    }
  }

  private static Map<String, Object> withNullsFor(Map<String, Object> doc, String... columns) {
    Map<String, Object> out = new LinkedHashMap<>(doc);
    for (String c : columns) {
      out.putIfAbsent(c, null);
    }
    return out;
  }

  @Test
  void aCapturedTableWithoutPrimaryKeyIsRefusedWithAClearMessage() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.table("nokey", "id bigint, title text");
      assertThatThrownBy(d::start)
          .hasMessageContaining("primary key")
          .hasMessageContaining("nokey_" + d.suffix);
    }
  }

  // ---- column types -------------------------------------------------------------------------

  /**
   * Types beyond the workload's, one column each in one table: every store returns the same value
   * for each, and the row committed before is still there. The values that are not carried
   * faithfully are the findings below.
   */
  @Test
  void exoticColumnTypesAreCarriedTheSameInEveryStore() throws Exception {
    Map<String, String> types = new LinkedHashMap<>();
    types.put("numeric(10,2)", "12345678.91");
    types.put("real", "1.1");
    types.put("double precision", "2.5");
    types.put("money", "12.34");
    types.put("interval", "'1 day 2 hours'");
    types.put("point", "'(1.5,2)'");
    types.put("int4range", "'[1,10)'");
    types.put("tsvector", "'a fat cat'");
    types.put("xml", "'<a>1</a>'");
    types.put("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'");
    types.put("jsonb", "'{\"a\": [1, {\"b\": null}]}'");
    types.put("int[]", "'{1,NULL,3}'");
    types.put("text[]", "'{\"a,b\",ü}'");
    types.put("bit varying(8)", "B'101'");
    types.put("inet", "'10.0.0.1/8'");
    types.put("macaddr", "'08:00:2b:01:02:03'");
    types.put("timestamp", "'2026-01-02 03:04:05.123456'");
    types.put("timestamptz", "'2026-01-02 03:04:05+02'");
    types.put("date", "'0001-01-01 BC'");
    types.put("time", "'24:00:00'");
    types.put("bytea", "'\\x00ff'");
    types.put("mood", "'happy'");
    List<String> outcomes = types(types);
    System.out.println("column types:\n  " + String.join("\n  ", outcomes));
    assertThat(outcomes).hasSize(types.size()).allMatch(o -> o.contains(": carried as "));
  }

  @Test
  void notANumberAndInfinityInFloatColumnsAreCarriedTheSameInEveryStore() throws Exception {
    Map<String, String> types = new LinkedHashMap<>();
    types.put("double precision", "'NaN'");
    types.put("float8", "'-Infinity'");
    types.put("real", "'Infinity'");
    List<String> outcomes = types(types);
    System.out.println("special numbers:\n  " + String.join("\n  ", outcomes));
    assertThat(outcomes).hasSize(types.size()).allMatch(o -> o.contains(": carried as "));
  }

  /** The outcome for one type: carried (with its JSON form) or not (with what happened). */
  private String oneType(String type, String value) throws Exception {
    return types(Map.of(type, value)).get(0);
  }

  /**
   * One table with a column per type; a row of NULLs, then a row of the values. Per type: {@code
   * <type>: carried as <class> <value>} when every store returns the same value, else what went
   * wrong (refused with the coordinator's error, LOST, DISAGREE with the values).
   */
  private List<String> types(Map<String, String> typeToValue) throws Exception {
    List<String> types = List.copyOf(typeToValue.keySet());
    try (Deployment d = new Deployment(stateDir.resolve("types-" + System.nanoTime()))) {
      if (typeToValue.containsKey("mood")) {
        d.sql(
            "DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'happy');"
                + " EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      }
      StringBuilder columns = new StringBuilder("id bigint PRIMARY KEY");
      StringBuilder values = new StringBuilder("2");
      StringBuilder nulls = new StringBuilder("1");
      for (int i = 0; i < types.size(); i++) {
        columns.append(", c").append(i).append(' ').append(types.get(i));
        values.append(", ").append(typeToValue.get(types.get(i)));
        nulls.append(", NULL");
      }
      String table = d.table("typed", columns.toString());
      d.start();
      Version first = d.commit("INSERT INTO " + table + " VALUES (" + nulls + ")");
      assertThat(d.frontierCovers(first, WAIT)).as("a row of NULLs is carried").isTrue();
      Version second = d.commit("INSERT INTO " + table + " VALUES (" + values + ")");
      boolean carried = d.frontierCovers(second, Duration.ofSeconds(20));
      Snapshot s = d.cacheClient.snapshot();
      assertThat(s.lookup("typed", "1", ReadFrom.DB, ConsistencyLevel.SNAPSHOT).isFound())
          .as("the row committed before is still there")
          .isTrue();
      if (!carried) {
        String error = d.coordinator.sourceError();
        String lanes =
            d.coordinator.stores().values().stream()
                .filter(st -> !st.lastError().isEmpty())
                .map(st -> st.store() + " " + st.state() + ": " + st.lastError())
                .toList()
                .toString();
        String what =
            (error.isEmpty() && lanes.equals("[]") ? "SILENT stop" : "refused")
                + ": source error '"
                + error
                + "', lanes "
                + lanes;
        return types.stream().map(t -> t + ": " + what).toList();
      }
      Map<String, List<Object>> seen = new LinkedHashMap<>();
      List<String> lost = new ArrayList<>();
      for (Tidemark client : List.of(d.cacheClient, d.memoClient)) {
        Snapshot snap = client.snapshot(s.token());
        for (ReadFrom from : ReadFrom.values()) {
          Lookup l = snap.lookup("typed", "2", from, ConsistencyLevel.SNAPSHOT);
          if (l.isMiss()) {
            continue;
          }
          if (!l.isFound()) {
            lost.add(snap.storeName("typed", from));
            continue;
          }
          for (int i = 0; i < types.size(); i++) {
            seen.computeIfAbsent(types.get(i), t -> new ArrayList<>())
                .add(l.document().orElseThrow().get("c" + i));
          }
        }
      }
      List<String> outcomes = new ArrayList<>();
      for (String type : types) {
        List<Object> values0 = seen.getOrDefault(type, List.of());
        if (!lost.isEmpty() || values0.isEmpty()) {
          outcomes.add(type + ": LOST in " + lost);
          continue;
        }
        Object v = values0.get(0);
        boolean agree = values0.stream().allMatch(o -> Checker.sameValue(o, v));
        outcomes.add(
            type
                + (agree
                    ? ": carried as "
                        + (v == null
                            ? "null"
                            : v.getClass().getSimpleName() + " " + abbreviate(String.valueOf(v)))
                    : ": DISAGREE: stores hold " + values0));
      }
      return outcomes;
    }
  }

  // ---- odd values that were bugs once; a known gap stays disabled -----------------------------
  // Run a disabled one with -Dit.test='BadInputIT#finding*'
  // -Djunit.jupiter.conditions.deactivate='org.junit.*DisabledCondition'

  @Test
  void anIdWithANulCharacterIsNotAStoreOutage() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.table("ads", "id bigint PRIMARY KEY, title text");
      d.start();
      Version committed = d.commit("INSERT INTO " + d.tables.get("ads") + " VALUES (1, 'x')");
      assertThat(d.frontierCovers(committed, WAIT)).isTrue();
      assertThat(d.get("/v1/collections/ads/docs/%00").statusCode()).isIn(400, 404);
      assertThat(d.cacheClient.snapshot().get("ads", "\u0000")).isEmpty();
    }
  }

  @Test
  void anEmptyKeyIsReadBackFromEveryStore() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      String table = d.table("odd", "id text PRIMARY KEY, title text");
      d.start();
      Version committed = d.commit("INSERT INTO " + table + " VALUES ('', 'empty key')");
      assertThat(d.frontierCovers(committed, WAIT)).isTrue();
      Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
      rows.put("", Map.of("id", "", "title", "empty key"));
      checkEveryStore(d, "odd", rows);
    }
  }

  @Test
  void largeNumericsKeepTheirPrecisionInEveryStore() throws Exception {
    assertThat(oneType("numeric(30,10)", "12345678901234567890.0123456789"))
        .contains(": carried as ");
  }

  @Test
  void aLargeDoubleDoesNotStopTheSearchLane() throws Exception {
    assertThat(oneType("double precision", "2.5e300")).contains(": carried as ");
  }

  @Test
  @Disabled(
      "finding: numeric 'NaN' reads back as null in every store (Debezium's precise decimal mode drops"
          + " it); the source row has NaN")
  void findingNumericNotANumberIsNotReadAsNull() throws Exception {
    assertThat(oneType("numeric", "'NaN'")).doesNotContain("carried as null");
  }

  @Test
  void anInfiniteTimestampIsNotReadAsADate() throws Exception {
    assertThat(oneType("timestamp", "'infinity'"))
        .doesNotContain("294247")
        .endsWith("carried as String infinity");
    assertThat(oneType("timestamp", "'-infinity'")).endsWith("carried as String -infinity");
  }
}
