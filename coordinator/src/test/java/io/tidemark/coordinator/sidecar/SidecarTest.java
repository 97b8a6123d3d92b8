package io.tidemark.coordinator.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.client.FrontierSource;
import io.tidemark.client.Tidemark;
import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sidecar's HTTP handling where no store is needed: snapshots, waits, limits, authentication,
 * routing. The store reads are covered by the ITs.
 */
class SidecarTest {

  FrontierTracker tracker = new FrontierTracker(List.of("readdb"));
  Tidemark tidemark;
  Sidecar sidecar;
  Http http;

  @BeforeEach
  void start() {
    tidemark =
        Tidemark.builder()
            .frontier(FrontierSource.inProcess(tracker, Stamp::empty, Set::of))
            .build();
    sidecar =
        Sidecar.start(
            tidemark,
            SidecarOptions.defaults()
                .withAddress("127.0.0.1", 0)
                .withBearerToken("t0ken")
                .withRequestTimeout(Duration.ofSeconds(5)),
            () -> "");
    http = new Http(sidecar.baseUrl(), "t0ken");
  }

  @AfterEach
  void stop() {
    sidecar.close();
    tidemark.close();
  }

  static Stamp at(long lsn) {
    return Stamp.of("listings", Version.of(lsn));
  }

  @Test
  void beforeAnyFrontierSnapshotsAreNotReady() {
    Http.Answer a = http.post("/v1/snapshots", "{}");
    assertThat(a.status()).isEqualTo(408);
    assertThat(a.error()).isEqualTo("not_ready");
    assertThat(http.get("/v1/frontier").json().get("token").isNull()).isTrue();
  }

  @Test
  void snapshotsFollowTheFrontier() {
    tracker.report("readdb", at(0x100));
    assertThat(http.post("/v1/snapshots", " { } ").json().get("token").asText())
        .isEqualTo("tm1:listings@0/100");
    tracker.report("readdb", at(0x200));
    Http.Answer a = http.post("/v1/snapshots", "");
    assertThat(a.json().get("token").asText()).isEqualTo("tm1:listings@0/200");
    assertThat(a.header("Tidemark-Snapshot")).isEqualTo("tm1:listings@0/200");
  }

  @Test
  void aWaitIsAnsweredWhenTheFrontierMoves() throws Exception {
    tracker.report("readdb", at(0x100));
    CompletableFuture<Http.Answer> waiting =
        CompletableFuture.supplyAsync(
            () ->
                http.post(
                    "/v1/snapshots", "{\"atLeast\":\"tm1:listings@0/300\",\"waitMillis\":5000}"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (tracker.waiting() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(tracker.waiting()).isEqualTo(1);
    tracker.report("readdb", at(0x301));
    Http.Answer a = waiting.get(10, TimeUnit.SECONDS);
    assertThat(a.status()).isEqualTo(201);
    assertThat(a.json().get("token").asText()).isEqualTo("tm1:listings@0/301");
  }

  @Test
  void manyWaitsHoldNoThreads() throws Exception {
    tracker.report("readdb", at(0x100));
    // More waits than the sidecar has threads: they all wait, and the frontier is still served.
    java.util.concurrent.ExecutorService callers =
        java.util.concurrent.Executors.newFixedThreadPool(40);
    List<CompletableFuture<Http.Answer>> waits =
        java.util.stream.IntStream.range(0, 40)
            .mapToObj(
                i ->
                    CompletableFuture.supplyAsync(
                        () ->
                            http.post(
                                "/v1/snapshots",
                                "{\"atLeast\":\"tm1:listings@0/400\",\"waitMillis\":5000}"),
                        callers))
            .toList();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (tracker.waiting() < 40 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(tracker.waiting()).isEqualTo(40);
    assertThat(http.get("/v1/frontier").status()).isEqualTo(200);
    tracker.report("readdb", at(0x400));
    for (CompletableFuture<Http.Answer> w : waits) {
      assertThat(w.get(10, TimeUnit.SECONDS).status()).isEqualTo(201);
    }
    callers.shutdown();
  }

  @Test
  void aWaitThatRunsOutIs408() throws InterruptedException {
    tracker.report("readdb", at(0x100));
    Http.Answer a =
        http.post("/v1/snapshots", "{\"atLeast\":\"tm1:listings@0/300\",\"waitMillis\":50}");
    assertThat(a.status()).isEqualTo(408);
    assertThat(a.error()).isEqualTo("not_ready");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (tracker.waiting() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // the tracker forgets the waiter just after answering it
    }
    assertThat(tracker.waiting()).isZero();
    Http.Answer tooLong =
        http.post("/v1/snapshots", "{\"atLeast\":\"tm1:listings@0/300\",\"waitMillis\":5001}");
    assertThat(tooLong.error()).isEqualTo("limit_exceeded");
  }

  @Test
  void routingAndAuthentication() {
    assertThat(http.withToken(null).get("/healthz").status()).isEqualTo(200);
    assertThat(http.withToken(null).get("/v1/frontier").status()).isEqualTo(401);
    assertThat(http.withToken("t0ken ").get("/v1/frontier").status()).isEqualTo(200);
    assertThat(http.get("/nope").error()).isEqualTo("not_found");
    assertThat(http.method("PUT", "/v1/snapshots").header("Allow")).isEqualTo("POST");
    assertThat(http.get("/v1/openapi.json").json().get("openapi").asText()).startsWith("3.");
    assertThat(http.get("/v1/collections/ads/docs/1").error()).isEqualTo("snapshot_not_ready");
    tracker.report("readdb", at(0x100));
    assertThat(http.get("/v1/collections/ads/docs/1").error()).isEqualTo("unknown_collection");
  }

  @Test
  void optionsAreValidated() {
    SidecarOptions d = SidecarOptions.defaults();
    assertThat(d.host()).isEqualTo("127.0.0.1");
    assertThat(d.port()).isEqualTo(7070);
    assertThatThrownBy(() -> d.withAddress("127.0.0.1", 70000)).hasMessageContaining("port");
    assertThatThrownBy(() -> d.withThreads(0)).hasMessageContaining("threads");
    assertThatThrownBy(() -> d.withRequestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout");
    assertThat(d.withBearerToken("secret").toString()).doesNotContain("secret");
    assertThatThrownBy(
            () -> Sidecar.start(tidemark, d.withAddress("127.0.0.1", sidecar.port()), () -> ""))
        .hasMessageContaining("cannot listen")
        .hasMessageContaining("--port");
  }
}
